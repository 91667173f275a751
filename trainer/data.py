"""Torch side of the data path: the training stream as an `IterableDataset` of micro-batches, the
fixed validation batches, and the DataLoader around them. The order arithmetic lives in
`trainer.order` and the shard reading in `trainer.split` (both torch-free).

Each micro-batch is a (batch_size, seq_len + 1) int32 tensor of rows (half the bytes of int64 through
worker processes and to the GPU; every token id fits); the loop widens it to int64 on the device and
takes inputs rows[:, :-1] and targets rows[:, 1:].
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from pipeline.dataset.manifest import Manifest
from trainer.cache import ShardCache
from trainer.order import EpochOrder, Partition, SampleStream, eval_positions, worker_micro_batches
from trainer.split import SplitReader


class TrainBatches(IterableDataset):
    """This process's micro-batches 0, 1, 2, ... of the training stream, starting after `start`
    consumed positions (the resume state) and stopping after `limit` micro-batches. Under a
    DataLoader with W workers, worker w yields micro-batches w, w + W, ... (see `order`). Shards are
    opened in each worker process on first use, never pickled."""

    def __init__(self, manifest: Manifest, partition: Partition, *, seed: int, start: int = 0,
                 limit: int | None = None, shuffle: bool = True, cache: ShardCache | None = None):
        self.manifest, self.partition = manifest, partition
        self.seed, self.start, self.limit, self.shuffle, self.cache = seed, start, limit, shuffle, cache

    def __iter__(self) -> Iterator[torch.Tensor]:
        worker = get_worker_info()
        w, n_workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
        reader = SplitReader(self.manifest, "train", self.cache)
        stream = SampleStream(reader.shard_rows, self.seed, self.shuffle)
        try:
            for j in worker_micro_batches(w, n_workers):
                if self.limit is not None and j >= self.limit:
                    return
                shards, rows = stream.locate(self.partition.micro_batch(j, self.start))
                yield torch.from_numpy(reader.gather(shards, rows).astype(np.int32))
        finally:
            reader.close()


def eval_batches(manifest: Manifest, *, eval_rows: int, batch_size: int, rank: int, world_size: int,
                 cache: ShardCache | None = None) -> Iterator[torch.Tensor]:
    """This rank's part of the fixed validation set (first `eval_rows` rows in manifest order), in
    micro-batches of at most batch_size rows."""
    reader = SplitReader(manifest, "validation", cache)
    if reader.rows == 0:
        return
    order = EpochOrder(reader.shard_rows, seed=0, epoch=0, shuffle=False)
    positions = eval_positions(reader.rows, eval_rows, rank, world_size)
    try:
        for i in range(0, len(positions), batch_size):
            shards, rows = order.locate(positions[i:i + batch_size])
            yield torch.from_numpy(reader.gather(shards, rows).astype(np.int32))
    finally:
        reader.close()


def train_loader(dataset: TrainBatches, *, num_workers: int, pin_memory: bool) -> DataLoader:
    # batch_size=None: the dataset yields whole micro-batches. The DataLoader reads its workers
    # round-robin in order (in_order=True), which `worker_micro_batches` relies on.
    # Its own generator: the loader's base seed would otherwise be drawn from the global RNG, which
    # the training step's dropout uses.
    return DataLoader(dataset, batch_size=None, num_workers=num_workers, pin_memory=pin_memory,
                      prefetch_factor=4 if num_workers else None, in_order=True,
                      generator=torch.Generator().manual_seed(0))


def verify_dataset(manifest: Manifest, *, rank: int, world_size: int, cache: ShardCache | None) -> None:
    """Checksums every shard once across the job: rank r checks shards r, r + world_size, ..."""
    for split in manifest.splits:
        reader = SplitReader(manifest, split, cache)
        reader.verify(range(rank, len(reader.shards), world_size))
