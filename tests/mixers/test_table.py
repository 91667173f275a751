from mixers.plan import plan_mix
from mixers.table import SampledMix, format_sampled_mix, sampled_mix, sampled_mix_markdown
from mixers.weights import MixStatement, SourceWeight


def test_table_reports_available_sampled_repeats_and_fractions():
    plan = plan_mix(MixStatement([SourceWeight("web", 0.75), SourceWeight("math", 0.25)]), {"web": 600, "math": 100}, {"web": 6, "math": 10})
    table = sampled_mix(plan, {"web": (5, 525), "math": (17, 175)})
    assert table["math"] == SampledMix(
        available_documents=10, available_tokens=100, documents_sampled=17, tokens_sampled=175, repeats=1.75,
        target_fraction=0.25, realized_fraction=0.25, target_tokens=175,
    )
    assert table["web"].realized_fraction == 0.75 and table["web"].repeats == 525 / 600
    text = format_sampled_mix(table)
    assert "math" in text.splitlines()[3] and "25.00%" in text and "+0.000" in text
    assert sampled_mix_markdown(table).count("\n") == 3


def test_a_source_with_nothing_sampled_still_has_a_row():
    plan = plan_mix(MixStatement([SourceWeight("a"), SourceWeight("b")]), {"a": 10})
    table = sampled_mix(plan, {"a": (1, 10)})
    assert table["b"].tokens_sampled == 0 and table["b"].repeats == 0.0
    assert table["a"].realized_fraction == 1.0
