"""SharedSpacyTokenizer must return exactly what datatrove's SpaCyTokenizer returns."""
import pytest
from datatrove.utils.word_tokenizers import SpaCyTokenizer
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.word_split import SharedSpacyTokenizer, word_tokenizer_for

REFERENCE = SpaCyTokenizer("en")
SHARED = SharedSpacyTokenizer("en")

CASES = [
    "Hello world. This is a test!",
    "Don't stop... we can't, won't, shouldn't. gonna wanna cannot",
    "e-mail me: a.b@c.com or visit https://example.com/x?y=1 (today).",
    "tabs\tand\u00a0no-break\u2003em spaces\n\nnew  paragraph\r\nwindows",
    "U.S.A. Mr. Smith paid $3.50 for 2x4s at 5:30pm, 10% off!!!",
    "Unicode: naïve café — “quoted” «text» 日本語のテキスト Привет, мир!",
    "fooIS_ALPHA bar IS_ALPHA",
    "  leading spaces. And trailing!  ",
    "\n\nStarts with newlines.\tTabs\t\tand  double  spaces .  . . !! ?? Ok.",
    "Ends with a final mark.",
    "“Quoted.” (Parenthesised!) [Bracketed?] ... …  Next one",
    "",
    "   \n\t ",
]


@pytest.mark.parametrize("text", CASES)
def test_words_and_sentences_match_datatrove(text):
    assert SHARED.word_tokenize(text) == REFERENCE.word_tokenize(text)
    assert SHARED.span_tokenize(text) == REFERENCE.span_tokenize(text)
    assert SHARED.sent_tokenize(text) == REFERENCE.sent_tokenize(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list("ab .,!?'\"-\n\t\u00a0\u2003(){}:;#…1é。”") + ["can", "not", "U.S.", "don't", "IS_ALPHA", "  ", " \n "]),
               max_size=40).map("".join))
def test_words_match_datatrove_on_arbitrary_text(text):
    assert SHARED.word_tokenize(text) == REFERENCE.word_tokenize(text)
    assert SHARED.span_tokenize(text) == REFERENCE.span_tokenize(text)
    assert SHARED.sent_tokenize(text) == REFERENCE.sent_tokenize(text)


def test_sentences_match_datatrove_on_every_line_of_sample_documents(sample_docs_by_file):
    for docs in sample_docs_by_file.values():
        for d in docs[:3]:
            for line in d.text.splitlines()[:60]:
                assert SHARED.span_tokenize(line.strip()) == REFERENCE.span_tokenize(line.strip()), line


def test_memo_is_bounded_and_rebuilt():
    small = SharedSpacyTokenizer("en", max_entries=20)
    words = [f"word{i}" for i in range(30)]
    assert small.word_tokenize(" ".join(words)) == words
    assert len(small._words) == 30  # max_entries + one document's distinct chunks at most
    assert small.word_tokenize("again, then") == ["again", ",", "then"]  # rebuilt first
    assert len(small._words) == 2


def test_one_shared_tokenizer_per_language():
    assert word_tokenizer_for("en") is word_tokenizer_for("en")
    assert isinstance(word_tokenizer_for("en"), SharedSpacyTokenizer)
    with pytest.raises(ValueError, match="no word tokenizer"):
        word_tokenizer_for("not-a-language")
