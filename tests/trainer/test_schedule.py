"""The learning-rate schedule: linear warmup, cosine to min_lr at max_steps."""
import math

import pytest

from trainer.schedule import Cadence, learning_rate

KW = dict(lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=110)


@pytest.mark.parametrize("step, want", [
    (0, 0.1), (4, 0.5), (9, 1.0),          # warmup reaches lr on its last step
    (10, 1.0),                              # cosine starts at lr
    (60, 0.1 + 0.5 * 0.9),                  # half way: midpoint
    (85, 0.1 + 0.5 * (1 + math.cos(math.pi * 0.75)) * 0.9),
    (110, 0.1), (500, 0.1),                 # min_lr at and past max_steps
])
def test_values(step, want):
    assert learning_rate(step, **KW) == pytest.approx(want)


def test_monotone_after_warmup_and_no_warmup_starts_at_lr():
    values = [learning_rate(s, **KW) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert learning_rate(0, lr=1.0, min_lr=0.0, warmup_steps=0, max_steps=10) == 1.0
    assert learning_rate(5, lr=1.0, min_lr=0.0, warmup_steps=10, max_steps=10) == 0.6


def test_cadence_logs_evaluates_and_checkpoints_on_its_steps_and_always_the_last():
    c = Cadence(max_steps=10, log_every=3, eval_every=4, checkpoint_every=5)
    steps = range(1, 11)
    assert [s for s in steps if c.evaluates(s)] == [4, 8, 10]
    assert [s for s in steps if c.logs(s)] == [3, 4, 6, 8, 9, 10]  # every eval step is logged too
    assert [s for s in steps if c.checkpoints(s)] == [5, 10]
    assert [s for s in steps if c.is_last(s)] == [10]


def test_cadence_zero_means_only_the_last_step():
    c = Cadence(max_steps=7, log_every=1, eval_every=0, checkpoint_every=0)
    assert [s for s in range(1, 8) if c.evaluates(s)] == [7]
    assert [s for s in range(1, 8) if c.checkpoints(s)] == [7]
    assert all(c.logs(s) for s in range(1, 8))
