"""The index and the matcher: which documents hold which examples."""
import numpy as np
import pytest

from pipeline.decontam.decide import decontaminate
from pipeline.decontam.index import EvalIndex, Matcher
from pipeline.decontam.ngrams import words

QUESTION = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
            "How many clips did Natalia sell altogether in April and May?")
OTHER = ("A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it "
         "take to make the robe for the king?")
SHORT = "What is the boiling point of water at sea level"  # 10 words: matched whole
TINY = "the answer is 5"  # under min_words: matched by nothing
FILLER = ("The town council met on Tuesday to discuss the new library, the state of the roads and a plan for "
          "more trees along the river. ")


def index(*examples, ngram=13, min_words=8):
    return EvalIndex.build(examples, sorted({s for s, _, _ in examples}), ngram, min_words)


def found(text, idx):
    m = Matcher(idx)
    return sorted((m.set_of(h), m.example_id(h)) for h in m.find(text))


def test_an_example_inside_a_long_document_is_found_and_named():
    idx = index(("gsm8k", "q1", QUESTION), ("gsm8k", "q2", OTHER))
    assert found(FILLER * 20 + QUESTION + " " + FILLER * 20, idx) == [("gsm8k", "q1")]
    assert found(FILLER * 40, idx) == []


@pytest.mark.parametrize("variant", [
    QUESTION.upper(),
    QUESTION.replace(" ", "\n  "),
    QUESTION.replace(",", "").replace(".", "!!").replace("?", " ?"),
    "Ｎａｔａｌｉａ " + QUESTION[8:],
])
def test_casing_punctuation_whitespace_and_width_variants_are_found(variant):
    assert found(FILLER + variant, index(("gsm8k", "q1", QUESTION))) == [("gsm8k", "q1")]


def test_a_piece_of_ngram_words_is_enough_and_one_word_less_is_not():
    ws = QUESTION.split()
    idx = index(("gsm8k", "q1", QUESTION))
    assert found(FILLER + " ".join(ws[5:18]) + " " + FILLER, idx) == [("gsm8k", "q1")]
    assert found(FILLER + " ".join(ws[5:17]) + " " + FILLER, idx) == []


def test_the_middle_sixty_percent_of_an_example_is_found():
    ws = QUESTION.split()
    cut = len(ws) // 5
    assert found(FILLER + " ".join(ws[cut:-cut]) + " " + FILLER, index(("gsm8k", "q1", QUESTION))) == [("gsm8k", "q1")]


def test_short_examples_match_whole_and_examples_under_min_words_match_nothing():
    idx = index(("trivia", "s1", SHORT), ("trivia", "t1", TINY))
    assert idx.stats["trivia"].indexed == 1 and idx.stats["trivia"].too_short == 1
    assert found(FILLER + SHORT.upper() + "? " + FILLER, idx) == [("trivia", "s1")]
    assert found(FILLER + "What is the boiling point of water at sea. " + FILLER, idx) == []  # not whole
    assert found(FILLER + "We think the answer is 5, " + FILLER, idx) == []
    assert found(FILLER + TINY, index(("trivia", "t1", TINY), min_words=4)) == [("trivia", "t1")]


def test_a_document_shorter_than_ngram_can_still_hold_a_short_example():
    assert found(SHORT, index(("trivia", "s1", SHORT))) == [("trivia", "s1")]


def test_several_sets_and_examples_in_one_document_are_all_found():
    idx = index(("gsm8k", "q1", QUESTION), ("gsm8k", "q2", OTHER), ("trivia", "s1", SHORT))
    doc = OTHER + FILLER + SHORT + ". " + QUESTION
    assert found(doc, idx) == [("gsm8k", "q1"), ("gsm8k", "q2"), ("trivia", "s1")]


def test_an_ngram_shared_by_examples_goes_to_the_example_the_document_holds():
    shared = "which of the following best describes the main purpose of the passage above"
    a = shared + " about the migration of birds across the northern sea in spring"
    b = shared + " about the history of the printing press in early modern europe"
    idx = index(("mmlu", "a", a), ("mmlu", "b", b))
    assert found(FILLER + b + ". " + FILLER, idx) == [("mmlu", "b")]
    assert found(FILLER + shared + ". " + FILLER, idx) == [("mmlu", "a")]  # shared words alone: one example, not two


def test_the_index_is_sorted_and_costs_twelve_bytes_per_ngram():
    idx = index(("gsm8k", "q1", QUESTION), ("gsm8k", "q2", OTHER))
    n_q1, n_q2 = len(words(QUESTION)) - 12, len(words(OTHER)) - 12
    assert idx.stats["gsm8k"].ngrams == idx.keys.size == n_q1 + n_q2
    assert np.all(np.diff(idx.keys.astype(np.float64)) >= 0) and np.all(idx.keys[:-1] <= idx.keys[1:])
    assert idx.nbytes == 12 * idx.keys.size + 2 * 2 + 2 ** 16 // 8  # and the smallest bitmap


def test_an_empty_index_finds_nothing():
    idx = index(("trivia", "t1", TINY))
    assert idx.keys.size == 0 and found(TINY + FILLER, idx) == []


def test_decide_drop_names_the_first_set_in_config_order():
    idx = EvalIndex.build([("zeta", "z1", QUESTION), ("alpha", "a1", OTHER)], ["zeta", "alpha"], 13, 8)
    decision = decontaminate(OTHER + FILLER + QUESTION, Matcher(idx), "drop", 0, 8)
    assert decision.action == "drop" and decision.sets == ["zeta", "alpha"]
    assert decision.reason == "contaminated:zeta"
    assert decontaminate(FILLER * 3, Matcher(idx), "drop", 0, 8) is None


def test_the_bitmap_prefilter_keeps_every_index_key_and_rules_out_most_others():
    idx = index(*[("gsm8k", f"q{i}", f"{QUESTION} variant {i} " + OTHER) for i in range(200)])
    assert idx.maybe(idx.keys).all()
    others = np.random.default_rng(0).integers(0, 2**64, size=100_000, dtype=np.uint64)
    assert idx.maybe(others).mean() < 0.1
