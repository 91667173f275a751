"""Pure record readers, one module per format: a `FileSplit` in, Documents and ReadErrors out.

Each reader takes an `open_file(path) -> binary file object` so the Beam transform can pass Beam's
FileSystems (gs://, s3://, local) while tests pass the builtin `open`. Splits let a runner spread one
big file over workers: byte ranges for uncompressed JSONL, row groups for Parquet, whole files otherwise.

A format is a reader module plus one entry in READERS (and in `plan_splits` when one file may be several
splits); the readers import only `pipeline.readers.base` and `pipeline.readers.streams`.
"""
from __future__ import annotations

from typing import Callable, Iterator

from pipeline.document import ReadError
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields
from pipeline.readers.jsonl import plan_jsonl_splits, read_jsonl
from pipeline.readers.parquet import plan_parquet_splits, read_parquet
from pipeline.readers.text import read_text
from pipeline.readers.warc import read_warc

__all__ = ["FileSplit", "RecordFields", "READERS", "plan_splits", "read_split"]

# The reader of each `format` a source or an evaluation set may name.
READERS: dict[str, Callable[[FileSplit, RecordFields, OpenFile], Iterator[Record]]] = {
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "text": read_text,
    "warc": read_warc,
}

# Uncompressed JSONL files bigger than this are read as several byte-range splits.
DEFAULT_SPLIT_BYTES = 64 * 1024 * 1024


def plan_splits(source: str, fmt: str, path: str, rel_path: str, size: int, open_file: OpenFile,
                split_bytes: int = DEFAULT_SPLIT_BYTES) -> list[FileSplit]:
    if fmt == "jsonl":
        return plan_jsonl_splits(source, path, rel_path, size, split_bytes)
    if fmt == "parquet":
        return plan_parquet_splits(source, path, rel_path, open_file)
    return [FileSplit(source, fmt, path, rel_path)]


def read_split(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    """Every record of the split. Readers report damage inside a file themselves, where they know the
    position; a file that cannot be read at all (permissions, gone since it was listed) is one ReadError
    here, so no file ends the job."""
    if split.format not in READERS:
        raise ValueError(f"unknown format {split.format!r}")
    return _unless_unreadable(READERS[split.format](split, fields, open_file), split)


def _unless_unreadable(records: Iterator[Record], split: FileSplit) -> Iterator[Record]:
    yielded = 0
    try:
        for record in records:
            yield record
            yielded += 1
    except OSError as e:
        after = f" after {yielded:,} record(s) of this split" if yielded else ""
        yield ReadError(split.source, split.path, split.start, f"file unreadable{after}: {type(e).__name__}: {e}")
