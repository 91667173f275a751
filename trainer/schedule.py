"""The learning-rate schedule as a pure function of the step (torch-free), so a resumed run needs no
scheduler state beyond the step number."""
from __future__ import annotations

import math


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
