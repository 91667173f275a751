import math
from fractions import Fraction

import pytest
from hypothesis import assume, given, strategies as st

from mixers.plan import MixShortfallError, apportion, plan_mix
from mixers.weights import MixStatement, SourceWeight, target_fractions

NAMES = ["web", "math", "code", "multi", "books"]


@st.composite
def mixes(draw, weights=True):
    n = draw(st.integers(1, len(NAMES)))
    names = NAMES[:n]
    tokens = {name: draw(st.integers(1, 10**9)) for name in names}
    sources = [
        SourceWeight(
            name,
            weight=draw(st.floats(0.01, 10)) if weights else None,
            max_repeats=draw(st.none() | st.floats(1, 8)),
        )
        for name in names
    ]
    budget = draw(st.none() | st.integers(1, 10**10))
    return sources, tokens, budget


def cap(src, tokens):
    return math.inf if src.max_repeats is None else math.floor(Fraction(src.max_repeats) * tokens)


@given(mixes())
def test_a_plan_meets_every_target_within_its_cap_or_names_exactly_the_short_sources(mix):
    sources, tokens, budget = mix
    fractions = target_fractions(MixStatement(sources), tokens).fractions
    budget_used = budget if budget is not None else sum(tokens.values())
    expected_short = {s.name for s in sources if fractions[s.name] * budget_used > cap(s, tokens[s.name])}
    try:
        plan = plan_mix(MixStatement(sources, total_tokens=budget, on_shortfall="fail"), tokens)
    except MixShortfallError as e:
        assert set(e.shortfalls) == expected_short
        for name, short in e.shortfalls.items():
            assert short == math.ceil(fractions[name] * budget_used - cap(next(s for s in sources if s.name == name), tokens[name]))
            assert f"source {name!r} is short by {short:,} tokens" in str(e)
        assert "percentage points" in str(e)
        return
    assert not expected_short
    assert plan.budget == budget_used
    for s in sources:
        p = plan.sources[s.name]
        assert p.target_tokens <= cap(s, tokens[s.name])
        assert abs(p.target_tokens - fractions[s.name] * budget_used) < 1
        assert p.whole_repeats * p.tokens + p.extra_tokens == p.target_tokens
        assert 0 <= p.extra_tokens < p.tokens
    assert plan.total_tokens == budget_used  # no cap binds, so rounding hands out every token


@given(mixes())
def test_rescale_shrinks_the_budget_to_the_largest_one_that_meets_every_target(mix):
    sources, tokens, budget = mix
    plan = plan_mix(MixStatement(sources, total_tokens=budget, on_shortfall="rescale"), tokens)
    fractions = {n: p.target_fraction for n, p in plan.sources.items()}
    requested = budget if budget is not None else sum(tokens.values())
    assert plan.budget <= requested
    assert plan.total_tokens <= plan.budget
    assert plan.total_tokens >= plan.budget - len(sources)
    for s in sources:
        p = plan.sources[s.name]
        assert p.target_tokens <= cap(s, tokens[s.name])
        assert abs(p.target_tokens - fractions[s.name] * plan.budget) < 1  # the mix itself is unchanged
    if plan.budget < requested:  # one more token would push some source past its cap
        assert any(fractions[s.name] * (plan.budget + 1) > cap(s, tokens[s.name]) for s in sources)


@given(mixes(weights=False))
def test_without_weights_or_budget_every_document_is_kept_exactly_once(mix):
    sources, tokens, _ = mix
    plan = plan_mix(MixStatement(sources), tokens)
    assert plan.method == "natural"
    for name, p in plan.sources.items():
        assert p.target_tokens == tokens[name]
        assert (p.whole_repeats, p.extra_tokens) == (1, 0)


@given(mixes(weights=False), st.floats(0.2, 5))
def test_temperature_plans_respect_budget_and_caps(mix, temperature):
    sources, tokens, budget = mix
    plan = plan_mix(MixStatement(sources, total_tokens=budget, on_shortfall="rescale", temperature=temperature), tokens)
    assert plan.method == "temperature"
    assert sum(p.target_fraction for p in plan.sources.values()) == 1
    assert plan.budget - len(sources) <= plan.total_tokens <= plan.budget
    for s in sources:
        assert plan.sources[s.name].target_tokens <= cap(s, tokens[s.name])


