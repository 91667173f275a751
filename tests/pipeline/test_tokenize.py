import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from tokenizers import Tokenizer

from pipeline.tokenize import DocumentTokenizer, cut_points, split_long_text


@pytest.fixture(scope="module")
def tok(tokenizer_path=None):
    from tests.conftest import TOKENIZER_JSON

    return DocumentTokenizer.from_file(TOKENIZER_JSON, "<|endoftext|>", max_chunk_chars=2000)


def test_eos_appended_and_dtype_fits_vocab(tok):
    [ids] = tok.encode_documents(["Hello world"])
    assert ids.dtype == np.uint16 and ids[-1] == tok.eos_id
    assert tok.decode(ids[:-1]) == "Hello world"


def test_text_spelling_a_special_token_is_plain_text(tok):
    [ids] = tok.encode_documents(["a <|endoftext|> b"])
    assert list(ids).count(tok.eos_id) == 1 and ids[-1] == tok.eos_id
    assert tok.decode(ids[:-1]) == "a <|endoftext|> b"


def test_long_document_is_cut_at_pre_token_boundaries_with_identical_ids(tok, sample_data):
    text = open(f"{sample_data}/books/tinyshakespeare.txt", encoding="utf-8").read()[:200_000]
    assert len(split_long_text(text, 2000)) > 100
    whole = DocumentTokenizer.from_file(tok_path(), "<|endoftext|>", max_chunk_chars=10**9)
    [cut_ids] = tok.encode_documents([text])
    [whole_ids] = whole.encode_documents([text])
    assert np.array_equal(cut_ids, whole_ids)
    assert tok.decode(cut_ids[:-1]) == text


def tok_path():
    from tests.conftest import TOKENIZER_JSON

    return TOKENIZER_JSON


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \n\t.é語")), max_size=5000), st.integers(1000, 3000))
def test_cuts_cover_the_text_and_respect_the_limit(text, max_chars):
    starts = cut_points(text, max_chars)
    assert starts[0] == 0 and starts == sorted(set(starts))
    ends = starts[1:] + [len(text)]
    assert all(0 < b - a <= max_chars for a, b in zip(starts, ends)) or text == ""
    assert "".join(split_long_text(text, max_chars)) == text


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \n.é語😀")), min_size=1500, max_size=6000))
def test_any_text_decodes_back_exactly_after_cutting(tok, text):
    [ids] = tok.encode_documents([text])
    assert tok.decode(ids[:-1]) == __import__("unicodedata").normalize("NFC", text)


def test_batch_of_many_documents_keeps_order(tok):
    texts = [f"document {i} " * (i % 7 + 1) for i in range(300)]
    out = tok.encode_documents(texts)
    assert [tok.decode(ids[:-1]) for ids in out] == texts


def test_big_vocabulary_uses_uint32(tmp_path):
    t = Tokenizer.from_file(tok_path())
    t.add_tokens([f"<extra_{i}>" for i in range(16000)])
    dt = DocumentTokenizer(t.to_str(), "<|endoftext|>")
    assert dt.vocab_size > 65536 and dt.encode_documents(["hi"])[0].dtype == np.uint32


def test_unknown_eos_is_a_clear_error():
    with pytest.raises(ValueError, match="tokenizer.eos: '<nope>' is not a token"):
        DocumentTokenizer.from_file(tok_path(), "<nope>")


def test_tokenizer_that_prepends_a_space_is_never_cut():
    from tests.conftest import REPO
    import os

    llama = os.path.join(os.path.dirname(REPO), "shared", "corpus", "tokenizers", "llama.json")
    if not os.path.exists(llama):
        pytest.skip("shared llama tokenizer not present")
    assert DocumentTokenizer.from_file(llama, "</s>").max_chunk_chars is None
