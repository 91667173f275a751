"""The learning-rate schedule and the logging/eval/checkpoint cadence as pure functions of the step
(torch-free), so a resumed run needs no scheduler state beyond the step number."""
from __future__ import annotations

import math
from dataclasses import dataclass


def learning_rate(step: int, *, lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:
    """LR for optimizer step `step` (0-based)."""
    # 1) linear warmup: lr/warmup at step 0, reaching lr on the last warmup step
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    # 2) past the end of the schedule: stay at min_lr
    if step >= max_steps:
        return min_lr
    # 3) cosine from lr (right after warmup) down to min_lr at max_steps
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)


@dataclass(frozen=True)
class Cadence:
    """Which steps log, evaluate and checkpoint. Steps count from 1 (the step just taken); the last step
    always evaluates and checkpoints, and `every` = 0 means only the last step."""

    max_steps: int
    log_every: int
    eval_every: int
    checkpoint_every: int

    def is_last(self, step: int) -> bool:
        return step == self.max_steps

    def evaluates(self, step: int) -> bool:
        return self.is_last(step) or _due(step, self.eval_every)

    def logs(self, step: int) -> bool:
        return self.evaluates(step) or _due(step, self.log_every)

    def checkpoints(self, step: int) -> bool:
        return self.is_last(step) or _due(step, self.checkpoint_every)


def _due(step: int, every: int) -> bool:
    return bool(every) and step % every == 0
