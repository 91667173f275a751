"""Parquet: one split per row group. Record position = row index in the file."""
from __future__ import annotations

from typing import Iterator

import pyarrow.parquet as pq

from pipeline.document import ReadError
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields, document_from_record


def plan_parquet_splits(source: str, path: str, rel_path: str, open_file: OpenFile) -> list[FileSplit]:
    with open_file(path) as f:
        groups = pq.ParquetFile(f).metadata.num_row_groups
    return [FileSplit(source, "parquet", path, rel_path, g, None) for g in range(max(groups, 1))]


def read_parquet(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    with open_file(split.path) as f:
        pf = pq.ParquetFile(f)
        if pf.metadata.num_row_groups == 0:
            return
        first_row = sum(pf.metadata.row_group(g).num_rows for g in range(split.start))
        names = set(pf.schema_arrow.names)
        wanted = [c for c in (fields.text_field, fields.id_field, fields.url_field) if c and c in names]
        table = pf.read_row_group(split.start, columns=wanted)
    if fields.text_field not in names:
        for i in range(table.num_rows or pf.metadata.row_group(split.start).num_rows):
            yield ReadError(split.source, split.path, first_row + i, f"missing column {fields.text_field!r}")
        return
    for i, row in enumerate(table.to_pylist()):
        if row.get(fields.text_field) is None:
            yield ReadError(split.source, split.path, first_row + i, f"field {fields.text_field!r} is null")
            continue
        yield document_from_record(row, fields, split, first_row + i)
