"""Writing a shard: rows go out in record batches of BATCH_ROWS rows through a sink that hashes every
byte it forwards, so the manifest's xxh64 comes without reading the file back."""
from __future__ import annotations

from typing import BinaryIO, Iterable

import numpy as np
import pyarrow as pa
import xxhash

from pipeline.dataset.format import BATCH_ROWS, rows_to_batch, shard_schema


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
