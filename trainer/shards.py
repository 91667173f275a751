"""One Arrow IPC shard, memory-mapped, read as a (rows, seq_len + 1) token matrix without copying.

Torch-free. Opening checks what is cheap to check (schema, row length, row count against the
manifest); `verify_shard` also checks the xxh64 of the file's bytes.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from trainer.manifest import DatasetError, Manifest, ShardInfo, file_xxh64

ARROW_TYPES = {"uint16": pa.uint16(), "uint32": pa.uint32()}


class ShardReader:
    """Rows of one local shard file. The token matrix is a view into the memory map: the OS pages it
    in on demand, so memory does not grow with the shard size."""

    def __init__(self, local_path: str, info: ShardInfo, manifest: Manifest):
        self.path = local_path
        self.info = info
        try:
            self._mmap = pa.memory_map(local_path, "r")
            reader = pa.ipc.open_file(self._mmap)
        except FileNotFoundError:
            raise DatasetError(f"shard {info.path}: file not found at {local_path}") from None
        except pa.ArrowInvalid as e:
            raise DatasetError(f"shard {info.path}: not an Arrow IPC file ({e})") from None
        field = reader.schema.field("input_ids") if "input_ids" in reader.schema.names else None
        expected = pa.list_(ARROW_TYPES[manifest.dtype], manifest.row_len)
        fits = (field is not None and pa.types.is_fixed_size_list(field.type)
                and field.type.list_size == manifest.row_len and field.type.value_type == expected.value_type)
        if not fits:
            got = field.type if field is not None else f"no input_ids column (columns: {reader.schema.names})"
            raise DatasetError(f"shard {info.path}: expected input_ids: {expected}, got {got}")
        # One view per record batch: concatenating them would copy the shard into memory.
        self._blocks: list[np.ndarray] = []
        for b in range(reader.num_record_batches):
            col = reader.get_batch(b).column("input_ids")
            if col.null_count:
                raise DatasetError(f"shard {info.path}: input_ids has {col.null_count} null rows")
            flat = col.flatten().to_numpy(zero_copy_only=True)
            self._blocks.append(flat.reshape(len(col), manifest.row_len))
        self._starts = np.cumsum([0] + [len(b) for b in self._blocks])
        self.rows = int(self._starts[-1])
        if self.rows != info.rows:
            raise DatasetError(f"shard {info.path}: holds {self.rows} rows, the manifest says {info.rows}")
        self.vocab_size = manifest.vocab_size

    def take(self, rows: np.ndarray) -> np.ndarray:
        """A (len(rows), seq_len + 1) copy of the rows at these indices, in the order given."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(self._blocks) == 1:
            out = self._blocks[0][rows]
        else:
            out = np.empty((len(rows), self._blocks[0].shape[1]), dtype=self._blocks[0].dtype)
            block = np.searchsorted(self._starts, rows, side="right") - 1
            for b in np.unique(block):
                sel = block == b
                out[sel] = self._blocks[b][rows[sel] - self._starts[b]]
        top = out.max(initial=0)
        if top >= self.vocab_size:
            raise DatasetError(f"shard {self.info.path}: token id {int(top)} >= vocab_size {self.vocab_size}")
        return out

    def close(self) -> None:
        self._blocks = []
        self._mmap.close()


def verify_shard(local_path: str, info: ShardInfo, manifest: Manifest) -> None:
    """Checksum and layout of one shard against its manifest entry; raises DatasetError naming it."""
    try:
        digest = file_xxh64(local_path)
    except FileNotFoundError:
        raise DatasetError(f"shard {info.path}: missing (no file at {local_path})") from None
    if digest != info.xxh64:
        raise DatasetError(f"shard {info.path}: xxh64 is {digest}, the manifest says {info.xxh64} (corrupt or replaced)")
    ShardReader(local_path, info, manifest).close()
