"""report.json as typed records (pure): what a run read, kept and removed per source (`SourceReport`),
their `Totals`, each split's size (`SplitSummary`), the mix (`pipeline.dataset.manifest.MixRow`, the rows of
the manifest's "sources"), and the rest of the run's record (`RunReport`).

`to_json` writes what report.json holds and `from_json` reads it back into the same records; fields that
only some runs have (lines_removed without repeated-line removal, decontamination, shuffle, cpu_seconds,
failed) are None and absent from the file when they do not apply. Counts absent from an older report.json
read as zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from pipeline.dataset.manifest import MixRow, SplitEntry
from pipeline.dataset.records import record_from_json, record_to_json

KINDS = ("read", "kept", "rejected", "duplicates", "unreadable")


@dataclass
class SourceReport:
    """One source's documents: read = kept + rejected + duplicates + unreadable. Tokens are counted with
    EOS; removed_tokens_by_reason and rejected_tokens_by_stage hold what the removed documents would have
    had. `rejected_by_reason` is keyed by reason, `duplicates_by_reason` by "stage:reason", and
    `rejected_by_stage` splits the rejections by the stage or filter that made them."""
    read: int = 0
    kept: int = 0
    rejected: int = 0
    duplicates: int = 0
    unreadable: int = 0
    kept_tokens: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates_by_reason: dict[str, int] = field(default_factory=dict)
    removed_tokens_by_reason: dict[str, int] = field(default_factory=dict)
    rejected_by_stage: dict[str, dict[str, int]] = field(default_factory=dict)
    rejected_tokens_by_stage: dict[str, dict[str, int]] = field(default_factory=dict)
    lines_removed: Optional[int] = None  # lines (not documents) that repeated-line removal cut, when it ran
    line_chars_removed: Optional[int] = None

    @property
    def identity_holds(self) -> bool:
        return self.read == self.kept + self.rejected + self.duplicates + self.unreadable

    def to_json(self) -> dict:
        return record_to_json(self) | {"identity_holds": self.identity_holds}

    @classmethod
    def from_json(cls, obj: dict) -> SourceReport:
        return record_from_json(cls, obj)


@dataclass(frozen=True)
class Totals:
    read: int
    kept: int
    rejected: int
    duplicates: int
    unreadable: int
    kept_tokens: int
    identity_holds: bool

    @classmethod
    def of(cls, sources: dict[str, SourceReport]) -> Totals:
        return cls(**{k: sum(getattr(s, k) for s in sources.values()) for k in KINDS + ("kept_tokens",)},
                   identity_holds=all(s.identity_holds for s in sources.values()))

    def to_json(self) -> dict:
        return record_to_json(self)

    @classmethod
    def from_json(cls, obj: dict) -> Totals:
        return cls(**{k: obj.get(k, 0) for k in KINDS + ("kept_tokens",)},
                   identity_holds=obj.get("identity_holds", True))


@dataclass(frozen=True)
class SplitSummary:
    """A split's totals (as in the manifest) with its number of shards and the smallest, median and largest
    shard in tokens ({"min", "median", "max"})."""
    rows: int
    tokens: int
    documents: Optional[int] = None
    dropped_tail_tokens: Optional[int] = None
    dropped_tail_documents: Optional[int] = None
    num_shards: Optional[int] = None
    shard_tokens: Optional[dict[str, int]] = None

    @classmethod
    def of(cls, split: SplitEntry, num_shards: Optional[int] = None,
           shard_tokens: Optional[dict[str, int]] = None) -> SplitSummary:
        return cls(rows=split.rows, tokens=split.tokens, documents=split.documents,
                   dropped_tail_tokens=split.dropped_tail_tokens, dropped_tail_documents=split.dropped_tail_documents,
                   num_shards=num_shards, shard_tokens=shard_tokens)

    def to_json(self) -> dict:
        return record_to_json(self)

    @classmethod
    def from_json(cls, obj: dict) -> SplitSummary:
        return record_from_json(cls, obj)


@dataclass
class RunReport:
    """report.json. A committed run's report has every field but the optional ones; the report of a run
    that was refused (OUT/.tmp/report.json) has only sources, totals and `failed`, the problems."""
    sources: dict[str, SourceReport]
    totals: Totals
    output: Optional[str] = None
    splits: Optional[dict[str, SplitSummary]] = None
    mix: Optional[dict[str, MixRow]] = None
    wall_seconds: Optional[float] = None
    chinchilla: Optional[dict] = None  # what the dataset can train (pipeline.capacity)
    config: Optional[dict] = None  # the run's configuration, as JSON
    # report.html's sections (pipeline.report_data)
    samples: Optional[dict] = None
    distributions: Optional[dict] = None
    stage_order: Optional[dict[str, list[str]]] = None
    config_sha256: Optional[str] = None
    report_settings: Optional[dict] = None
    shuffle: Optional[dict] = None  # bytes that crossed each shuffle (pipeline.transforms.commit.shuffle_report)
    decontamination: Optional[dict] = None  # per evaluation set (pipeline.decontam.report)
    cpu_seconds: Optional[dict[str, float]] = None  # per pass, where the runner reports metrics
    failed: Optional[list[str]] = None

    def to_json(self) -> dict:
        out = record_to_json(self) | {"sources": {name: s.to_json() for name, s in self.sources.items()},
                                      "totals": self.totals.to_json()}
        if self.splits is not None:
            out["splits"] = {name: s.to_json() for name, s in self.splits.items()}
        if self.mix is not None:
            out["mix"] = {name: row.to_json() for name, row in self.mix.items()}
        return out

    @classmethod
    def from_json(cls, obj: dict) -> RunReport:
        sources = {name: SourceReport.from_json(s) for name, s in (obj.get("sources") or {}).items()}
        totals = Totals.from_json(obj["totals"]) if "totals" in obj else Totals.of(sources)
        typed = {"sources": sources, "totals": totals}
        if obj.get("splits") is not None:
            typed["splits"] = {name: SplitSummary.from_json(s) for name, s in obj["splits"].items()}
        if obj.get("mix") is not None:
            typed["mix"] = {name: MixRow.from_json(row) for name, row in obj["mix"].items()}
        return record_from_json(cls, obj | typed)
