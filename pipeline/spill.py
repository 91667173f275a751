"""Intermediate files under OUT/.tmp/: how documents, tokens and per-document keys stay out of the shuffle.

A run keeps every document's text and tokens in files, never in a GroupByKey or a side input. Each input
split (numbered 0..S-1 in a deterministic order) owns its files, named by pass and split number, so a
retried bundle rewrites its own file and nothing is duplicated:

  docs/SPLIT.pkl         the split's readable, non-empty documents as read (a stream of pickled batches)
  curated/SPLIT.pkl      the documents that survived exact/URL/line dedup and the filters, as rewritten
  tokens/SPLIT.bin       their token arrays, concatenated; tokens/SPLIT.idx.pkl: (id, source, mix hash,
                         offset, length) per document
  keys/STAGE/SPLIT.bkt   per-document keys (URL, text, line and MinHash band keys) in `buckets`: one file
                         per split with a header of bucket offsets, so the reducer of bucket b reads one
                         byte range of each split's file (datatrove's and NeMo Curator's layout)
  route/SPLIT.bkt        where each document copy goes: one bucket per output shard

Only bucket numbers, split numbers, decisions (duplicate of X, frequent line keys) and counts cross
Beam's shuffles. Pure file formats here; Beam's FileSystems (local, gs://, s3://) do the I/O.
"""
from __future__ import annotations

import io
import pickle
import struct
from typing import Callable, Iterable, Iterator, Optional

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline.fileio import join, open_raw

BATCH = 512  # records per pickled batch in a record stream
_MAGIC = b"TMBKT1\0\0"


def _create(path: str):
    return FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED)


class SpillPaths:
    """File names under OUT/.tmp/ (see the module docstring)."""

    def __init__(self, tmp: str):
        self.tmp = tmp

    def docs(self, split: int) -> str:
        return join(self.tmp, "docs", f"{split:05d}.pkl")

    def curated(self, split: int) -> str:
        return join(self.tmp, "curated-docs", f"{split:05d}.pkl")

    def tokens(self, split: int) -> str:
        return join(self.tmp, "tokens", f"{split:05d}.bin")

    def token_index(self, split: int) -> str:
        return join(self.tmp, "tokens", f"{split:05d}.idx.pkl")

    def keys(self, stage: str, split: int) -> str:
        return join(self.tmp, "keys", stage, f"{split:05d}.bkt")

    def key_bucket(self, stage: str, bucket: int, splits: int) -> list:
        """One bucket of every split's key file for `stage`, unpickled, in split order."""
        return [read_pickled_bucket(self.keys(stage, split), bucket) for split in range(splits)]

    def signatures(self, split: int) -> str:
        return join(self.tmp, "keys", "signatures", f"{split:05d}.bin")

    def nodes(self, split: int) -> str:
        return join(self.tmp, "keys", "signatures", f"{split:05d}.nodes.pkl")

    def route(self, split: int) -> str:
        return join(self.tmp, "route", f"{split:05d}.bkt")

    @property
    def progress(self) -> str:
        """Workers' progress files (pipeline.transforms.progress), read by the driver on a local run."""
        return join(self.tmp, "progress")

    def output(self, rel: str) -> str:
        """A side output (rejects, errors, curated parquet) staged where the commit moves it from: OUT/.tmp/rel
        goes to OUT/rel (pipeline.output_safety)."""
        return join(self.tmp, rel)


class RecordWriter:
    """Appends picklable records to a file in batches; a context manager."""

    def __init__(self, path: str):
        self._f = _create(path)
        self._batch: list = []
        self.count = 0
        self.bytes = 0

    def write(self, record) -> None:
        self._batch.append(record)
        self.count += 1
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            data = pickle.dumps(self._batch, protocol=pickle.HIGHEST_PROTOCOL)
            self._f.write(data)
            self.bytes += len(data)
            self._batch = []

    def close(self) -> None:
        self._flush()
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_records(path: str, on_progress: Optional[Callable[[float], None]] = None) -> Iterator:
    """The records of a RecordWriter file, in order, one batch in memory at a time. `on_progress` is called
    with the fraction of the file read after each batch."""
    size = FileSystems.match([path])[0].metadata_list[0].size_in_bytes if on_progress else 0
    with open_raw(path) as raw:
        f = io.BufferedReader(raw, 1 << 20) if not isinstance(raw, io.BufferedReader) else raw
        while True:
            try:
                batch = pickle.load(f)
            except EOFError:
                return
            if on_progress and size:
                on_progress(f.tell() / size)
            yield from batch


def write_records(path: str, records: Iterable) -> int:
    with RecordWriter(path) as w:
        for r in records:
            w.write(r)
    return w.count


def write_buckets(path: str, blocks: list[bytes]) -> int:
    """One file of `len(blocks)` buckets: header (magic, count, offsets), then the blocks. Returns bytes."""
    header_len = len(_MAGIC) + 8 + 8 * (len(blocks) + 1)
    offsets, pos = [], header_len
    for b in blocks:
        offsets.append(pos)
        pos += len(b)
    offsets.append(pos)
    with _create(path) as f:
        f.write(_MAGIC + struct.pack("<q", len(blocks)) + struct.pack(f"<{len(offsets)}q", *offsets))
        for b in blocks:
            f.write(b)
    return pos


def read_bucket(path: str, bucket: int) -> bytes:
    """The bytes of one bucket of a write_buckets file (a header read and one range read)."""
    with open_raw(path) as f:
        head = f.read(len(_MAGIC) + 8)
        if head[: len(_MAGIC)] != _MAGIC:
            raise ValueError(f"{path}: not a tokenmill bucket file")
        (count,) = struct.unpack("<q", head[len(_MAGIC):])
        if not 0 <= bucket < count:
            raise ValueError(f"{path}: bucket {bucket} outside 0..{count - 1}")
        f.seek(len(_MAGIC) + 8 + 8 * bucket)
        start, end = struct.unpack("<2q", f.read(16))
        f.seek(start)
        return f.read(end - start)


def pickled_buckets(entries_by_bucket: list[list]) -> list[bytes]:
    return [pickle.dumps(e, protocol=pickle.HIGHEST_PROTOCOL) for e in entries_by_bucket]


def read_pickled_bucket(path: str, bucket: int) -> list:
    return pickle.loads(read_bucket(path, bucket))
