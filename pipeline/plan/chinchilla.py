"""Scaling-law rules of thumb for sizing a model to a dataset (pure arithmetic; the dataset-side ones,
shared with report.json and `inspect`, are in pipeline.capacity).

- Chinchilla (Hoffmann et al. 2022, table 3): the compute-optimal model sees about 20 training tokens per
  parameter, and training compute is C ~ 6 N D, so for a budget C the optimum is N = sqrt(C / 120), D = 20 N.
- Repeated data (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models"): up to about 4
  epochs of the same tokens train almost as well as fresh ones; returns then fall, and beyond about 16
  epochs further repeats add next to nothing.
"""
from __future__ import annotations

import math

from pipeline.capacity import TOKENS_PER_PARAMETER, USEFUL_REPEATS

FUTILE_REPEATS = 16  # epochs beyond which repeats add next to nothing


def optimal_tokens(parameters: int) -> int:
    return int(TOKENS_PER_PARAMETER * parameters)


def compute_optimal(flops: float) -> tuple[int, int]:
    """(parameters, tokens) that spend `flops` training FLOPs compute-optimally (C = 6 N D, D = 20 N)."""
    parameters = math.sqrt(flops / (6 * TOKENS_PER_PARAMETER))
    return int(parameters), int(TOKENS_PER_PARAMETER * parameters)


def repeat_warning(epochs: float, what: str) -> str | None:
    """A warning for `what` seen `epochs` times, or None when it is within the useful range."""
    if epochs > FUTILE_REPEATS:
        return (f"{what} is repeated {epochs:.1f} times: beyond ~{FUTILE_REPEATS} epochs repeats add next to nothing "
                f"(Muennighoff et al. 2023); use more data or a shorter run")
    if epochs > USEFUL_REPEATS:
        return (f"{what} is repeated {epochs:.1f} times: beyond ~{USEFUL_REPEATS} epochs each repeat is worth less "
                f"than fresh data (Muennighoff et al. 2023)")
    return None
