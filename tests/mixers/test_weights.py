from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from mixers.weights import (
    MixStatement, SourceWeight, natural_fractions, target_fractions, temperature_fractions,
)

sizes = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 10**12), min_size=1)


@given(sizes, st.floats(0.05, 20))
def test_temperature_fractions_sum_to_one_and_keep_the_order_of_sizes(tokens, temperature):
    fr = temperature_fractions(tokens, temperature)
    assert set(fr) == set(tokens)
    if any(tokens.values()):
        assert sum(fr.values()) == 1
    for a in tokens:
        for b in tokens:
            if tokens[a] > tokens[b]:
                assert fr[a] >= fr[b]
        if tokens[a] == 0:
            assert fr[a] == 0


@given(sizes)
def test_temperature_one_is_the_natural_mix_exactly(tokens):
    assert temperature_fractions(tokens, 1.0) == natural_fractions(tokens)


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 10**9), min_size=2))
def test_higher_temperature_flattens_the_mix(tokens):
    smallest = min(tokens, key=tokens.get)
    shares = [temperature_fractions(tokens, t)[smallest] for t in (0.5, 1.0, 2.0, 5.0)]
    assert shares == sorted(shares)
    assert shares[-1] <= Fraction(1, len(tokens)) or len(set(tokens.values())) == 1


def test_temperature_two_is_square_root_sampling():
    fr = temperature_fractions({"big": 900, "small": 100}, 2.0)
    assert float(fr["big"]) == pytest.approx(30 / 40)
    assert float(fr["small"]) == pytest.approx(10 / 40)


def test_weights_are_relative_and_exact():
    srcs = [SourceWeight("a", 50), SourceWeight("b", 25), SourceWeight("c", 25)]
    t = target_fractions(MixStatement(srcs), {"a": 1, "b": 1, "c": 1})
    assert t.method == "weights" and t.weights_sum == 100
    assert t.fractions == {"a": Fraction(1, 2), "b": Fraction(1, 4), "c": Fraction(1, 4)}


def test_no_weight_and_no_temperature_is_the_natural_mix():
    t = target_fractions(MixStatement([SourceWeight("a"), SourceWeight("b")]), {"a": 300, "b": 100})
    assert t.method == "natural"
    assert t.fractions == {"a": Fraction(3, 4), "b": Fraction(1, 4)}


def test_sources_without_a_weight_next_to_weighted_ones_are_named():
    srcs = [SourceWeight("web", 0.5), SourceWeight("books"), SourceWeight("math", 0.5), SourceWeight("code")]
    with pytest.raises(ValueError) as e:
        MixStatement(srcs)
    msg = str(e.value)
    assert "sources.1.weight (books)" in msg and "sources.3.weight (code)" in msg
    assert "web" not in msg and "math" not in msg


def test_weights_and_temperature_together_are_refused():
    with pytest.raises(ValueError, match="temperature"):
        MixStatement([SourceWeight("a", 1.0)], temperature=2.0)


def test_all_zero_weights_are_refused():
    with pytest.raises(ValueError, match="every source weight is 0"):
        MixStatement([SourceWeight("a", 0.0), SourceWeight("b", 0.0)])


@pytest.mark.parametrize("kwargs", [{"weight": -1.0}, {"weight": float("nan")}, {"max_repeats": 0.5}])
def test_bad_source_weight_values_are_refused(kwargs):
    with pytest.raises(ValueError, match="'s1'"):
        SourceWeight("s1", **kwargs)


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("inf")])
def test_bad_temperatures_are_refused(temperature):
    with pytest.raises(ValueError, match="mix.temperature"):
        MixStatement([SourceWeight("a")], temperature=temperature)


def test_mix_statement_is_checked_without_data():
    assert MixStatement([SourceWeight("a"), SourceWeight("b")]).method == "natural"
    assert MixStatement([SourceWeight("a", 0.0), SourceWeight("b", 2.0)]).method == "weights"
    assert MixStatement([SourceWeight("a"), SourceWeight("b")], temperature=2.0).method == "temperature"
    with pytest.raises(ValueError, match=r"sources\.0\.weight \(a\)"):
        MixStatement([SourceWeight("a"), SourceWeight("b", 1.0)])
