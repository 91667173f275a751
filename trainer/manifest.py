"""Reading and checking a built dataset's `manifest.json` (format `tokenmill.shards/1`).

Torch-free: the trainer's data loader, the benchmarks and tests use it alike. A dataset is a local
folder or any fsspec URL (`gs://`, `s3://`, `memory://`); shard paths in the manifest are relative
to it and must stay inside it (no `..`, no absolute path, no symlink leading out), and a shard's xxh64
(a cache file name for remote shards) must be 16 hex digits. Every problem is a `DatasetError` (a
`ValueError`) naming the dataset, shard or field.
"""
from __future__ import annotations

import hashlib
import json
import os
import posixpath
from dataclasses import dataclass

import xxhash

from pipeline.config_base import MAX_SEQ_LEN
from pipeline.dataset_paths import XXH64_HEX, UnsafePath, check_local_inside, relative_path_problem

FORMAT = "tokenmill.shards/1"
DTYPES = ("uint16", "uint32")


class DatasetError(ValueError):
    """A dataset the trainer refuses to read; the message names the dataset, shard or field."""


@dataclass(frozen=True)
class ShardInfo:
    path: str  # relative to the dataset root, as the manifest writes it
    rows: int
    tokens: int
    xxh64: str


@dataclass(frozen=True)
class Manifest:
    root: str  # the dataset folder or URL the manifest was read from
    seq_len: int
    dtype: str
    vocab_size: int
    eos_id: int
    tokenizer_sha256: str
    seed: int
    splits: dict[str, tuple[ShardInfo, ...]]
    fingerprint: str  # changes whenever any shard's content or the row layout changes

    @property
    def row_len(self) -> int:
        return self.seq_len + 1

    def shards(self, split: str) -> tuple[ShardInfo, ...]:
        return self.splits.get(split, ())

    def rows(self, split: str) -> int:
        return sum(s.rows for s in self.shards(split))

    def shard_location(self, shard: ShardInfo) -> str:
        """Where the shard is; a local one must lie inside the dataset folder once symlinks are followed."""
        location = join(self.root, shard.path)
        if is_remote(self.root):
            return location
        try:
            return check_local_inside(self.root, location, f"shard {shard.path}:")
        except UnsafePath as e:
            raise DatasetError(str(e)) from None


def is_remote(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def join(root: str, rel: str) -> str:
    if is_remote(root):
        return posixpath.join(root.rstrip("/"), rel)
    return os.path.join(root.removeprefix("file://"), rel)


def _open(path: str):
    if is_remote(path):
        import fsspec

        return fsspec.open(path, "rb").open()
    return open(path.removeprefix("file://"), "rb")


def _field(obj: dict, key: str, kind, where: str):
    if key not in obj:
        raise DatasetError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DatasetError(f"{where}: field {key!r} must be {kind.__name__ if isinstance(kind, type) else kind}, got {value!r}")
    return value


def _parse_split(name: str, obj, where: str) -> tuple[ShardInfo, ...]:
    if not isinstance(obj, dict):
        raise DatasetError(f"{where}.splits.{name}: must be a mapping")
    raw_shards = _field(obj, "shards", list, f"{where}.splits.{name}")
    shards = []
    for i, s in enumerate(raw_shards):
        at = f"{where}.splits.{name}.shards.{i}"
        if not isinstance(s, dict):
            raise DatasetError(f"{at}: must be a mapping")
        shard = ShardInfo(
            path=_field(s, "path", str, at),
            rows=_field(s, "rows", int, at),
            tokens=_field(s, "tokens", int, at),
            xxh64=_field(s, "xxh64", str, at),
        )
        if shard.rows < 0 or shard.tokens < 0:
            raise DatasetError(f"{at}: negative rows or tokens")
        if relative_path_problem(shard.path):
            raise DatasetError(f"{at}: path {shard.path!r} {relative_path_problem(shard.path)}")
        if not XXH64_HEX.match(shard.xxh64):
            raise DatasetError(f"{at}: xxh64 must be 16 lowercase hex digits, got {shard.xxh64!r}")
        shards.append(shard)
    rows = obj.get("rows")
    if rows is not None and rows != sum(s.rows for s in shards):
        raise DatasetError(f"{where}.splits.{name}: rows is {rows} but its shards hold {sum(s.rows for s in shards)}")
    return tuple(shards)


def read_manifest(root: str) -> Manifest:
    """Reads `root/manifest.json`. The pipeline writes it last, so a folder without one is an
    unfinished run and is refused."""
    where = join(root, "manifest.json")
    try:
        with _open(where) as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise DatasetError(
            f"{root}: no manifest.json; not a finished tokenmill dataset (an interrupted `tokenmill run` "
            "leaves none)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DatasetError(f"{where}: not valid JSON: {e}") from None
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
    vocab_size = _field(tok, "vocab_size", int, f"{where}: tokenizer")
    eos_id = _field(tok, "eos_id", int, f"{where}: tokenizer")
    if not 0 <= eos_id < vocab_size:
        raise DatasetError(f"{where}: tokenizer.eos_id {eos_id} is outside the vocabulary (size {vocab_size})")
    if dtype == "uint16" and vocab_size > 1 << 16:
        raise DatasetError(f"{where}: vocab_size {vocab_size} does not fit dtype uint16")
    splits_raw = _field(raw, "splits", dict, where)
    if "train" not in splits_raw:
        raise DatasetError(f"{where}: splits has no 'train'")
    splits = {name: _parse_split(name, obj, where) for name, obj in splits_raw.items()}
    if not any(s.rows for s in splits["train"]):
        raise DatasetError(f"{where}: the train split holds no rows")
    layout = json.dumps([seq_len, dtype, {k: [(s.path, s.rows, s.xxh64) for s in v] for k, v in sorted(splits.items())}])
    return Manifest(
        root=root, seq_len=seq_len, dtype=dtype, vocab_size=vocab_size, eos_id=eos_id,
        tokenizer_sha256=str(tok.get("sha256", "")), seed=int(raw.get("seed", 0)), splits=splits,
        fingerprint=hashlib.sha256(layout.encode()).hexdigest()[:16],
    )


def file_xxh64(path: str, chunk: int = 1 << 22) -> str:
    h = xxhash.xxh64()
    with _open(path) as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def check_compatible(manifest: Manifest, seq_len: int | None = None, tokenizer_sha256: str | None = None) -> None:
    """Refuses a dataset that does not fit what the config expects (the model's vocabulary and context
    are taken from the manifest, so they always fit)."""
    if seq_len is not None and seq_len != manifest.seq_len:
        raise DatasetError(f"{manifest.root}: dataset seq_len is {manifest.seq_len}, the model expects {seq_len}")
    if tokenizer_sha256 and manifest.tokenizer_sha256 != tokenizer_sha256:
        raise DatasetError(
            f"{manifest.root}: dataset was tokenized with tokenizer sha256 {manifest.tokenizer_sha256[:12]}..., "
            f"expected {tokenizer_sha256[:12]}...")