def test_natural_mix_scaled_to_a_budget():
    srcs = [SourceWeight("a"), SourceWeight("b")]
    plan = plan_mix(MixStatement(srcs, total_tokens=200), {"a": 300, "b": 100})
    assert {n: p.target_tokens for n, p in plan.sources.items()} == {"a": 150, "b": 50}
    assert plan.sources["a"].rate == 0.5


def test_shortfall_message_names_source_tokens_and_points():
    srcs = [SourceWeight("web", 0.75), SourceWeight("math", 0.25, max_repeats=2)]
    with pytest.raises(MixShortfallError) as e:
        plan_mix(MixStatement(srcs, total_tokens=1_000_000), {"web": 10**6, "math": 80_000})
    msg = str(e.value)
    assert e.value.shortfalls == {"math": 90_000}
    assert "source 'math' is short by 90,000 tokens (9.00 percentage points)" in msg
    assert "sources.1.max_repeats=2 allows at most 160,000 (16.00%)" in msg
    assert "web" not in msg.split("\n")[1]


def test_rescale_keeps_the_mix_and_shrinks_the_total():
    srcs = [SourceWeight("web", 0.75), SourceWeight("math", 0.25, max_repeats=2)]
    plan = plan_mix(MixStatement(srcs, total_tokens=1_000_000, on_shortfall="rescale"), {"web": 10**6, "math": 80_000})
    assert plan.rescaled and plan.budget == 640_000
    assert {n: p.target_tokens for n, p in plan.sources.items()} == {"web": 480_000, "math": 160_000}
    assert plan.sources["math"].whole_repeats == 2 and plan.sources["math"].extra_tokens == 0


def test_weighted_mix_without_budget_keeps_the_corpus_size_and_repeats_small_sources():
    srcs = [SourceWeight("web", 0.5), SourceWeight("math", 0.5), SourceWeight("spam", 0.0)]
    plan = plan_mix(MixStatement(srcs), {"web": 900, "math": 100, "spam": 5000})
    assert plan.budget == 1000  # the weight-0 source takes no part
    assert {n: p.target_tokens for n, p in plan.sources.items()} == {"web": 500, "math": 500, "spam": 0}
    assert plan.sources["math"].whole_repeats == 5 and plan.sources["web"].rate == pytest.approx(500 / 900)


def test_a_weighted_source_with_no_tokens_is_an_error_even_when_rescaling():
    srcs = [SourceWeight("web", 0.5), SourceWeight("math", 0.5)]
    with pytest.raises(ValueError, match="source 'math'"):
        plan_mix(MixStatement(srcs, on_shortfall="rescale"), {"web": 100})


def test_unknown_sources_and_bad_settings_are_refused():
    with pytest.raises(ValueError, match="not configured: rogue"):
        plan_mix(MixStatement([SourceWeight("a")]), {"a": 1, "rogue": 2})
    with pytest.raises(ValueError, match="mix.on_shortfall"):
        MixStatement([SourceWeight("a")], on_shortfall="ignore")
    with pytest.raises(ValueError, match="mix.total_tokens"):
        MixStatement([SourceWeight("a")], total_tokens=0)


def test_empty_corpus_without_budget_is_an_empty_plan():
    plan = plan_mix(MixStatement([SourceWeight("a"), SourceWeight("b")]), {})
    assert plan.total_tokens == 0


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=6), st.integers(0, 10**6))
def test_apportion_hands_out_exactly_the_budget(parts, budget):
    assume(sum(parts) > 0)
    fractions = {str(i): Fraction(p, sum(parts)) for i, p in enumerate(parts)}
    out = apportion(budget, fractions, {k: None for k in fractions})
    assert sum(out.values()) == budget
    assert all(abs(out[k] - fractions[k] * budget) < 1 for k in fractions)
