"""manifest.json, the dataset's table of contents and its commit point (the pipeline writes it last), as
a `Manifest`: seq_len, dtype, the tokenizer, the seed, each split's shards with their sizes and xxh64,
and the realized-versus-target mix per source. It holds no timestamps, so the same config gives the same
manifest.

`Manifest.from_json` is the one reader: `tokenmill verify`, `inspect` and the trainer all go through it.
It raises a DatasetError (a ValueError) naming the file and listing every field it cannot use
(pipeline.dataset.manifest_problems), a shard path that would lead outside the dataset included.
`read_manifest` reads a dataset's manifest, local or any fsspec URL, and also refuses one it cannot
train on.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Optional

from pipeline.dataset.files import open_binary
from pipeline.dataset.format import FORMAT, TRAIN
from pipeline.dataset.manifest_problems import manifest_problems
from pipeline.dataset.paths import UnsafePath, check_local_inside, is_remote, join
from pipeline.dataset.records import record_from_json, record_to_json


class DatasetError(ValueError):
    """A dataset that cannot be read as one (the trainer, `verify` and `inspect` refuse it); the message
    names the dataset, shard or field."""


@dataclass(frozen=True)
class ShardEntry:
    """One shard file: rows of seq_len + 1 tokens, and the documents whose tokens it holds."""
    path: str  # relative to the dataset root: train/shard-00000-of-00008.arrow
    rows: int
    tokens: int  # rows * (seq_len + 1)
    xxh64: str  # of the file's bytes, 16 lowercase hex digits
    dropped_tail_tokens: Optional[int] = None  # the final partial row, not written
    documents: Optional[int] = None  # document copies the shard's token stream held
    dropped_tail_documents: Optional[int] = None  # those whose EOS fell in the dropped tail

    def to_json(self) -> dict:
        return record_to_json(self)


@dataclass(frozen=True)
class SplitEntry:
    """A split's shards and their totals."""
    shards: tuple[ShardEntry, ...]
    rows: Optional[int] = None
    tokens: Optional[int] = None
    documents: Optional[int] = None
    dropped_tail_tokens: Optional[int] = None
    dropped_tail_documents: Optional[int] = None

    @classmethod
    def of_shards(cls, shards: tuple[ShardEntry, ...]) -> SplitEntry:
        """The split with its totals summed over `shards`."""
        return cls(shards=shards, rows=sum(s.rows for s in shards), tokens=sum(s.tokens for s in shards),
                   documents=sum(s.documents for s in shards),
                   dropped_tail_tokens=sum(s.dropped_tail_tokens for s in shards),
                   dropped_tail_documents=sum(s.dropped_tail_documents for s in shards))

    def to_json(self) -> dict:
        return record_to_json(self) | {"shards": [s.to_json() for s in self.shards]}


@dataclass(frozen=True)
class TokenizerEntry:
    """The tokenizer the shards were made with; `file` is its copy in the dataset."""
    sha256: Optional[str]
    vocab_size: int
    eos_id: int
    eos: Optional[str] = None
    file: Optional[str] = None

    def to_json(self) -> dict:
        return record_to_json(self)


@dataclass(frozen=True)
class MixRow:
    """One source's share of the dataset (manifest "sources", report.json "mix"): documents and tokens in
    the output (copies counted; tokens before tails were dropped, EOS included), what the source had kept,
    the target and realized fractions of output tokens, and repeats = output tokens per kept token. With a
    mix, also what the mix sampled and the tokens it aimed for. A row of a manifest written by other
    tools may lack fields; they read as None."""
    documents: int
    tokens: int
    target_fraction: Optional[float]
    realized_fraction: float
    repeats: float
    available_documents: Optional[int] = None
    available_tokens: Optional[int] = None
    documents_sampled: Optional[int] = None
    tokens_sampled: Optional[int] = None
    target_tokens: Optional[int] = None

    @classmethod
    def from_json(cls, obj: dict) -> MixRow:
        return cls(**{f.name: obj.get(f.name) for f in fields(cls)})

    def to_json(self) -> dict:
        return record_to_json(self)


