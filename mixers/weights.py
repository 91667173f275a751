"""Target fractions of output tokens per source: from explicit weights, from a temperature, or natural.

Three ways to state a mix, exactly one of which applies:
- weights: every source sets `weight`. Weights are relative: they are divided by their sum, so
  0.5/0.25/0.17/0.08 and 50/25/17/8 state the same mix (the sum is kept so callers can warn when it
  is not 1). A weight of 0 leaves a source out. When some sources set a weight and others do not,
  that is an error naming the ones without: guessing their share would silently change the mix.
- temperature T (`mix.temperature`, no weights): fraction proportional to tokens^(1/T), as in
  multilingual BERT/XLM sampling (Conneau & Lample 2019); T=1 is the natural mix, larger T flattens it.
- neither: the natural mix, each source's share of the available tokens.

Fractions are exact `Fraction`s so the budget arithmetic in `mixers.plan` needs no float tolerances.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Optional, Sequence


@dataclass(frozen=True)
class SourceWeight:
    """What the mix needs from one configured source (`sources.N` in the pipeline config)."""

    name: str
    weight: Optional[float] = None
    max_repeats: Optional[float] = None

    def __post_init__(self):
        if self.weight is not None and not (self.weight >= 0 and math.isfinite(self.weight)):
            raise ValueError(f"source {self.name!r}: weight must be a finite number >= 0, got {self.weight}")
        if self.max_repeats is not None and not (self.max_repeats >= 1 and math.isfinite(self.max_repeats)):
            raise ValueError(f"source {self.name!r}: max_repeats must be a finite number >= 1, got {self.max_repeats}")


@dataclass(frozen=True)
class TargetFractions:
    fractions: dict[str, Fraction]  # sums to 1 (or every entry is 0 when nothing is available)
    method: str  # "weights", "temperature" or "natural"
    weights_sum: Optional[float] = None  # the raw weights' sum, for method "weights"


def temperature_fractions(tokens: Mapping[str, int], temperature: float) -> dict[str, Fraction]:
    """Fractions proportional to tokens^(1/temperature); a source with no tokens gets 0."""
    if not (temperature > 0 and math.isfinite(temperature)):
        raise ValueError(f"mix.temperature must be a finite number > 0, got {temperature}")
    present = {name: n for name, n in tokens.items() if n > 0}
    if not present:
        return {name: Fraction(0) for name in tokens}
    if temperature == 1:
        return natural_fractions(tokens)
    # In log space relative to the largest source, so tokens^(1/T) cannot overflow for small T.
    top = max(math.log(n) for n in present.values())
    raw = {name: Fraction(math.exp((math.log(n) - top) / temperature)) for name, n in present.items()}
    total = sum(raw.values())
    return {name: raw.get(name, Fraction(0)) / total for name in tokens}


def natural_fractions(tokens: Mapping[str, int]) -> dict[str, Fraction]:
    total = sum(tokens.values())
    return {name: (Fraction(n, total) if total else Fraction(0)) for name, n in tokens.items()}


def target_fractions(
    sources: Sequence[SourceWeight], tokens: Mapping[str, int], temperature: Optional[float] = None
) -> TargetFractions:
    """The target fraction of output tokens for every source; `tokens` are those available after curation."""
    names = [s.name for s in sources]
    assert set(tokens) == set(names), "token counts must cover exactly the configured sources"
    weighted = [s for s in sources if s.weight is not None]
    if weighted and temperature is not None:
        raise ValueError("set either sources' weights or mix.temperature, not both")
    if temperature is not None:
        return TargetFractions(temperature_fractions(tokens, temperature), "temperature")
    if not weighted:
        return TargetFractions(natural_fractions(tokens), "natural")
    missing = [(i, s.name) for i, s in enumerate(sources) if s.weight is None]
    if missing:
        keys = ", ".join(f"sources.{i}.weight ({name})" for i, name in missing)
        raise ValueError(
            f"some sources set a weight and others do not: {keys} missing; give every source a weight "
            "(0 leaves a source out) or none (keeps the natural mix)"
        )
    weights = {s.name: Fraction(s.weight) for s in sources}
    total = sum(weights.values())
    if total == 0:
        raise ValueError("every source weight is 0: at least one source must have a weight above 0")
    return TargetFractions({n: w / total for n, w in weights.items()}, "weights", float(total))


def check_mix_statement(sources: Sequence[SourceWeight], temperature: Optional[float] = None) -> None:
    """The checks that need no data (missing weights, weights and temperature together, all weights 0),
    so a config can be refused before any work starts."""
    target_fractions(sources, {s.name: 1 for s in sources}, temperature)
