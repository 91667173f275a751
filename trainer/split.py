"""Rows of one split (train or validation), read from its shards by (shard, row). Torch-free.

Shards are opened lazily, local ones in place and remote ones through the `ShardCache`. At most
`max_open` are kept open (least recently used closed first), so open memory maps stay bounded
whatever the number of shards.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from pipeline.dataset.manifest import DatasetError, Manifest
from pipeline.dataset.paths import is_remote
from pipeline.dataset.shard_reader import ShardReader, open_shard, verify_shard
from trainer.cache import ShardCache


class SplitReader:
    def __init__(self, manifest: Manifest, split: str, cache: ShardCache | None = None, max_open: int = 4):
        self.manifest = manifest
        self.split = split
        self.shards = manifest.shards(split)
        self.remote = is_remote(manifest.root)
        if self.remote and cache is None:
            raise DatasetError(f"{manifest.root}: a remote dataset needs a shard cache (cache_dir)")
        self.cache = cache
        self.max_open = max_open
        self._open: OrderedDict[int, ShardReader] = OrderedDict()

    @property
    def shard_rows(self) -> list[int]:
        return [s.rows for s in self.shards]

    @property
    def rows(self) -> int:
        return sum(self.shard_rows)

    def local_path(self, index: int) -> str:
        info = self.shards[index]
        location = self.manifest.shard_location(info)
        return self.cache.fetch(location, info) if self.remote else location.removeprefix("file://")

    def reader(self, index: int) -> ShardReader:
        if index in self._open:
            self._open.move_to_end(index)
            return self._open[index]
        if len(self._open) >= self.max_open:
            self._open.popitem(last=False)[1].close()
        reader = open_shard(self.local_path(index), self.shards[index], self.manifest)
        self._open[index] = reader
        return reader

    def gather(self, shards: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """A (len(rows), seq_len + 1) array of the requested rows, in the order requested."""
        if len(shards) and shards.min() == shards.max():  # the usual case: rows of one shard are read together
            return self.reader(int(shards[0])).take(rows)
        dtype = np.uint16 if self.manifest.dtype == "uint16" else np.uint32
        out = np.empty((len(rows), self.manifest.row_len), dtype=dtype)
        for s in dict.fromkeys(shards.tolist()):  # shards in first-use order
            sel = np.flatnonzero(shards == s)
            out[sel] = self.reader(s).take(rows[sel])
        return out

    def verify(self, indices) -> None:
        """Checks the xxh64 and layout of the given shards (remote ones are verified as they download)."""
        for i in indices:
            if self.remote:
                self.local_path(i)
            else:
                verify_shard(self.local_path(i), self.shards[i], self.manifest)

    def close(self) -> None:
        while self._open:
            self._open.popitem()[1].close()
