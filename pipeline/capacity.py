"""What a built dataset can train, by the Chinchilla rule (pure): report.json's "chinchilla" entry and
`tokenmill inspect`. The planner (pipeline.plan.chinchilla) builds on the same constants.

- Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", table 3: the compute-optimal
  model sees about 20 training tokens per parameter.
- Muennighoff et al. 2023, "Scaling Data-Constrained Language Models": up to about 4 epochs of the same
  tokens train almost as well as fresh ones.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.dataset.manifest import Manifest

TOKENS_PER_PARAMETER = 20
USEFUL_REPEATS = 4  # epochs that still count almost as fresh data


def optimal_parameters(tokens: int) -> int:
    return int(tokens / TOKENS_PER_PARAMETER)


def dataset_capacity(train_tokens: int, tokens_per_source: dict[str, int]) -> dict:
    """The Chinchilla-optimal model for a dataset's train tokens, seen once and USEFUL_REPEATS times, and
    the output tokens of each source."""
    return {
        "train_tokens": int(train_tokens),
        "tokens_per_parameter": TOKENS_PER_PARAMETER,
        "optimal_parameters": optimal_parameters(train_tokens),
        f"optimal_parameters_{USEFUL_REPEATS}_epochs": optimal_parameters(USEFUL_REPEATS * train_tokens),
        "tokens_per_source": {name: int(n) for name, n in sorted(tokens_per_source.items())},
    }


def manifest_capacity(manifest: Manifest) -> dict:
    return dataset_capacity(manifest.splits["train"].tokens,
                            {name: row.tokens or 0 for name, row in manifest.sources.items()})


def capacity_text(capacity: dict) -> str:
    four = capacity[f"optimal_parameters_{USEFUL_REPEATS}_epochs"]
    lines = [f"{human(capacity['train_tokens'])} train tokens: Chinchilla-optimal for a "
             f"{human(capacity['optimal_parameters'])}-parameter model ({capacity['tokens_per_parameter']} tokens per "
             f"parameter, one epoch); up to {human(four)} parameters at {USEFUL_REPEATS} epochs, where repeated "
             f"tokens still count almost as fresh ones (Muennighoff et al. 2023)"]
    total = sum(capacity["tokens_per_source"].values()) or 1
    lines.append("tokens per source: " + ", ".join(f"{name} {human(n)} ({n / total:.1%})"
                                                     for name, n in capacity["tokens_per_source"].items()))
    return "\n".join(lines)


def human(n: float) -> str:
    """1234567 -> '1.23M'."""
    for factor, suffix in ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            return f"{n / factor:.3g}{suffix}"
    return f"{n:.3g}" if isinstance(n, float) else f"{n}"
