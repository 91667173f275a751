"""The sentencizer rule on token kinds."""
from filters.spacy_sentences import FINAL, OTHER, PUNCT, sentence_spans


def test_sentence_starts_after_final_punctuation_at_the_next_other_token():
    # "Hi . ) there ! ok" -> [Hi . )] [there !] [ok]
    tokens = [(0, 2, OTHER), (3, 4, FINAL), (5, 6, PUNCT), (7, 12, OTHER), (13, 14, FINAL), (15, 17, OTHER)]
    assert sentence_spans(tokens) == [(0, 6), (7, 14), (15, 17)]


def test_no_tokens_no_sentences_and_one_sentence_without_final_marks():
    assert sentence_spans([]) == []
    assert sentence_spans([(0, 1, OTHER), (2, 3, PUNCT)]) == [(0, 3)]
    assert sentence_spans([(0, 1, FINAL), (1, 2, FINAL)]) == [(0, 2)]
