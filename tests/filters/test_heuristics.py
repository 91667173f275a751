"""Gopher quality/repetition, C4 and FineWeb quality: expected reasons per case, and the same decision,
reason and (for C4) rewritten text as datatrove's own classes, on crafted cases and the sample corpus."""
from itertools import accumulate

import numpy as np
import pytest
from datatrove.data import Document as DatatroveDocument
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.filters.base_filter import get_filter_result
from datatrove.pipeline.filters.gopher_repetition_filter import find_all_duplicate, find_top_duplicate, get_n_grams
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.gopher_fast import SubstringHashes, all_duplicate_chars, top_ngram_chars
from filters.heuristics import C4Quality, FineWebQuality, GopherQuality, GopherRepetition
from tests.filters.conftest import doc

GOOD = (
    "The committee met on Tuesday to discuss the budget for the coming year. Members agreed that the "
    "library should have longer opening hours, and that the park needs new benches. A proposal to repair "
    "the old bridge was sent back to the engineers with a request for a cheaper design. The chair thanked "
    "everyone for their patience and closed the meeting shortly after nine in the evening. Minutes will be "
    "published next week, together with a summary of the public comments received by email.\n"
    "Residents who want to speak at the next meeting should register with the clerk before Friday."
)
VARIED = " ".join(f"word{i}x" for i in range(80))


def datatrove_outcome(dt_filter, text):
    dt_doc = DatatroveDocument(text=text, id="d", metadata={})
    kept, reason = get_filter_result(dt_filter.filter(dt_doc))
    return (True, None, dt_doc.text) if kept else (False, reason, None)


def our_outcome(our_filter, text):
    d = our_filter(doc(text))
    return (True, None, text if d.text is None else d.text) if d.keep else (False, d.reason, None)


CASES = [
    (GopherQuality, GopherQualityFilter, GOOD, None),
    (GopherQuality, GopherQualityFilter, "Too short to be a real document.", "gopher_short_doc"),
    (GopherQuality, GopherQualityFilter, " ".join(["a b c the of"] * 20), "gopher_below_avg_threshold"),
    (GopherQuality, GopherQualityFilter, " ".join(["internationalization the"] * 40) + " institutionalization" * 60,
     "gopher_above_avg_threshold"),
    (GopherQuality, GopherQualityFilter, GOOD + " #tag" * 30, "gopher_too_many_hashes"),
    (GopherQuality, GopherQualityFilter, GOOD.replace(". ", "... ") + " and..." * 10, "gopher_too_many_ellipsis"),
    (GopherQuality, GopherQualityFilter, "\n".join(f"- the item {w} of that list" for w in VARIED.split()),
     "gopher_too_many_bullets"),
    (GopherQuality, GopherQualityFilter, "\n".join(f"the story of {w} and then it went on and on..."
                                                   for w in VARIED.split()[:20]), "gopher_too_many_end_ellipsis"),
    (GopherQuality, GopherQualityFilter, "the and of with " + " ".join(str(100 + i) for i in range(80)),
     "gopher_below_alpha_threshold"),
    (GopherQuality, GopherQualityFilter, " ".join(f"apple{i} banana cherry" for i in range(30)), "gopher_enough_stop_words"),
    (GopherRepetition, GopherRepetitionFilter, GOOD, None),
    (GopherRepetition, GopherRepetitionFilter, "", "empty"),
    (GopherRepetition, GopherRepetitionFilter, "\n\n".join(["Same paragraph here."] * 3 + ["Other one."]), "dup_para_frac"),
    (GopherRepetition, GopherRepetitionFilter, "\n".join(["Same line again."] * 3 + ["A", "B"]), "dup_line_frac"),
    (GopherRepetition, GopherRepetitionFilter, "buy now " * 50, "top_2_gram"),
    (GopherRepetition, GopherRepetitionFilter, VARIED + " " + VARIED, "duplicated_5_n_grams"),
    (C4Quality, C4QualityFilter, "The first line is here.\nAnd the second one. Then a third.", "too_few_sentences"),
    (C4Quality, C4QualityFilter, GOOD, None),
    (C4Quality, C4QualityFilter, GOOD + "\n" + GOOD.replace("\n", " "), None),
    (C4Quality, C4QualityFilter, GOOD + "\nLorem ipsum dolor sit amet.", "lorem_ipsum"),
    (C4Quality, C4QualityFilter, GOOD + "\nThe function body is { return x; } here.", "curly_bracket"),
    (C4Quality, C4QualityFilter, "Menu Home About\n" + GOOD.replace("\n", " ") + "\nPlease enable JavaScript to view.", None),
    (FineWebQuality, FineWebQualityFilter, GOOD, None),
    (FineWebQuality, FineWebQualityFilter, "\n".join(f"navigation link {w}" for w in VARIED.split()), "line_punct_ratio"),
    (FineWebQuality, FineWebQualityFilter, "\n".join(f"Item {w}." for w in VARIED.split()), "short_line_ratio"),
    (FineWebQuality, FineWebQualityFilter, GOOD + "\n" + "\n".join(["Share this article on social media."] * 3),
     "char_dup_ratio"),
    (FineWebQuality, FineWebQualityFilter, "\n".join(f"Supercalifragilistic expialidocious{w}." for w in VARIED.split()),
     "list_ratio"),
]


