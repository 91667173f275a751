"""The order and partition arithmetic (torch-free): every row once per epoch, the same rows behind
every step whatever the world size or worker count, and resume as a plain offset."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.order import EpochOrder, Partition, SampleStream, eval_positions, mix64, row_order, shard_order


def _rows_of_step(stream, step, partitions, workers):
    """All (shard, row) pairs read for optimizer step `step`, gathered over ranks and workers the way
    the DataLoader would hand them out."""
    got = []
    for p in partitions:
        per_worker = {w: [] for w in range(workers)}
        for j in range(step * p.grad_accum, (step + 1) * p.grad_accum):
            per_worker[j % workers].append(j)  # worker j % W produces micro-batch j
        for js in per_worker.values():
            for j in js:
                shards, rows = stream.locate(p.micro_batch(j))
                got += list(zip(shards.tolist(), rows.tolist()))
    return got


def test_mix64_is_a_known_bijection_sample():
    x = np.arange(10_000, dtype=np.uint64)
    assert len(np.unique(mix64(x))) == len(x)
    assert mix64(np.array([0], dtype=np.uint64))[0] == 0  # the finalizer fixes zero
    assert mix64(np.array([1], dtype=np.uint64))[0] == np.uint64(0x5692161D100B05E5)


@given(rows=st.lists(st.integers(0, 40), min_size=1, max_size=6).filter(lambda r: sum(r) > 0),
       seed=st.integers(0, 2**31), epoch=st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_an_epoch_visits_every_row_exactly_once(rows, seed, epoch):
    order = EpochOrder(rows, seed, epoch)
    shards, local = order.locate(np.arange(order.total))
    pairs = set(zip(shards.tolist(), local.tolist()))
    assert len(pairs) == sum(rows)
    assert pairs == {(s, r) for s, n in enumerate(rows) for r in range(n)}
    # a shard's rows are read together, so a remote shard is fetched once per epoch
    changes = np.count_nonzero(np.diff(shards)) if len(shards) > 1 else 0
    assert changes == sum(1 for n in rows if n) - 1


def test_orders_depend_on_seed_and_epoch_only():
    assert (shard_order(8, 1, 0) == shard_order(8, 1, 0)).all()
    assert not (row_order(100, 1, 0, 3) == row_order(100, 1, 1, 3)).all()
    assert not (row_order(100, 1, 0, 3) == row_order(100, 2, 0, 3)).all()
    assert not (row_order(100, 1, 0, 3) == row_order(100, 1, 0, 4)).all()
    assert sorted(row_order(100, 1, 0, 3)) == list(range(100))


def test_shuffle_off_reads_in_manifest_order():
    shards, rows = EpochOrder([3, 2], seed=5, epoch=0, shuffle=False).locate(np.arange(5))
    assert shards.tolist() == [0, 0, 0, 1, 1] and rows.tolist() == [0, 1, 2, 0, 1]


@given(world=st.sampled_from([1, 2, 4]), workers=st.sampled_from([1, 2, 3]), step=st.integers(0, 30))
@settings(max_examples=40, deadline=None)
def test_each_step_reads_the_same_rows_whatever_the_world_size_or_workers(world, workers, step):
    stream = SampleStream([37, 23, 41], seed=7)
    global_batch = 8
    reference = Partition(batch_size=8, grad_accum=1, rank=0, world_size=1)
    want = _rows_of_step(stream, step, [reference], 1)
    accum = global_batch // (world * 2)
    parts = [Partition(batch_size=2, grad_accum=accum, rank=r, world_size=world) for r in range(world)]
    got = _rows_of_step(stream, step, parts, workers)
    assert sorted(got) == sorted(want)
    assert len(got) == global_batch


def test_partitions_cover_an_epoch_exactly_once_without_overlap():
    rows = [50, 30, 40]  # 120 rows = 5 steps of 24
    stream = SampleStream(rows, seed=3)
    for world, workers in [(1, 1), (2, 2), (3, 1), (4, 3)]:
        parts = [Partition(batch_size=24 // world // 2, grad_accum=2, rank=r, world_size=world) for r in range(world)]
        seen = []
        for step in range(5):
            seen += _rows_of_step(stream, step, parts, workers)
        assert len(seen) == 120 and len(set(seen)) == 120, (world, workers)


def test_resuming_is_an_offset_into_the_same_stream():
    p = Partition(batch_size=4, grad_accum=2, rank=1, world_size=2)
    straight = [p.micro_batch(j) for j in range(10)]
    resumed = [p.micro_batch(j, start=3 * p.global_batch) for j in range(4)]
    assert all((a == b).all() for a, b in zip(straight[6:], resumed))


def test_epochs_follow_each_other_with_a_new_order():
    stream = SampleStream([5, 7], seed=11)
    first = list(zip(*[a.tolist() for a in stream.locate(np.arange(12))]))
    second = list(zip(*[a.tolist() for a in stream.locate(np.arange(12, 24))]))
    assert sorted(first) == sorted(second) and first != second


def test_eval_positions_split_a_fixed_set_between_ranks():
    parts = [eval_positions(100, 10, r, 3) for r in range(3)]
    assert sorted(np.concatenate(parts).tolist()) == list(range(10))
    assert eval_positions(4, 10, 0, 1).tolist() == [0, 1, 2, 3]
