"""The torch side of the data path: micro-batches through a DataLoader are the rows the order says,
identical with or without worker processes, split between ranks without overlap, and resumable."""
import itertools

import numpy as np
import torch

from tests.trainer.dataset_fixture import read_all_rows
from trainer.data import TrainBatches, eval_batches, train_loader
from pipeline.dataset.manifest import read_manifest
from trainer.order import Partition, SampleStream


def _batches(manifest, partition, n, workers=0, start=0):
    ds = TrainBatches(manifest, partition, seed=5, start=start, limit=n)
    return [b.clone() for b in train_loader(ds, num_workers=workers, pin_memory=False)]


def _key(row):
    return tuple(row.tolist())


def test_batches_are_the_rows_the_order_names(dataset_dir):
    m = read_manifest(dataset_dir)
    all_rows = read_all_rows(dataset_dir)
    offsets = np.cumsum([0] + [s.rows for s in m.shards("train")])
    p = Partition(batch_size=4)
    batches = _batches(m, p, 3)
    stream = SampleStream([s.rows for s in m.shards("train")], seed=5)
    for j, batch in enumerate(batches):
        assert batch.dtype == torch.int32 and batch.shape == (4, 65)
        shards, rows = stream.locate(p.micro_batch(j))
        assert (batch.numpy() == all_rows[offsets[shards] + rows]).all()


def test_worker_processes_do_not_change_the_sequence(dataset_dir):
    m = read_manifest(dataset_dir)
    p = Partition(batch_size=3, grad_accum=2)
    alone, with_workers = _batches(m, p, 7), _batches(m, p, 7, workers=2)
    assert len(with_workers) == 7
    assert all(torch.equal(a, b) for a, b in zip(alone, with_workers))


def test_ranks_split_each_global_batch_without_overlap(dataset_dir):
    m = read_manifest(dataset_dir)
    single = _batches(m, Partition(batch_size=8), 4)
    ranks = [_batches(m, Partition(batch_size=2, grad_accum=2, rank=r, world_size=2), 8) for r in range(2)]
    for step in range(4):
        want = sorted(_key(r) for r in single[step])
        got = [_key(r) for rank in ranks for b in rank[2 * step:2 * step + 2] for r in b]
        assert sorted(got) == want


def test_an_epoch_covers_every_training_row_once(dataset_dir):
    m = read_manifest(dataset_dir)
    n = m.rows("train")
    batches = _batches(m, Partition(batch_size=1), n, workers=2)
    seen = sorted(_key(r) for b in batches for r in b)
    assert seen == sorted(_key(r) for r in read_all_rows(dataset_dir))


def test_starting_after_k_samples_continues_the_stream(dataset_dir):
    m = read_manifest(dataset_dir)
    p = Partition(batch_size=4, grad_accum=2)
    straight = _batches(m, p, 10)
    resumed = _batches(m, p, 4, start=3 * p.global_batch)
    assert all(torch.equal(a, b) for a, b in zip(straight[6:], resumed))


def test_eval_batches_are_the_first_rows_split_between_ranks(dataset_dir):
    m = read_manifest(dataset_dir)
    want = read_all_rows(dataset_dir, "validation")[:10]
    parts = [list(eval_batches(m, eval_rows=10, batch_size=3, rank=r, world_size=2)) for r in range(2)]
    got = [_key(r) for p in parts for b in p for r in b]
    assert sorted(got) == sorted(_key(r) for r in want)
    assert [b.shape[0] for b in parts[0]] == [3, 2]
    assert list(itertools.chain(*[b.tolist() for b in eval_batches(m, eval_rows=4, batch_size=4, rank=0,
                                                                    world_size=1)])) == want[:4].tolist()
