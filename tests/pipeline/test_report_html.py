"""The HTML report renders every source and every reason, escapes names, and tolerates odd reports."""
import re

import pytest

from pipeline.report_html import render_report_html

REPORT = {
    "sources": {
        "web": {"read": 100, "kept": 60, "rejected": 30, "duplicates": 8, "unreadable": 2,
                "rejected_by_reason": {"gopher_short_doc": 20, "language_not_allowed": 7, "user_domain": 3},
                "tokens": 12345},
        "books<&>": {"read": 5, "kept": 4, "rejected": 1, "duplicates": 0, "unreadable": 0,
                     "rejected_by_reason": {"top_2_gram": 1}},
        "math": {"read": 3, "kept": 3, "rejected": 0, "duplicates": 0, "unreadable": 0, "rejected_by_reason": {}},
    },
    "accounting": {"ok": True},
}


def test_every_source_and_reason_is_rendered_with_its_count():
    page = render_report_html(REPORT)
    for source in REPORT["sources"].values():
        for reason, n in source["rejected_by_reason"].items():
            assert re.search(rf'<div class="reason">{reason}</div>.*?<div class="n">{n:,}</div>', page, re.S)
    assert "books&lt;&amp;&gt;" in page and "books<&>" not in page
    assert "no document rejected" in page  # math
    assert "<script" not in page and page.startswith("<!DOCTYPE html>")


def test_bars_share_one_scale():
    widths = [float(w) for w in re.findall(r'class="bar" style="width:([\d.]+)%"', render_report_html(REPORT))]
    assert widths == [100.0, 35.0, 15.0, 5.0]


def test_duplicates_get_their_own_chart_when_present():
    report = {"sources": {"web": {"rejected_by_reason": {"gopher_short_doc": 4}, "duplicates_by_reason": {"exact_duplicate": 2}}}}
    page = render_report_html(report)
    assert "duplicates removed per reason" in page and '<div class="reason">exact_duplicate</div>' in page
    assert 'class="bar dup" style="width:50.00%"' in page
    assert "duplicates removed" not in render_report_html(REPORT)


def test_missing_and_extra_keys_are_tolerated():
    page = render_report_html({"sources": {"s": {"rejected_by_reason": {"x": "7"}, "weird": [1]}}, "extra": 1})
    assert '<div class="n">7</div>' in page and "<td>0</td>" in page
    assert "no sources" in render_report_html({})


def test_decontamination_gets_a_table_per_set_only_when_the_run_decontaminated():
    sets = {"gsm8k<test>": {"examples": 1319, "examples_found": 12, "documents_matched": 40, "documents_removed": 38,
                            "documents_redacted": 2, "tokens_removed": 51234}}
    page = render_report_html(dict(REPORT, decontamination=sets))
    row = re.search(r"<tr><td>gsm8k&lt;test&gt;</td>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td>([\d,]+)</td>", row) == ["1,319", "12", "40", "38", "2", "51,234"]
    assert "decontamination" not in render_report_html(REPORT)


# The richer page: samples, distributions, the run overview.
from pipeline import report_html  # noqa: E402
from pipeline.distributions import MEASURES  # noqa: E402
from pipeline.report_cards import sample_card, word_differences  # noqa: E402
from pipeline.report_data import funnel, total_funnel  # noqa: E402
from pipeline.report_svg import histogram  # noqa: E402

EVIL = '<script>alert("x")</script> & <img src="https://tracker.example/p.gif">'


def _sample(text, **extra):
    return {"id": "d<1>", "text": text, "start": 0, "chars": len(text), "marks": [], **extra}


def test_sample_text_is_escaped_and_marked_and_cuts_are_announced():
    text = "intro " + EVIL + " the repeated phrase"
    card = sample_card(_sample(text, start=1200, chars=1200 + len(text) + 345, marks=[[len(text) - 15, len(text)]],
                               note="top 2-gram '<b>'", url="https://a.example/?q=<x>", url_marks=[[8, 17]]), "src&")
    assert "<script" not in card and "<img" not in card and "&lt;script&gt;" in card
    assert "&lt;b&gt;" in card and "src&amp;" in card and "d&lt;1&gt;" in card
    assert "<mark>repeated phrase</mark>" in card and "https://<mark>a.example</mark>" in card
    assert "[… 1,200 characters before not shown …]" in card and "[… 345 characters after not shown …]" in card
    assert "not shown" not in sample_card(_sample("whole"))


def test_a_near_duplicate_stands_next_to_its_survivor_with_the_differences_marked():
    card = sample_card(_sample("the quick brown fox jumps", duplicate_of="orig",
                               survivor=_sample("the quick red fox jumps", id="orig")))
    assert 'class="pair"' in card and "kept: orig" in card
    assert '<mark class="diff">brown</mark>' in card and '<mark class="diff">red</mark>' in card
    assert word_differences("a b c", "a b c") == ([], [])


