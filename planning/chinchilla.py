"""Scaling-law rules of thumb for sizing a model to a dataset (pure arithmetic).

- Chinchilla (Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", table 3): the
  compute-optimal model sees about 20 training tokens per parameter, and training compute is C ~ 6 N D,
  so for a budget C the optimum is N = sqrt(C / 120), D = 20 N.
- Repeated data (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models"): up to about 4
  epochs of the same tokens train almost as well as fresh ones; returns then fall, and beyond about 16
  epochs further repeats add next to nothing.
"""
from __future__ import annotations

import math

TOKENS_PER_PARAMETER = 20
USEFUL_REPEATS = 4  # epochs that still count almost as fresh data
FUTILE_REPEATS = 16  # epochs beyond which repeats add next to nothing


def optimal_tokens(parameters: int) -> int:
    return int(TOKENS_PER_PARAMETER * parameters)


def optimal_parameters(tokens: int) -> int:
    return int(tokens / TOKENS_PER_PARAMETER)


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


def dataset_capacity(train_tokens: int, tokens_per_source: dict[str, int]) -> dict:
    """What a dataset can train: the Chinchilla-optimal model for its train tokens, seen once and seen
    USEFUL_REPEATS times; the tokens of each source. For report.json and `tokenmill inspect`."""
    return {
        "train_tokens": int(train_tokens),
        "tokens_per_parameter": TOKENS_PER_PARAMETER,
        "optimal_parameters": optimal_parameters(train_tokens),
        f"optimal_parameters_{USEFUL_REPEATS}_epochs": optimal_parameters(USEFUL_REPEATS * train_tokens),
        "tokens_per_source": {name: int(n) for name, n in sorted(tokens_per_source.items())},
    }


def capacity_lines(capacity: dict) -> list[str]:
    """The capacity as a few readable lines."""
    four = capacity[f"optimal_parameters_{USEFUL_REPEATS}_epochs"]
    lines = [f"{human(capacity['train_tokens'])} train tokens: Chinchilla-optimal for a "
             f"{human(capacity['optimal_parameters'])}-parameter model ({capacity['tokens_per_parameter']} tokens per "
             f"parameter, one epoch); up to {human(four)} parameters at {USEFUL_REPEATS} epochs, where repeats still "
             f"count almost as fresh data (Muennighoff et al. 2023)"]
    total = sum(capacity["tokens_per_source"].values()) or 1
    lines += [f"  {name}: {human(n)} tokens ({n / total:.1%})" for name, n in capacity["tokens_per_source"].items()]
    return lines


def human(n: float, unit: str = "") -> str:
    """1234567 -> '1.23M'."""
    for factor, suffix in ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            return f"{n / factor:.3g}{suffix}{unit}"
    return f"{n:.3g}{unit}" if isinstance(n, float) else f"{n}{unit}"
