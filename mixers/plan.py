"""The mix plan: how many tokens each source contributes, and so its sampling rate.

Inputs: each source's tokens available after curation and the mix statement (`mixers.weights.MixStatement`):
target fractions, an optional total budget (`mix.total_tokens`) and per-source `max_repeats`. Output: each source's target
tokens; rate = target / available, below 1 a down-sample, above 1 `whole_repeats` full passes plus
`extra_tokens` chosen once more (see `mixers.selection`).

Budget without `mix.total_tokens`: the tokens available in the sources that take part (fraction > 0),
so a natural mix keeps every document exactly once and a weighted mix keeps the corpus's size while
re-balancing it (down-sampling some sources, repeating others).

`max_repeats` caps the rate (tokens sampled / tokens available), so no document appears more than
ceil(max_repeats) times; no cap when unset. A source that cannot reach its target within its cap is a
shortfall: `on_shortfall="fail"` raises `MixShortfallError` naming every short source with its shortage
in tokens and percentage points of the budget; `"rescale"` shrinks the budget until every target fits.
The mix itself never changes silently.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Optional

from mixers.weights import MixStatement, target_fractions


class MixShortfallError(ValueError):
    """Targets that the sources cannot reach within their caps; `shortfalls` maps source -> tokens short."""

    def __init__(self, message: str, shortfalls: dict[str, int]):
        super().__init__(message)
        self.shortfalls = shortfalls


@dataclass(frozen=True)
class SourcePlan:
    name: str
    documents: int
    tokens: int  # available after curation
    target_fraction: Fraction
    target_tokens: int
    max_repeats: Optional[float] = None

    @property
    def whole_repeats(self) -> int:
        return self.target_tokens // self.tokens if self.tokens else 0

    @property
    def extra_tokens(self) -> int:
        """Tokens to take once more beyond the whole repeats: 0 <= extra < tokens."""
        return self.target_tokens - self.whole_repeats * self.tokens

    @property
    def rate(self) -> float:
        return self.target_tokens / self.tokens if self.tokens else 0.0

    @property
    def cap_tokens(self) -> Optional[int]:
        return cap_tokens(self.tokens, self.max_repeats)


@dataclass(frozen=True)
class MixPlan:
    sources: dict[str, SourcePlan]  # in config order
    budget: int  # the budget the targets were apportioned from, after any rescale
    requested_budget: Optional[int]  # mix.total_tokens as configured
    method: str  # "weights", "temperature" or "natural"
    weights_sum: Optional[float] = None

    @property
    def total_tokens(self) -> int:
        return sum(s.target_tokens for s in self.sources.values())

    @property
    def rescaled(self) -> bool:
        return self.requested_budget is not None and self.budget < self.requested_budget


def cap_tokens(tokens: int, max_repeats: Optional[float]) -> Optional[int]:
    return None if max_repeats is None else math.floor(Fraction(max_repeats) * tokens)


def plan_mix(
    statement: MixStatement, tokens: Mapping[str, int], documents: Optional[Mapping[str, int]] = None
) -> MixPlan:
    """`tokens`/`documents`: available per source after curation; a configured source missing there has none."""
    sources, total_tokens = statement.sources, statement.total_tokens
    names = [s.name for s in sources]
    unknown = sorted(set(tokens) - set(names))
    if unknown:
        raise ValueError(f"documents of sources that are not configured: {', '.join(unknown)}")
    available = {n: int(tokens.get(n, 0)) for n in names}
    documents = {n: int((documents or {}).get(n, 0)) for n in names}
    targets = target_fractions(statement, available)
    fractions = targets.fractions

    empty = [n for n in names if fractions[n] > 0 and available[n] == 0]
    if empty:
        raise ValueError(
            "no tokens left after curation in "
            + ", ".join(f"source {n!r} (target {float(fractions[n]):.2%})" for n in empty)
            + ": give it weight 0 or fix its paths and filters"
        )
    budget = total_tokens if total_tokens is not None else sum(available[n] for n in names if fractions[n] > 0)
    if total_tokens is not None and not any(fractions.values()):
        raise ValueError(f"mix.total_tokens is {total_tokens:,} but no source has tokens left after curation")

    caps = {s.name: cap_tokens(available[s.name], s.max_repeats) for s in sources}
    short = {n: fractions[n] * budget - caps[n] for n in names if caps[n] is not None and fractions[n] * budget > caps[n]}
    if short and statement.on_shortfall == "fail":
        raise MixShortfallError(_shortfall_message(sources, short, fractions, available, caps, budget), {
            n: math.ceil(s) for n, s in short.items()})
    if short:  # rescale: the largest budget at which every capped target fits
        budget = min([budget] + [math.floor(caps[n] / fractions[n]) for n in short])

    target_tokens = apportion(budget, fractions, caps)
    return MixPlan(
        sources={s.name: SourcePlan(s.name, documents[s.name], available[s.name], fractions[s.name],
                                    target_tokens[s.name], s.max_repeats) for s in sources},
        budget=budget,
        requested_budget=total_tokens,
        method=targets.method,
        weights_sum=targets.weights_sum,
    )


def apportion(budget: int, fractions: Mapping[str, Fraction], caps: Mapping[str, Optional[int]]) -> dict[str, int]:
    """Whole tokens per source summing to `budget` (largest-remainder rounding, Hamilton's method),
    never above a cap. Only when caps block every remainder can the sum fall short, by < one per source."""
    exact = {n: f * budget for n, f in fractions.items()}
    out = {n: math.floor(x) for n, x in exact.items()}
    for n, cap in caps.items():
        assert cap is None or out[n] <= cap, f"source {n!r}: floor of its target exceeds its cap"
    left = budget - sum(out.values()) if any(fractions.values()) else 0
    # Ties go to the source listed first, so the result is a pure function of the inputs.
    order = sorted(exact, key=lambda n: exact[n] - out[n], reverse=True)
    for n in order:
        if left <= 0:
            break
        if exact[n] > out[n] and (caps[n] is None or out[n] + 1 <= caps[n]):
            out[n] += 1
            left -= 1
    return out


def _shortfall_message(sources, short, fractions, available, caps, budget) -> str:
    index = {s.name: i for i, s in enumerate(sources)}
    lines = []
    for n in sorted(short, key=lambda n: short[n], reverse=True):
        want = fractions[n] * budget
        cap = next(s.max_repeats for s in sources if s.name == n)
        lines.append(
            f"  source {n!r} is short by {math.ceil(short[n]):,} tokens "
            f"({float(short[n] / budget) * 100:.2f} percentage points): its target {float(fractions[n]):.2%} "
            f"of {budget:,} tokens is {math.ceil(want):,} tokens, but it has {available[n]:,} tokens after "
            f"curation and sources.{index[n]}.max_repeats={cap:g} allows at most {caps[n]:,} "
            f"({float(caps[n] / Fraction(budget)):.2%})"
        )
    return (
        "the data mix cannot be met within max_repeats:\n" + "\n".join(lines) + "\n"
        "lower those weights, raise max_repeats, lower mix.total_tokens, or set mix.on_shortfall: rescale "
        "(shrinks the total so every target is met)"
    )
