"""What the shard writer reports for each shard it writes, and the manifest is built from."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.dataset.manifest import ShardEntry
from pipeline.dataset.records import record_from_json, record_to_json


@dataclass(frozen=True)
class SourceShare:
    """One source's document copies in a shard and their tokens (EOS included, before the tail is dropped)."""
    documents: int
    tokens: int


@dataclass(frozen=True)
class ShardStats:
    """One written shard. It travels from the writer to the commit step as its JSON form (`to_json`), whose
    pickled bytes are what report.json's "shuffle" counts under shard_stats."""
    split: str
    index: int
    path: str  # relative to the output: train/shard-00000-of-00008.arrow
    rows: int
    tokens: int  # rows * (seq_len + 1)
    dropped_tail_tokens: int  # the final partial row, not written
    xxh64: str
    documents: int  # document copies packed into the shard's token stream
    sources: dict[str, SourceShare]
    dropped_tail_documents: int  # documents whose EOS fell in the dropped tail: present only as a cut-off prefix

    def entry(self) -> ShardEntry:
        """The shard's entry in the manifest."""
        return ShardEntry(path=self.path, rows=self.rows, tokens=self.tokens, xxh64=self.xxh64,
                          dropped_tail_tokens=self.dropped_tail_tokens, documents=self.documents,
                          dropped_tail_documents=self.dropped_tail_documents)

    def to_json(self) -> dict:
        return record_to_json(self) | {"sources": {name: record_to_json(s) for name, s in self.sources.items()}}

    @classmethod
    def from_json(cls, obj: dict) -> ShardStats:
        return record_from_json(cls, obj | {"sources": {name: record_from_json(SourceShare, s)
                                                        for name, s in obj["sources"].items()}})
