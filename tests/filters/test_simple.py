"""The cheap filters: length, non-alphanumeric fraction, longest line."""
import pytest

from filters.simple import DocLength, MaxLineLength, NonAlphanumericFraction
from tests.filters.conftest import doc


@pytest.mark.parametrize("params, text, reason, score", [
    ({"min_chars": 5}, "abcd", "too_few_chars", 4),
    ({"min_chars": 5}, "abcde", None, None),
    ({"max_chars": 5}, "abcdef", "too_many_chars", 6),
    ({"min_words": 3}, "two words", "too_few_words", 2),
    ({"min_words": 3}, "three\nsmall  words", None, None),
    ({"max_words": 2}, "one two three", "too_many_words", 3),
    ({}, "", None, None),
])
def test_doc_length(params, text, reason, score):
    d = DocLength(**params)(doc(text))
    assert (d.reason, d.score) == (reason, score)


@pytest.mark.parametrize("max_fraction, text, reason", [
    (0.25, "plain words and numbers 123", None),
    (0.25, "<div><span>{{x}}</span></div>", "non_alnum_fraction"),
    (0.5, "a-b", None),
    (0.25, "   \n", "non_alnum_fraction"),
    (0.25, "Привет, мир! 日本語", None),
])
def test_non_alphanumeric_fraction(max_fraction, text, reason):
    assert NonAlphanumericFraction(max_fraction)(doc(text)).reason == reason


def test_max_line_length():
    assert MaxLineLength(10)(doc("short\n" + "x" * 10)).keep
    d = MaxLineLength(10)(doc("short\n" + "x" * 11))
    assert (d.reason, d.score) == ("line_too_long", 11)


@pytest.mark.parametrize("build", [
    lambda: DocLength(min_chars=10, max_chars=5),
    lambda: DocLength(min_words=3, max_words=2),
    lambda: NonAlphanumericFraction(1.5),
    lambda: MaxLineLength(0),
])
def test_impossible_parameters_are_refused(build):
    with pytest.raises(ValueError):
        build()
