"""Arrow IPC shard files (the contract's "Shard format"): writing with a running xxh64, reading back.

Rows go out in record batches of a fixed number of rows, so the same rows always give the same bytes.
"""
from __future__ import annotations

from typing import BinaryIO, Iterable

import numpy as np
import pyarrow as pa
import xxhash

INPUT_IDS = "input_ids"
BATCH_ROWS = 1024


def shard_schema(seq_len: int, dtype) -> pa.Schema:
    value_type = pa.uint16() if np.dtype(dtype) == np.uint16 else pa.uint32()
    return pa.schema([pa.field(INPUT_IDS, pa.list_(value_type, seq_len + 1), nullable=False)])


def rows_to_batch(rows: np.ndarray, schema: pa.Schema) -> pa.RecordBatch:
    list_type = schema.field(INPUT_IDS).type
    values = pa.array(np.ascontiguousarray(rows).reshape(-1), type=list_type.value_type)
    return pa.RecordBatch.from_arrays([pa.FixedSizeListArray.from_arrays(values, list_type.list_size)], schema=schema)


class _HashingSink:
    """A write-only file wrapper that hashes every byte it forwards."""

    def __init__(self, f: BinaryIO):
        self._f = f
        self.hasher = xxhash.xxh64()
        self.closed = False

    def write(self, data) -> int:
        data = bytes(data)
        self.hasher.update(data)
        self._f.write(data)
        return len(data)

    def flush(self):
        self._f.flush()

    def close(self):
        self.closed = True


def write_shard(f: BinaryIO, row_blocks: Iterable[np.ndarray], seq_len: int, dtype) -> tuple[int, str]:
    """Writes blocks of rows (each (n, seq_len + 1)) to `f`; returns (rows, xxh64 hex of the bytes)."""
    schema = shard_schema(seq_len, dtype)
    sink = _HashingSink(f)
    rows = 0
    pending = np.empty((0, seq_len + 1), dtype=dtype)
    with pa.ipc.new_file(pa.PythonFile(sink, mode="w"), schema) as writer:
        for block in row_blocks:
            pending = np.concatenate([pending, block]) if len(pending) else block
            while len(pending) >= BATCH_ROWS:
                writer.write_batch(rows_to_batch(pending[:BATCH_ROWS], schema))
                rows += BATCH_ROWS
                pending = pending[BATCH_ROWS:]
        if len(pending):
            writer.write_batch(rows_to_batch(pending, schema))
            rows += len(pending)
    return rows, sink.hasher.hexdigest()


def read_shard_rows(path: str) -> np.ndarray:
    """All rows of a local shard as a (rows, seq_len + 1) array, through a memory map."""
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    col = table.column(INPUT_IDS).combine_chunks()
    width = col.type.list_size
    return col.flatten().to_numpy(zero_copy_only=False).reshape(-1, width)


def xxh64_file(f: BinaryIO) -> str:
    h = xxhash.xxh64()
    for chunk in iter(lambda: f.read(1 << 22), b""):
        h.update(chunk)
    return h.hexdigest()
