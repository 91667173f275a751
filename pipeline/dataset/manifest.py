"""manifest.json, the dataset's table of contents and its commit point (the pipeline writes it last), as
a `Manifest`: seq_len, dtype, the tokenizer, the seed, each split's shards with their sizes and xxh64,
and the realized-versus-target mix per source. It holds no timestamps, so the same config gives the same
manifest.

`Manifest.from_json` is the strict reader the trainer relies on: it raises a DatasetError (a ValueError)
naming the file and field at the first field it cannot use, and refuses a shard path that would lead
outside the dataset. `read_manifest` reads a dataset's manifest, local or any fsspec URL, and also
refuses one it cannot train on. `pipeline.dataset.manifest_problems` lists every problem at once
(`tokenmill verify`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Optional

from pipeline.config_base import MAX_SEQ_LEN
from pipeline.dataset.files import open_binary
from pipeline.dataset.format import DTYPES, FORMAT, TRAIN
from pipeline.dataset.paths import XXH64_HEX, UnsafePath, check_local_inside, is_remote, join, relative_path_problem
from pipeline.dataset.records import record_from_json, record_to_json


class DatasetError(ValueError):
    """A dataset the trainer refuses to read; the message names the dataset, shard or field."""


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

    def totals(self) -> dict:
        """The split without its shard list (report.json's "splits")."""
        return {k: v for k, v in self.to_json().items() if k != "shards"}

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
        """The manifest in `raw` (parsed JSON); DatasetError naming `where` and the field at the first one
        that is missing, of the wrong type or out of range. Split totals are not checked against their
        shards here (read_manifest does, verify lists them)."""
        if not isinstance(raw, dict):
            raise DatasetError(f"{where}: must be a JSON object")
        if raw.get("format") != FORMAT:
            raise DatasetError(f"{where}: format is {raw.get('format')!r}, this trainer reads {FORMAT!r}")
        seq_len = _field(raw, "seq_len", int, where)
        if not 1 <= seq_len <= MAX_SEQ_LEN:
            raise DatasetError(f"{where}: seq_len must be from 1 to {MAX_SEQ_LEN:,}, got {seq_len}")
        dtype = _field(raw, "dtype", str, where)
        if dtype not in DTYPES:
            raise DatasetError(f"{where}: dtype must be one of {DTYPES}, got {dtype!r}")
        tok = _field(raw, "tokenizer", dict, where)
        tokenizer = TokenizerEntry(sha256=tok.get("sha256"),
                                   vocab_size=_field(tok, "vocab_size", int, f"{where}: tokenizer"),
                                   eos_id=_field(tok, "eos_id", int, f"{where}: tokenizer"),
                                   eos=tok.get("eos"), file=tok.get("file"))
        if not 0 <= tokenizer.eos_id < tokenizer.vocab_size:
            raise DatasetError(f"{where}: tokenizer.eos_id {tokenizer.eos_id} is outside the vocabulary "
                               f"(size {tokenizer.vocab_size})")
        splits_raw = _field(raw, "splits", dict, where)
        if TRAIN not in splits_raw:
            raise DatasetError(f"{where}: splits has no 'train'")
        sources = raw.get("sources")
        if not isinstance(sources, dict) or not all(isinstance(row, dict) for row in sources.values()):
            sources = {}  # the trainer does not need them; verify names the field
        return cls(seq_len=seq_len, dtype=dtype, tokenizer=tokenizer, seed=int(raw.get("seed", 0)),
                   splits={name: _split_from_json(name, obj, where) for name, obj in splits_raw.items()},
                   sources={name: MixRow.from_json(row) for name, row in sources.items()},
                   validation_fraction=raw.get("validation_fraction"), root=root)


def _field(obj: dict, key: str, kind, where: str):
    if key not in obj:
        raise DatasetError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DatasetError(f"{where}: field {key!r} must be {kind.__name__}, got {value!r}")
    return value


def _shard_from_json(s, at: str) -> ShardEntry:
    if not isinstance(s, dict):
        raise DatasetError(f"{at}: must be a mapping")
    required = {"path": _field(s, "path", str, at), "rows": _field(s, "rows", int, at),
                "tokens": _field(s, "tokens", int, at), "xxh64": _field(s, "xxh64", str, at)}
    shard = record_from_json(ShardEntry, s | required)
    if shard.rows < 0 or shard.tokens < 0:
        raise DatasetError(f"{at}: negative rows or tokens")
    if relative_path_problem(shard.path):
        raise DatasetError(f"{at}: path {shard.path!r} {relative_path_problem(shard.path)}")
    if not XXH64_HEX.match(shard.xxh64):
        raise DatasetError(f"{at}: xxh64 must be 16 lowercase hex digits, got {shard.xxh64!r}")
    return shard


def _split_from_json(name: str, obj, where: str) -> SplitEntry:
    if not isinstance(obj, dict):
        raise DatasetError(f"{where}.splits.{name}: must be a mapping")
    raw_shards = _field(obj, "shards", list, f"{where}.splits.{name}")
    shards = tuple(_shard_from_json(s, f"{where}.splits.{name}.shards.{i}") for i, s in enumerate(raw_shards))
    return record_from_json(SplitEntry, {k: v for k, v in obj.items() if k != "shards"} | {"shards": shards})


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
    if manifest.dtype == "uint16" and manifest.vocab_size > 1 << 16:
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