def test_a_histogram_draws_one_bar_per_nonzero_bin_and_the_threshold_where_it_lies():
    bins = MEASURES["language_score"].bins
    before, after = [0] * 40, [0] * 40
    before[10], before[30], after[30] = 5, 20, 18
    svg = histogram("lang", bins, before, after, [{"value": 0.65, "name": "language.threshold"}])
    assert svg.count('class="hb"') == 2 and svg.count('class="ha"') == 1
    heights = [float(h) for h in re.findall(r'class="h[ab]"[^>]*height="([\d.]+)"', svg)]
    assert all(h > 0 for h in heights) and max(heights) == heights[1]  # the tallest: 20 of 20
    x = float(re.search(r'class="thr" x1="([\d.]+)"', svg).group(1))
    assert x == pytest.approx(34 + 26 * (320 - 42) / 40, abs=0.1)  # bin 26 of 40 starts at 0.65
    assert "language.threshold = 0.65" in svg


def test_the_funnel_subtracts_each_stage_in_order():
    stats = {"read": 100, "kept": 60, "kept_tokens": 6000, "unreadable": 2,
             "rejected_by_stage": {"filter:b": {"r1": 10}, "filter:a": {"r2": 20}},
             "rejected_tokens_by_stage": {"filter:b": {"r1": 1000}, "filter:a": {"r2": 500}},
             "duplicates_by_reason": {"dedup_exact:exact_duplicate": 8}, "removed_tokens_by_reason": {"dedup_exact:exact_duplicate": 80}}
    rows = funnel(stats, ["read", "dedup_exact", "filter:a", "filter:b"])
    assert [(r["stage"], r["documents"], r["tokens"]) for r in rows] == [
        ("input", 100, 7580), ("read", 98, 7580), ("dedup_exact", 90, 7500), ("filter:a", 70, 7000), ("filter:b", 60, 6000)]
    both = total_funnel({"s1": stats, "s2": stats}, {})
    assert both[-1]["documents"] == 120 and [r["stage"] for r in both][1:3] == ["read", "dedup_exact"]


def _rich_report(sources=2, reasons=3, samples=5, text_chars=2000):
    dist_sources, samples_out, src_stats = {}, {}, {}
    for s in range(sources):
        name = f"src{s}"
        src_stats[name] = {"read": 100, "kept": 50, "rejected": 50, "duplicates": 0, "unreadable": 0, "kept_tokens": 5000,
                           "rejected_by_reason": {f"reason_{r}": 50 // reasons for r in range(reasons)},
                           "rejected_by_stage": {"filter:f": {f"reason_{r}": 50 // reasons for r in range(reasons)}},
                           "rejected_tokens_by_stage": {"filter:f": {f"reason_{r}": 100 for r in range(reasons)}}}
        samples_out[name] = {"filter:f": {f"reason_{r}": [_sample("y" * text_chars, id=f"{name}-{r}-{i}") for i in range(samples)]
                                          for r in range(reasons)}, "kept": {"kept": [_sample("kept text", id=f"{name}-k")]}}
        dist_sources[name] = {m: {"before": [1] * len(MEASURES[m].bins), "after": [0, 1] + [0] * (len(MEASURES[m].bins) - 2)}
                              for m in ("chars", "tokens", "language_score", "gopher_words")}
    measures = {m: {"label": MEASURES[m].label, **MEASURES[m].bins.to_json()} for m in ("chars", "tokens", "language_score", "gopher_words")}
    return {"output": "/data/out", "sources": src_stats, "samples": samples_out, "config": {"seed": 1, "seq_len": 8},
            "distributions": {"measures": measures, "sources": dist_sources, "languages": {"src0": {"before": {"en": 3, "de": 1}}},
                              "thresholds": {"src0": {"language_score": [{"value": 0.65, "name": "language.threshold"}]}}},
            "mix": {f"src{s}": {"documents": 5, "tokens": 50, "target_fraction": 0.5, "realized_fraction": 0.5} for s in range(sources)},
            "cpu_seconds": {"curate": 3.5, "read": 1.0}, "shuffle": {"counts": 10, "total": 10, "per_input_byte": 0.01}}


def test_the_rich_page_has_every_part_and_no_external_reference():
    page = render_report_html(_rich_report())
    for part in ('id="glance"', 'id="removed"', 'id="kept"', 'id="distributions"', 'id="sources"', 'id="run"', 'id="config"'):
        assert part in page
    assert page.count('class="sample"') == 2 * 3 * 5 + 2
    assert 'data-stage="filter:f" data-reason="reason_2"' in page and page.count('<details class="source"') == 2
    assert 'class="thr"' in page and "language.threshold = 0.65" in page and "curate" in page
    assert re.search(r'(src|href)\s*=\s*"(https?:)?//', page) is None
    assert "<script" not in page and "cfghash" in page


def test_a_huge_report_shows_shorter_excerpts_and_primary_distributions_only(monkeypatch):
    monkeypatch.setattr(report_html, "SAMPLE_CHARS_BUDGET", 100_000)
    page = render_report_html(_rich_report(sources=30, reasons=2, samples=5, text_chars=2000))
    assert "Excerpts are shown up to" in page and "characters after not shown" in page
    assert len(page) < 1_500_000
    src_section = page[page.index('id="sources"'):]
    assert 'data-measure="gopher_words"' not in src_section and 'data-measure="chars"' in src_section


def test_an_older_report_renders_without_the_new_keys():
    page = render_report_html(REPORT)
    assert "this report has no samples" in page and "no distributions in this report" in page
    assert "not recorded" in page  # no CPU seconds
