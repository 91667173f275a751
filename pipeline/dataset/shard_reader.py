"""Reading a shard: its `input_ids` column as (rows, seq_len + 1) token matrices, one per record batch,
viewed in place. A local file is memory-mapped, so the OS pages it in on demand and memory does not grow
with the shard; a remote one is read from its bytes.

`ShardReader` reports what the file holds (`verify` checks it against the manifest and lists every
problem); `open_shard` and `verify_shard` are the trainer's strict versions, which refuse a shard that
does not match its manifest entry with a DatasetError naming it.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa

from pipeline.dataset.files import file_xxh64
from pipeline.dataset.format import ARROW_TYPES, INPUT_IDS
from pipeline.dataset.manifest import DatasetError, Manifest, ShardEntry


class ShardReader:
    """The rows of one Arrow IPC shard. Opening reads the footer and the record batches' headers; token
    ids are read (paged in) only when used. Raises pa.ArrowInvalid for a file that is not Arrow IPC."""

    def __init__(self, source: pa.NativeFile):
        self._source = source
        try:
            self._file = pa.ipc.open_file(source)
            self.schema = self._file.schema
            column = self.schema.get_field_index(INPUT_IDS)
            self._columns = ([self._file.get_batch(b).column(column) for b in range(self._file.num_record_batches)]
                             if column >= 0 else [])
        except BaseException:
            source.close()
            raise
        self._blocks: list[np.ndarray] | None = None
        self.name = ""  # the manifest's path of the shard, for messages
        self.vocab_size: int | None = None  # when set, `take` refuses token ids at or above it

    @classmethod
    def open(cls, path: str) -> ShardReader:
        """A local shard file, memory-mapped."""
        return cls(pa.memory_map(path.removeprefix("file://"), "r"))

    @classmethod
    def of_bytes(cls, data: bytes) -> ShardReader:
        return cls(pa.BufferReader(data))

    @property
    def column_type(self) -> pa.DataType | None:
        """The type of the input_ids column; None when there is none."""
        return self.schema.field(INPUT_IDS).type if INPUT_IDS in self.schema.names else None

    @property
    def rows(self) -> int:
        return sum(len(c) for c in self._columns)

    @property
    def null_rows(self) -> int:
        return sum(c.null_count for c in self._columns)

    def token_values(self) -> Iterator[np.ndarray]:
        """Every record batch's token ids, flattened (a view unless the batch has null rows)."""
        for column in self._columns:
            yield column.flatten().to_numpy(zero_copy_only=False)

    def blocks(self) -> list[np.ndarray]:
        """One (rows, row_len) view per record batch (concatenating them would copy the shard into
        memory). Needs a fixed-size list column without null rows."""
        if self._blocks is None:
            width = self.column_type.list_size
            self._blocks = [c.flatten().to_numpy(zero_copy_only=True).reshape(len(c), width) for c in self._columns]
            self._starts = np.cumsum([0] + [len(b) for b in self._blocks])
        return self._blocks

    def take(self, rows: np.ndarray) -> np.ndarray:
        """A (len(rows), seq_len + 1) copy of the rows at these indices, in the order given."""
        blocks = self.blocks()
        rows = np.asarray(rows, dtype=np.int64)
        if len(blocks) == 1:
            out = blocks[0][rows]
        else:
            out = np.empty((len(rows), blocks[0].shape[1]), dtype=blocks[0].dtype)
            block = np.searchsorted(self._starts, rows, side="right") - 1
            for b in np.unique(block):
                sel = block == b
                out[sel] = blocks[b][rows[sel] - self._starts[b]]
        if self.vocab_size is not None:
            top = out.max(initial=0)
            if top >= self.vocab_size:
                raise DatasetError(f"shard {self.name}: token id {int(top)} >= vocab_size {self.vocab_size}")
        return out

    def close(self) -> None:
        self._blocks = None
        self._columns = []
        self._source.close()


def open_shard(local_path: str, entry: ShardEntry, manifest: Manifest) -> ShardReader:
    """The shard at `local_path` once its layout and row count match the manifest; DatasetError naming it
    otherwise. Its `take` refuses token ids outside the vocabulary."""
    try:
        reader = ShardReader.open(local_path)
    except FileNotFoundError:
        raise DatasetError(f"shard {entry.path}: file not found at {local_path}") from None
    except pa.ArrowInvalid as e:
        raise DatasetError(f"shard {entry.path}: not an Arrow IPC file ({e})") from None
    try:
        field_type = reader.column_type
        expected = pa.list_(ARROW_TYPES[manifest.dtype], manifest.row_len)
        fits = (field_type is not None and pa.types.is_fixed_size_list(field_type)
                and field_type.list_size == manifest.row_len and field_type.value_type == expected.value_type)
        if not fits:
            got = field_type if field_type is not None else f"no input_ids column (columns: {reader.schema.names})"
            raise DatasetError(f"shard {entry.path}: expected input_ids: {expected}, got {got}")
        if reader.null_rows:
            raise DatasetError(f"shard {entry.path}: input_ids has {reader.null_rows} null rows")
        if reader.rows != entry.rows:
            raise DatasetError(f"shard {entry.path}: holds {reader.rows} rows, the manifest says {entry.rows}")
    except BaseException:
        reader.close()
        raise
    reader.name, reader.vocab_size = entry.path, manifest.vocab_size
    return reader


def verify_shard(local_path: str, entry: ShardEntry, manifest: Manifest) -> None:
    """Checksum and layout of one local shard against its manifest entry; raises DatasetError naming it."""
    try:
        digest = file_xxh64(local_path)
    except FileNotFoundError:
        raise DatasetError(f"shard {entry.path}: missing (no file at {local_path})") from None
    if digest != entry.xxh64:
        raise DatasetError(
            f"shard {entry.path}: xxh64 is {digest}, the manifest says {entry.xxh64} (corrupt or replaced)")
    open_shard(local_path, entry, manifest).close()


def read_shard_rows(path: str) -> np.ndarray:
    """Every row of a local shard as one (rows, seq_len + 1) array (a copy)."""
    shard = ShardReader.open(path)
    try:
        blocks = shard.blocks()
        if not blocks:
            return np.empty((0, shard.column_type.list_size), dtype=shard.column_type.value_type.to_pandas_dtype())
        return np.concatenate(blocks)
    finally:
        shard.close()
