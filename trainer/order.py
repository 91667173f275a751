"""The order in which training rows are read, and how it is cut between processes. Torch-free.

The training stream is one infinite sequence of positions t = 0, 1, 2, ...; position t is sample
t % N of epoch t // N (N = rows in the train split). Each epoch visits every row once: shards in an
order drawn from (seed, epoch), and within each shard its rows in an order drawn from (seed, epoch,
shard). Keeping a shard's rows together keeps reads local (and remote shards downloaded once per
epoch); the pipeline has already shuffled rows globally across shards.

Optimizer step s consumes the positions [s*G, (s+1)*G) with G = batch_size * grad_accum * world_size.
Rank r takes the contiguous slice [r*B*A, (r+1)*B*A) of that window and cuts it into A micro-batches
of B. So the set of rows behind each step depends on G alone, never on world size, worker count or
how G is split, and the whole resume state is the number of positions consumed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import xxhash

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer (Steele, Lea & Flood 2014): a bijection on uint64, so distinct inputs
    give distinct sort keys. Written out rather than numpy's Generator, whose streams numpy may change
    between releases: resume must stay exact across upgrades."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def _salt(*parts) -> np.uint64:
    return np.uint64(xxhash.xxh64_intdigest("/".join(str(p) for p in parts).encode()))


def shard_order(n_shards: int, seed: int, epoch: int) -> np.ndarray:
    keys = np.array([xxhash.xxh64_intdigest(f"{seed}/{epoch}/shard/{i}".encode()) for i in range(n_shards)], dtype=np.uint64)
    return np.argsort(keys, kind="stable")


def row_order(rows: int, seed: int, epoch: int, shard: int) -> np.ndarray:
    """A permutation of range(rows); memory O(rows of this shard)."""
    with np.errstate(over="ignore"):
        keys = mix64(np.arange(rows, dtype=np.uint64) + _salt(seed, epoch, "rows", shard))
    return np.argsort(keys, kind="stable")


class EpochOrder:
    """Maps positions within one epoch to (shard, row). Holds the shard order plus the row orders of
    the two shards used last (memory O(rows per shard), not O(rows in the split))."""

    def __init__(self, shard_rows: Sequence[int], seed: int, epoch: int, shuffle: bool = True):
        self.shard_rows = np.asarray(shard_rows, dtype=np.int64)
        self.seed, self.epoch, self.shuffle = seed, epoch, shuffle
        n = len(self.shard_rows)
        self.order = shard_order(n, seed, epoch) if shuffle else np.arange(n)
        self.ends = np.cumsum(self.shard_rows[self.order])
        self.total = int(self.ends[-1]) if n else 0
        self._perms: dict[int, np.ndarray] = {}

    def _rows_of(self, shard: int) -> np.ndarray:
        if shard not in self._perms:
            if len(self._perms) >= 2:
                self._perms.pop(next(iter(self._perms)))
            rows = int(self.shard_rows[shard])
            self._perms[shard] = row_order(rows, self.seed, self.epoch, shard) if self.shuffle else np.arange(rows)
        return self._perms[shard]

    def locate(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(shard index, row index) for each position in [0, total)."""
        positions = np.asarray(positions, dtype=np.int64)
        assert positions.size == 0 or (positions.min() >= 0 and positions.max() < self.total)
        k = np.searchsorted(self.ends, positions, side="right")
        shards = self.order[k]
        local = positions - (self.ends[k] - self.shard_rows[shards])
        rows = np.empty_like(local)
        for s in np.unique(shards):
            sel = shards == s
            rows[sel] = self._rows_of(int(s))[local[sel]]
        return shards, rows


class SampleStream:
    """The infinite training stream: position t -> (shard, row) across epochs."""

    def __init__(self, shard_rows: Sequence[int], seed: int, shuffle: bool = True):
        self.shard_rows = list(shard_rows)
        self.seed, self.shuffle = seed, shuffle
        self.epoch_size = int(sum(self.shard_rows))
        assert self.epoch_size > 0, "an empty split has no stream"
        self._epoch: EpochOrder | None = None

    def _order(self, epoch: int) -> EpochOrder:
        if self._epoch is None or self._epoch.epoch != epoch:
            self._epoch = EpochOrder(self.shard_rows, self.seed, epoch, self.shuffle)
        return self._epoch

    def locate(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        positions = np.asarray(positions, dtype=np.int64)
        epochs = positions // self.epoch_size
        shards = np.empty_like(positions)
        rows = np.empty_like(positions)
        for e in np.unique(epochs):
            sel = epochs == e
            shards[sel], rows[sel] = self._order(int(e)).locate(positions[sel] - e * self.epoch_size)
        return shards, rows


@dataclass(frozen=True)
class Partition:
    """Who reads what: one process (rank) of `world_size`, with micro-batches of `batch_size` and
    `grad_accum` micro-batches per optimizer step."""

    batch_size: int
    grad_accum: int = 1
    rank: int = 0
    world_size: int = 1

    def __post_init__(self):
        assert 0 <= self.rank < self.world_size and self.batch_size >= 1 and self.grad_accum >= 1

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.grad_accum * self.world_size

    def micro_batch(self, j: int, start: int = 0) -> np.ndarray:
        """Stream positions of this rank's j-th micro-batch after `start` positions were consumed
        (`start` is a multiple of the global batch when resuming at a step boundary)."""
        step, micro = divmod(j, self.grad_accum)
        base = start + step * self.global_batch + (self.rank * self.grad_accum + micro) * self.batch_size
        return np.arange(base, base + self.batch_size, dtype=np.int64)


def worker_micro_batches(worker: int, num_workers: int):
    """DataLoader worker w produces micro-batches w, w + W, w + 2W, ...; the DataLoader reads its
    workers round-robin, so the process sees micro-batches 0, 1, 2, ... in order."""
    j = worker
    while True:
        yield j
        j += num_workers


def eval_positions(rows_available: int, eval_rows: int, rank: int, world_size: int) -> np.ndarray:
    """The fixed validation set is the first `eval_rows` rows in manifest order (capped at the split's
    size); rank r reads every world_size-th of them, so the set does not depend on world size."""
    n = min(eval_rows, rows_available)
    return np.arange(rank, n, world_size, dtype=np.int64)


def data_state(samples_seen: int, epoch_size: int) -> dict:
    """The resume state: everything else follows from (seed, manifest) and this count."""
    return {"samples_seen": samples_seen, "epoch": samples_seen // epoch_size,
            "sample_in_epoch": samples_seen % epoch_size}
