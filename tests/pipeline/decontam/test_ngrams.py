"""Normalization and n-gram keys: the same text in another casing, width, spacing or punctuation gives the
same words and keys; other words, digits or order give other keys."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.decontam.ngrams import text_keys, window_keys, word_bytes, word_hashes, word_spans, words


def test_words_are_case_folded_nfkc_runs_of_letters_and_digits():
    assert words("Hello, WORLD!  It's 2024...") == ["hello", "world", "it", "s", "2024"]
    assert words("Ｆｕｌｌｗｉｄｔｈ　ＴＥＸＴ ５") == ["fullwidth", "text", "5"]  # NFKC: width variants
    assert words("Straße — ﬁne") == ["strasse", "fine"]  # case folding, ligature
    assert words("snake_case\tand\nnew-lines") == ["snake", "case", "and", "new", "lines"]
    assert words("café") == words("cafe\u0301") == ["café"]  # composed and decomposed accents agree
    assert words("मनुष्य का अधिकार") == ["मनुष्य", "का", "अधिकार"]  # combining vowel signs stay in the word
    assert words("...  !!") == [] and words("") == []


def test_digits_are_kept_not_folded():
    assert words("5 apples") != words("6 apples")
    assert words("3.14") == ["3", "14"]


@pytest.mark.parametrize("variant", [
    "NATALIA SOLD CLIPS TO 48 OF HER FRIENDS IN APRIL",
    "natalia   sold\nclips to 48, of her friends -- in April.",
    "Natalia sold clips to 48 of her friends in April!!!",
    "Natalia\u00a0sold clips to ４８ of her friends in April",
])
def test_formatting_variants_have_the_same_keys(variant):
    original = "Natalia sold clips to 48 of her friends in April"
    assert np.array_equal(text_keys(variant, 5), text_keys(original, 5))


def test_keys_depend_on_every_word_and_on_order():
    base = text_keys("one two three four five six", 3)
    assert base.size == 4 and len(set(base.tolist())) == 4
    assert not set(text_keys("one two three four five seven", 3).tolist()) >= set(base.tolist())
    assert set(text_keys("two one three", 3).tolist()).isdisjoint(base.tolist())


def test_a_text_shorter_than_n_is_one_key_of_its_whole_length():
    keys = text_keys("the quick brown fox", 13)
    assert keys.size == 1
    assert keys[0] == window_keys(word_hashes(word_bytes("the quick brown fox")), [4])[4][0]
    assert text_keys("!!!", 13).size == 0


def test_window_keys_match_keys_of_each_window_alone():
    ws = words("a b c d e f g h")
    keys = window_keys(word_hashes([w.encode() for w in ws]), [3, 5, 20])
    assert set(keys) == {3, 5}  # no 20-word window in 8 words
    for k, arr in keys.items():
        assert arr.size == len(ws) - k + 1
        for i in range(arr.size):
            assert arr[i] == text_keys(" ".join(ws[i:i + k]), k)[0]


def test_windows_of_different_lengths_never_share_keys():
    ws = words("x " * 30)  # the same word repeated: every window of one length has one key
    keys = window_keys(word_hashes(word_bytes("x " * 30)), range(1, 14))
    per_length = {k: set(v.tolist()) for k, v in keys.items()}
    assert all(len(v) == 1 for v in per_length.values())
    assert len(set().union(*per_length.values())) == 13


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZé\u0301ß ﬁ５½™\u00a0\t\n.,-_x9Ǆ"), max_size=40) | st.text(max_size=40))
def test_word_spans_give_one_chunk_per_word_and_the_chunk_holds_it(text):
    spans = word_spans(text)
    ws = words(text)
    assert len(spans) == len(ws)
    for (a, b), w in zip(spans, ws):
        assert w in words(text[a:b]) and not any(c.isspace() for c in text[a:b])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZé\u0301\u0308ß ﬁ５½™¨\u00a0\u3000\t\n.,-_x9Ǆİ"), max_size=40) | st.text(max_size=40))
def test_words_of_a_text_are_the_words_of_its_whitespace_chunks(text):
    assert words(text) == [w for chunk in text.split() for w in words(chunk)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZé\u0301ß ﬁ５½™’—\u00a0\t\n.,-_x9Ǆİ"), max_size=40) | st.text(max_size=40))
def test_the_bytes_fast_path_equals_the_definition(text):
    import unicodedata

    import regex

    definition = regex.findall(r"[\p{L}\p{N}\p{M}]+", unicodedata.normalize("NFKC", text).casefold())
    assert words(text) == definition
    assert word_bytes(text) == [w.encode("utf-8", "surrogatepass") for w in definition]


@pytest.mark.parametrize("text", ["Plain ASCII text, with words.", "Café ½ naïve ™ text here now", "½½ ™™ a b c d"])
def test_word_spans_can_stop_after_a_number_of_words(text):
    assert [word_spans(text, limit=n) for n in range(6)] == [word_spans(text)[:n] for n in range(6)]