@pytest.mark.parametrize("ours, theirs, text, reason", CASES,
                         ids=[f"{c[0].__name__}-{c[3] or 'kept'}-{i}" for i, c in enumerate(CASES)])
def test_case_reason_and_agreement_with_datatrove(ours, theirs, text, reason):
    outcome = our_outcome(ours(), text)
    assert outcome[:2] == (reason is None, reason)
    assert outcome == datatrove_outcome(theirs(), text)


def test_c4_removes_lines_like_datatrove():
    text = "Menu Home About\n" + GOOD.replace("\n", " ") + "\nPlease enable JavaScript to view."
    d = C4Quality()(doc(text))
    assert d.keep and d.text == GOOD.replace("\n", " ")


def test_parameters_reach_datatrove():
    assert GopherQuality(min_doc_words=3)(doc("Too short to be a real document.")).keep
    assert C4Quality(min_num_sentences=1)(doc(GOOD)).keep
    assert GopherRepetition(top_n_grams=((2, 0.99),))(doc("buy now " * 50)).reason == "duplicated_5_n_grams"


@pytest.mark.parametrize("text, reason, check", [
    ("Too short to be a real document.", "gopher_short_doc", lambda s: s == 7),
    (GOOD + " #tag" * 30, "gopher_too_many_hashes", lambda s: s > 0.1),
    ("buy now " * 50, "top_2_gram", lambda s: s > 0.2),
])
def test_drops_carry_the_measured_score(text, reason, check):
    d = (GopherRepetition() if reason.startswith("top") else GopherQuality())(doc(text))
    assert d.reason == reason and check(d.score)


def test_decisions_match_datatrove_on_the_sample_corpus(sample_docs_by_file):
    """A few documents of every bundled jsonl file (all of them: `bench/bench_filters.py --agreement`)."""
    pairs = [(GopherRepetition(), GopherRepetitionFilter()), (GopherQuality(), GopherQualityFilter()),
             (C4Quality(), C4QualityFilter()), (FineWebQuality(), FineWebQualityFilter())]
    disagreements, compared = [], 0
    for path, docs in sample_docs_by_file.items():
        for d in docs[:4]:
            for ours, theirs in pairs:
                compared += 1
                if our_outcome(ours, d.text) != datatrove_outcome(theirs, d.text):
                    disagreements.append((path, d.id, ours.name))
    assert compared >= 100 and disagreements == []


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(["the", "of", "and", "cat", "sat", "#", "...", "…", "-", "•", "42", ".", ",",
                                 "\n", "\n\n", " ", "abcdefghijklmn", "a", "ab", "b"]), min_size=0, max_size=300)
       .map(" ".join))
def test_gopher_filters_decide_like_datatrove_on_arbitrary_text(text):
    for ours, theirs in ((GopherRepetition(), GopherRepetitionFilter()),
                         (GopherQuality(min_doc_words=5), GopherQualityFilter(min_doc_words=5))):
        assert our_outcome(ours, text) == datatrove_outcome(theirs, text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", "ba", "abc", "c", "x.", "."]), max_size=60), st.integers(1, 10))
def test_fast_ngram_helpers_equal_datatrove_helpers(words, n):
    joined, offsets = "".join(words), list(accumulate(map(len, words), initial=0))
    assert all_duplicate_chars(words, n, joined, offsets) == find_all_duplicate(words, n)
    grams = get_n_grams(words, n)
    assert top_ngram_chars(words, n) == (find_top_duplicate(grams) if grams else None)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", "ba", "abc", "c", "x.", ".", "the", "cat"]), min_size=520, max_size=1200),
       st.integers(5, 10))
def test_fast_duplicate_scan_equals_datatrove_on_long_documents(words, n):
    joined, offsets = "".join(words), list(accumulate(map(len, words), initial=0))
    expected = find_all_duplicate(words, n)
    assert all_duplicate_chars(words, n, joined, offsets) == expected
    assert all_duplicate_chars(words, n, joined, offsets, SubstringHashes(joined)) == expected


def test_substring_hashes_are_equal_for_equal_substrings():
    text = "abcXabcYabc£€𝄞abc£€𝄞"
    h = SubstringHashes(text)
    pairs = [(0, 3), (4, 7), (8, 11), (8, 14), (14, 20), (1, 4)]
    values = h.of(np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])).tolist()
    assert values[0] == values[1] == values[2] and values[3] == values[4] and values[0] != values[5]
    assert h.of(np.array([0]), np.array([0])).tolist() == [0]
