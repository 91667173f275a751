"""The HTML report renders every source and every reason, escapes names, and tolerates odd reports."""
import re

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
