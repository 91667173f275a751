"""The filter chain: order, text hand-over, signals, counters, and no mutation of the input."""
from filters.chain import FilterChain
from tests.filters.conftest import doc
from tests.filters.test_heuristics import GOOD

LONG_GOOD = GOOD + "\n" + GOOD.replace("\n", " ").replace("committee", "council")


def test_kept_document_carries_signals_and_redacted_text():
    chain = FilterChain([{"name": "pii"}, {"name": "language", "languages": ["en"]}, {"name": "gopher_quality"}])
    original = doc(LONG_GOOD + "\nContact: clerk@example.com or 555-123-4567.")
    result = chain.apply(original)
    assert result.kept and result.reason is None
    assert "<EMAIL>" in result.doc.text and "<PHONE>" in result.doc.text
    assert result.doc.signals["language"] == "en" and result.doc.signals["language_score"] > 0.65
    assert sorted(result.counters) == [("pii:email", 1), ("pii:phone", 1)]
    assert "clerk@example.com" in original.text and original.signals == {}  # input untouched


def test_first_dropping_filter_decides_and_later_filters_do_not_run():
    chain = FilterChain([{"name": "language", "languages": ["en"]}, {"name": "doc_length", "min_chars": 10**6},
                         {"name": "gopher_quality"}])
    result = chain.apply(doc(LONG_GOOD))
    assert (result.kept, result.dropped_by, result.reason) == (False, "doc_length", "too_few_chars")
    assert result.counters == [("filter:doc_length:too_few_chars", 1)]
    assert result.doc.signals["language"] == "en"  # measured before the drop
    assert result.doc.signals["reject_score"] == len(LONG_GOOD)


def test_c4_line_removal_is_what_later_filters_see():
    chain = FilterChain([{"name": "c4_quality"}, {"name": "max_line_length", "max_chars": 1500}])
    text = "x" * 2000 + "\n" + LONG_GOOD.replace("\n", " ") + "\n" + GOOD.replace("\n", " ")
    result = chain.apply(doc(text))
    assert result.kept and "x" * 2000 not in result.doc.text  # C4 dropped the 2000-char word line


def test_empty_chain_keeps_everything_unchanged():
    d = doc("anything")
    result = FilterChain([]).apply(d)
    assert result.kept and result.doc is d and result.counters == []


def test_counter_uses_the_configured_name():
    result = FilterChain([{"name": "doc_length_v1", "min_chars": 100}]).apply(doc("short"))
    assert result.counters == [("filter:doc_length_v1:too_few_chars", 1)]
