"""Redaction: the matched span plus a margin is cut, the rest of the document is kept as it was."""
from pipeline.decontam.decide import decontaminate, merged_word_ranges, redact
from pipeline.decontam.index import EvalIndex, Matcher
from tests.pipeline.decontam.test_matching import FILLER, QUESTION


def test_merged_word_ranges_widen_clip_and_merge():
    assert merged_word_ranges([(5, 3)], 2, 100) == [(3, 10)]
    assert merged_word_ranges([(0, 3), (90, 13)], 5, 100) == [(0, 8), (85, 100)]
    assert merged_word_ranges([(10, 3), (14, 3), (40, 2)], 1, 100) == [(9, 18), (39, 43)]
    assert merged_word_ranges([(10, 3), (13, 3)], 0, 100) == [(10, 16)]


def test_redact_cuts_whole_chunks_and_keeps_the_rest_byte_for_byte():
    text = "Keep this. Cut these five words, please! Keep that."
    #       0    1     2   3     4    5      6       7    8
    assert redact(text, [(2, 5)], 0) == "Keep this. Keep that."
    assert redact(text, [(2, 5)], 1) == "Keep that."
    assert redact(text, [(0, 2)], 0) == "Cut these five words, please! Keep that."
    assert redact(text, [(7, 2)], 0) == "Keep this. Cut these five words, please!"
    assert redact("a b-c d", [(1, 1)], 0) == "a d"  # the chunk "b-c" holds two words: it goes whole


def test_the_whitespace_around_a_cut_becomes_one_gap_and_paragraph_breaks_stay():
    assert redact("one\ntwo three\nfour", [(1, 2)], 0) == "one\nfour"
    assert redact("one. two three\n\nfour", [(1, 2)], 0) == "one.\n\nfour"
    assert redact("one two,three four", [(1, 2)], 0) == "one four"
    assert redact("one  two three", [(1, 1), (2, 1)], 0) == "one"


def test_a_redacted_document_keeps_everything_but_the_example_and_its_margin():
    idx = EvalIndex.build([("gsm8k", "q1", QUESTION)], ["gsm8k"], 13, 8)
    doc = FILLER * 3 + QUESTION + " " + FILLER * 3
    decision = decontaminate(doc, Matcher(idx), "redact", 0, 8)
    assert decision.action == "redact" and decision.reason == "contaminated:gsm8k"
    assert decision.text == FILLER * 3 + FILLER * 3
    wider = decontaminate(doc, Matcher(idx), "redact", 4, 8).text
    assert "Natalia" not in wider and len(wider.split()) == len((FILLER * 6).split()) - 8


def test_a_document_left_with_fewer_than_min_words_after_redaction_is_dropped():
    idx = EvalIndex.build([("gsm8k", "q1", QUESTION)], ["gsm8k"], 13, 8)
    decision = decontaminate("Question: " + QUESTION + " Answer: 72", Matcher(idx), "redact", 0, 8)
    assert decision.action == "drop" and decision.text is None
