"""What a filter says about its drops: the spans of text (or URL) that triggered them, the measures it
records as signals, and the thresholds it compares them with."""
import re

from filters.chain import FilterChain
from filters.evidence import line_spans, repeated_parts, word_sequence_spans
from filters.heuristics import C4Quality, GopherQuality, GopherRepetition
from filters.simple import DocLength, MaxLineLength
from filters.url_blocklist import UrlBlocklist
from tests.filters.conftest import doc

PROSE = ("The committee met on Tuesday to discuss the budget for the coming year, and the members agreed that "
         "the library should stay open in the evenings. ") * 3


def _marked(text, spans):
    return [text[s:e] for s, e in spans]


def test_repeated_lines_and_paragraphs_are_the_later_copies():
    text = "a\nb\na\nc\nb\n"
    assert _marked(text, repeated_parts(text, re.compile("\n+"))) == ["a", "b"]
    text = "  one\n\ntwo\n\none  "
    assert _marked(text, repeated_parts(text, re.compile(r"\n{2,}"), strip=True)) == ["one"]


def test_word_sequences_are_found_across_spacing_and_punctuation():
    text = "Click  here, now.\nclick here,now"
    assert _marked(text, word_sequence_spans(text, ("Click", "here", ","))) == ["Click  here,"]
    assert _marked(text, line_spans(text, lambda line: line.startswith("c"))) == ["click here,now"]


def test_gopher_repetition_marks_the_ngram_behind_its_drop():
    text = "intro. " + "buy cheap pills now " * 20 + "end."
    decision = GopherRepetition()(doc(text))
    assert decision.reason == "top_2_gram" and "most frequent 2-gram" in decision.evidence.note
    marked = _marked(text, decision.evidence.spans)
    assert len(marked) == 20 and set(marked) == {marked[0]} and marked[0].split() in (["buy", "cheap"], ["pills", "now"],
                                                                                       ["cheap", "pills"], ["now", "buy"])
    lines = "\n".join(["same line here"] * 6 + ["other text"] * 2)
    decision = GopherRepetition()(doc(lines))
    assert decision.reason.startswith("dup_line") and _marked(lines, decision.evidence.spans)[0] == "same line here"


def test_gopher_quality_marks_what_its_ratio_counted_and_records_its_measures():
    text = " ".join(["#tag word"] * 40) + " " + PROSE
    decision = GopherQuality()(doc(text))
    assert decision.reason == "gopher_too_many_hashes" and set(_marked(text, decision.evidence.spans)) == {"#"}
    kept = GopherQuality()(doc(PROSE * 3))
    assert kept.keep and kept.evidence is None
    assert {"gopher_words", "gopher_avg_word_length", "gopher_stop_words", "gopher_alpha_words_ratio"} <= set(kept.signals)
    assert kept.signals["gopher_words"] == len(PROSE.split()) * 3  # no symbol-only words in PROSE
    short = GopherQuality()(doc("too short"))
    assert short.reason == "gopher_short_doc" and short.evidence is None and set(short.signals) == {"gopher_words"}


def test_measured_signals_agree_with_the_decision():
    for text in (PROSE, "x " * 60, "word\n" * 80):
        filt = GopherRepetition()
        reason, score = filt._filter.evaluate(text)
        decision = filt(doc(text))
        assert decision.reason == reason and decision.score == (None if score is None else float(score))


def test_other_filters_point_at_lines_urls_and_phrases():
    text = "short line\n" + "x" * 50 + "\nok"
    decision = MaxLineLength(max_chars=20)(doc(text))
    assert _marked(text, decision.evidence.spans) == ["x" * 50]
    url = "https://WWW.Evil.example.com/page"
    decision = UrlBlocklist(extra_domains=["evil.example.com"], use_integrated_lists=False)(doc("text", url=url))
    (s, e), = decision.evidence.url_spans
    assert decision.reason == "user_domain" and url[s:e].lower() == "evil.example.com"
    lorem = "Lorem Ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore."
    decision = C4Quality()(doc(lorem))
    assert decision.reason == "lorem_ipsum" and _marked(lorem, decision.evidence.spans) == ["Lorem Ipsum"]


def test_a_chain_names_each_threshold_by_filter_and_parameter():
    chain = FilterChain([{"name": "doc_length", "min_chars": 10, "max_chars": 900}, {"name": "gopher_quality", "min_stop_words": 3},
                         {"name": "language", "languages": ["en"], "threshold": 0.7}])
    lines = chain.thresholds()
    assert lines["chars"] == [(10.0, "doc_length.min_chars"), (900.0, "doc_length.max_chars")]
    assert lines["gopher_stop_words"] == [(3.0, "gopher_quality.min_stop_words")]
    assert lines["language_score"] == [(0.7, "language.threshold")]
    assert DocLength().thresholds() == {}
