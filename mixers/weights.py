"""Target fractions of output tokens per source: from explicit weights, from a temperature, or natural.

Three ways to state a mix, exactly one of which applies:
- weights: every source sets `weight`. Weights are relative: they are divided by their sum, so
  0.5/0.25/0.17/0.08 and 50/25/17/8 state the same mix (the sum is kept so callers can warn when it
  is not 1). A weight of 0 leaves a source out. When some sources set a weight and others do not,
  that is an error naming the ones without: guessing their share would silently change the mix.
- temperature T (`mix.temperature`, no weights): fraction proportional to tokens^(1/T), as in
  multilingual BERT/XLM sampling (Conneau & Lample 2019); T=1 is the natural mix, larger T flattens it.
- neither: the natural mix, each source's share of the available tokens.

`MixStatement` holds the mix as the config states it (these, plus `mix.total_tokens` and
`mix.on_shortfall`) and checks every rule that needs no data when it is built; the functions here and in
`mixers.plan` take a checked statement.

Fractions are exact `Fraction`s so the budget arithmetic in `mixers.plan` needs no float tolerances.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Optional


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


ON_SHORTFALL = ("fail", "rescale")


@dataclass(frozen=True)
class MixStatement:
    """The mix as the config states it: every source's weight and repeat cap (`sources.N`), `mix.temperature`,
    `mix.total_tokens` and `mix.on_shortfall`. Building one checks every rule that needs no data (a temperature
    next to weights, sources without a weight next to weighted ones, all weights 0, values out of range), so
    a config is refused before any work starts (pipeline.config.mix_statement)."""

    sources: tuple[SourceWeight, ...]
    temperature: Optional[float] = None
    total_tokens: Optional[int] = None
    on_shortfall: str = "fail"

    def __post_init__(self):
        object.__setattr__(self, "sources", tuple(self.sources))
        if self.on_shortfall not in ON_SHORTFALL:
            raise ValueError(f"mix.on_shortfall must be one of {', '.join(ON_SHORTFALL)}, got {self.on_shortfall!r}")
        if self.total_tokens is not None and (not isinstance(self.total_tokens, int) or self.total_tokens < 1):
            raise ValueError(f"mix.total_tokens must be a whole number >= 1, got {self.total_tokens!r}")
        weighted = [s for s in self.sources if s.weight is not None]
        if weighted and self.temperature is not None:
            raise ValueError("set either sources' weights or mix.temperature, not both")
        if self.temperature is not None and not (self.temperature > 0 and math.isfinite(self.temperature)):
            raise ValueError(f"mix.temperature must be a finite number > 0, got {self.temperature}")
        if not weighted:
            return
        missing = [(i, s.name) for i, s in enumerate(self.sources) if s.weight is None]
        if missing:
            keys = ", ".join(f"sources.{i}.weight ({name})" for i, name in missing)
            raise ValueError(
                f"some sources set a weight and others do not: {keys} missing; give every source a weight "
                "(0 leaves a source out) or none (keeps the natural mix)"
            )
        if not any(s.weight for s in self.sources):
            raise ValueError("every source weight is 0: at least one source must have a weight above 0")

    @property
    def method(self) -> str:
        """"temperature", "weights" or "natural": how the target fractions are found."""
        if self.temperature is not None:
            return "temperature"
        return "weights" if any(s.weight is not None for s in self.sources) else "natural"


@dataclass(frozen=True)
class TargetFractions:
    fractions: dict[str, Fraction]  # sums to 1 (or every entry is 0 when nothing is available)
    method: str  # "weights", "temperature" or "natural"
    weights_sum: Optional[float] = None  # the raw weights' sum, for method "weights"


def temperature_fractions(tokens: Mapping[str, int], temperature: float) -> dict[str, Fraction]:
    """Fractions proportional to tokens^(1/temperature) (a finite temperature > 0, as MixStatement checks);
    a source with no tokens gets 0."""
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


def target_fractions(statement: MixStatement, tokens: Mapping[str, int]) -> TargetFractions:
    """The target fraction of output tokens for every source; `tokens` are those available after curation."""
    assert set(tokens) == {s.name for s in statement.sources}, "token counts must cover exactly the configured sources"
    if statement.method == "temperature":
        return TargetFractions(temperature_fractions(tokens, statement.temperature), "temperature")
    if statement.method == "natural":
        return TargetFractions(natural_fractions(tokens), "natural")
    weights = {s.name: Fraction(s.weight) for s in statement.sources}
    total = sum(weights.values())
    return TargetFractions({n: w / total for n, w in weights.items()}, "weights", float(total))