@dataclass(frozen=True)
class Manifest:
    seq_len: int
    dtype: str  # uint16 or uint32
    tokenizer: TokenizerEntry
    seed: int
    splits: dict[str, SplitEntry]
    sources: dict[str, MixRow] = field(default_factory=dict)
    validation_fraction: Optional[float] = None
    root: str = ""  # the dataset folder or URL the manifest was read from (not in manifest.json)

    @property
    def row_len(self) -> int:
        return self.seq_len + 1

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    @property
    def eos_id(self) -> int:
        return self.tokenizer.eos_id

    @property
    def tokenizer_sha256(self) -> str:
        return str(self.tokenizer.sha256 or "")

    def shards(self, split: str) -> tuple[ShardEntry, ...]:
        return self.splits[split].shards if split in self.splits else ()

    def rows(self, split: str) -> int:
        return sum(s.rows for s in self.shards(split))

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever any shard's content or the row layout changes."""
        layout = [self.seq_len, self.dtype,
                  {k: [(s.path, s.rows, s.xxh64) for s in v.shards] for k, v in sorted(self.splits.items())}]
        return hashlib.sha256(json.dumps(layout).encode()).hexdigest()[:16]

    def shard_location(self, shard: ShardEntry) -> str:
        """Where the shard is; a local one must lie inside the dataset folder once symlinks are followed."""
        location = join(self.root, shard.path)
        if is_remote(self.root):
            return location
        try:
            return check_local_inside(self.root, location, f"shard {shard.path}:")
        except UnsafePath as e:
            raise DatasetError(str(e)) from None

    def to_json(self) -> dict:
        out = {"format": FORMAT, "seq_len": self.seq_len, "dtype": self.dtype, "tokenizer": self.tokenizer.to_json(),
               "seed": self.seed, "splits": {name: split.to_json() for name, split in self.splits.items()},
               "sources": {name: row.to_json() for name, row in self.sources.items()}}
        if self.validation_fraction is not None:
            out["validation_fraction"] = self.validation_fraction
        return out

    @classmethod
    def from_json(cls, raw, where: str = "manifest.json", root: str = "") -> Manifest:
        """The manifest in `raw` (parsed JSON). A DatasetError names `where` and lists every problem, each
        naming its field (pipeline.dataset.manifest_problems): a field missing, of the wrong type or out of
        range, a path leading outside the dataset. Split totals against their shards are checked by
        read_manifest and verify."""
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            found = raw.get("format") if isinstance(raw, dict) else raw
            raise DatasetError(f"{where}: format is {found!r}, expected {FORMAT!r}")
        problems = manifest_problems(raw)
        if problems:
            raise DatasetError(f"{where} is malformed:\n  " + "\n  ".join(problems))
        splits = {name: record_from_json(SplitEntry, {k: v for k, v in obj.items() if k != "shards"}
                                         | {"shards": tuple(record_from_json(ShardEntry, s) for s in obj["shards"])})
                  for name, obj in raw["splits"].items()}
        return cls(seq_len=raw["seq_len"], dtype=raw["dtype"], tokenizer=record_from_json(TokenizerEntry, raw["tokenizer"]),
                   seed=raw["seed"], splits=splits,
                   sources={name: MixRow.from_json(row) for name, row in raw.get("sources", {}).items()},
                   validation_fraction=raw.get("validation_fraction"), root=root)


def read_manifest(root: str) -> Manifest:
    """The manifest of the dataset at `root` (a folder or fsspec URL), refused with a DatasetError unless
    it can be trained on: every split's rows match its shards, the vocabulary fits the dtype and the
    train split holds rows. The pipeline writes the manifest last, so a folder without one is an
    unfinished run and is refused."""
    where = join(root, "manifest.json")
    try:
        with open_binary(where) as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise DatasetError(
            f"{root}: no manifest.json; not a finished tokenmill dataset (an interrupted `tokenmill run` "
            "leaves none)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DatasetError(f"{where}: not valid JSON: {e}") from None
    manifest = Manifest.from_json(raw, where, root)
    if manifest.dtype == "uint16" and manifest.vocab_size > 1 << 16:  # verify compares it with tokenizer.json
        raise DatasetError(f"{where}: vocab_size {manifest.vocab_size} does not fit dtype uint16")
    for name, split in manifest.splits.items():
        held = sum(s.rows for s in split.shards)
        if split.rows is not None and split.rows != held:
            raise DatasetError(f"{where}.splits.{name}: rows is {split.rows} but its shards hold {held}")
    if not any(s.rows for s in manifest.shards(TRAIN)):
        raise DatasetError(f"{where}: the train split holds no rows")
    return manifest


def check_compatible(manifest: Manifest, seq_len: int | None = None, tokenizer_sha256: str | None = None) -> None:
    """Refuses a dataset that does not fit what the config expects (the model's vocabulary and context
    are taken from the manifest, so they always fit)."""
    if seq_len is not None and seq_len != manifest.seq_len:
        raise DatasetError(f"{manifest.root}: dataset seq_len is {manifest.seq_len}, the model expects {seq_len}")
    if tokenizer_sha256 and manifest.tokenizer_sha256 != tokenizer_sha256:
        raise DatasetError(
            f"{manifest.root}: dataset was tokenized with tokenizer sha256 {manifest.tokenizer_sha256[:12]}..., "
            f"expected {tokenizer_sha256[:12]}...")
