"""The learning-rate schedule: linear warmup, cosine to min_lr at max_steps."""
import math

import pytest

from trainer.schedule import learning_rate

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
