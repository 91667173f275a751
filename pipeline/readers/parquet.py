"""Parquet: one split per row group. Record position = row index in the file.

A file whose footer cannot be read (truncated, not Parquet) is planned as one split and read as one
ReadError; a row group that cannot be decoded is one ReadError at its first row."""
from __future__ import annotations

from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.document import ReadError
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields, document_from_record

PARQUET_ERRORS = (pa.ArrowException, OSError, ValueError, EOFError)


def plan_parquet_splits(source: str, path: str, rel_path: str, open_file: OpenFile) -> list[FileSplit]:
    try:
        with open_file(path) as f:
            groups = pq.ParquetFile(f).metadata.num_row_groups
    except PARQUET_ERRORS:  # read_parquet reports it as a ReadError
        groups = 1
    return [FileSplit(source, "parquet", path, rel_path, g, None) for g in range(max(groups, 1))]


def read_parquet(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    with open_file(split.path) as f:
        try:
            pf = pq.ParquetFile(f)
        except PARQUET_ERRORS as e:
            yield ReadError(split.source, split.path, 0, f"not a readable Parquet file (truncated or corrupt?): "
                                                         f"{type(e).__name__}: {e}")
            return
        if pf.metadata.num_row_groups == 0:
            return
        first_row = sum(pf.metadata.row_group(g).num_rows for g in range(split.start))
        names = set(pf.schema_arrow.names)
        wanted = [c for c in (*fields.text_fields, fields.id_field, fields.url_field) if c and c in names]
        try:
            table = pf.read_row_group(split.start, columns=wanted)
            rows = table.to_pylist()
        except PARQUET_ERRORS as e:
            n = pf.metadata.row_group(split.start).num_rows
            yield ReadError(split.source, split.path, first_row,
                            f"row group {split.start} ({n:,} rows from row {first_row:,}) unreadable "
                            f"(truncated or corrupt?): {type(e).__name__}: {e}")
            return
    missing = [c for c in fields.text_fields if c not in names]
    if missing:
        for i in range(table.num_rows or pf.metadata.row_group(split.start).num_rows):
            yield ReadError(split.source, split.path, first_row + i, f"missing column {missing[0]!r}")
        return
    for i, row in enumerate(rows):
        null = [c for c in fields.text_fields if row.get(c) is None]
        if null:
            yield ReadError(split.source, split.path, first_row + i, f"field {null[0]!r} is null")
            continue
        yield document_from_record(row, fields, split, first_row + i)
