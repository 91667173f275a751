"""Word and sentence splitting shared by the datatrove heuristics, with datatrove's exact output.

datatrove's `SpaCyTokenizer` wraps every call in `nlp.memory_zone()`, which frees the vocabulary and the
tokenizer's cache after each call, so every document re-creates every lexeme; the Gopher, C4 and FineWeb
filters each split the text again (C4 once per line). That is ~90% of their time.

`SharedSpacyTokenizer` is a drop-in `datatrove.utils.word_tokenizers.WordTokenizer` that datatrove's own
filter classes accept as their `language` argument, so their filtering code runs unchanged. It returns
the same lists as `SpaCyTokenizer`:

* spaCy splits text at whitespace first and tokenizes each whitespace-free chunk on its own (the only
  tokenizer exceptions that contain whitespace are the whitespace characters themselves), and
  `strip_strings` drops the whitespace tokens, so the words of a text are the concatenated words of
  `text.split()`'s chunks (`str.split` and spaCy use the same `isspace`). Chunks are memoized.
* sentences: the same memoized tokens (whitespace runs included, as spaCy's tokenizer makes them) go
  through spaCy's sentencizer rule (`filters.spacy_sentences`), without building a spaCy `Doc`.

Memory: the chunk memo and spaCy's vocabulary grow with the number of distinct chunks seen; both are
dropped and rebuilt, before a document is split, once past `max_entries` memo entries or twice that many
lexemes (so at most `max_entries` + one document's distinct chunks; a few hundred MB at the default).
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from itertools import chain

from datatrove.utils.word_tokenizers import (
    SpaCyTokenizer,
    WordTokenizer,
    load_tokenizer_assignments,
    load_word_tokenizer,
    strip_strings,
)

from filters.spacy_sentences import sentence_spans, token_kind


# Inside a memory zone spaCy fails on this string and datatrove retries without it; texts holding it
# take datatrove's own path so the outcome is the same.
_SPACY_BREAKER = "IS_ALPHA"
_RUNS = re.compile(r"\s+|\S+")  # re's \s is str.isspace, as in spaCy's tokenizer


class SharedSpacyTokenizer(WordTokenizer):
    def __init__(self, spacy_language: str, max_entries: int = 1_000_000):
        super().__init__(spacy_language)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._nlp = None
        self._datatrove = None
        self._words: dict[str, tuple[str, ...]] = {}  # chunk -> its tokens' texts
        self._kinds: dict[str, tuple[tuple[int, int], ...]] = {}  # chunk or whitespace run -> (length, kind)

    def _pipeline(self):
        if self._nlp is None or len(self._kinds) > self.max_entries or len(self._nlp.vocab) > 2 * self.max_entries:
            import spacy

            from spacy.attrs import IS_PUNCT

            self._nlp = spacy.blank(self.language)
            self._punct_chars = self._nlp.add_pipe("sentencizer").punct_chars
            # Token boundaries never read lexeme attributes, and the sentencizer reads only IS_PUNCT: skip
            # computing the other ~20 (shape, like_num, ...) for every new word.
            getters = self._nlp.vocab.lex_attr_getters
            self._nlp.vocab.lex_attr_getters = {IS_PUNCT: getters[IS_PUNCT]}
            self._nlp.max_length = 2**62
            self._words, self._kinds = {}, {}
        return self._nlp

    def _learn(self, chunks: list[str]) -> None:
        """Tokenizes new whitespace-free chunks in one spaCy call: joined by single spaces, no token crosses
        a chunk, so each token belongs to the chunk its offset falls in."""
        ends, offset = [], 0
        for chunk in chunks:
            offset += len(chunk) + 1
            ends.append(offset)
        from spacy.attrs import IDX, IS_PUNCT, LENGTH

        words: list[list[str]] = [[] for _ in chunks]
        kinds: list[list[tuple[int, int]]] = [[] for _ in chunks]
        joined = " ".join(chunks)
        i = 0
        # (offset, length, is_punct) per token, read from the Doc's arrays without building Token objects
        for idx, length, is_punct in self._nlp.tokenizer(joined).to_array([IDX, LENGTH, IS_PUNCT]).tolist():
            while idx >= ends[i]:
                i += 1
            text = joined[idx:idx + length]
            words[i].append(text)
            kinds[i].append((length, token_kind(text, is_punct, self._punct_chars)))
        self._words.update(zip(chunks, map(tuple, words)))
        self._kinds.update(zip(chunks, map(tuple, kinds)))

    def _learn_whitespace(self, run: str) -> None:
        self._kinds[run] = tuple((len(t.text), token_kind(t.text, t.is_punct, self._punct_chars))
                                 for t in self._nlp.tokenizer(run))

    def _reference(self) -> SpaCyTokenizer:
        if self._datatrove is None:
            self._datatrove = SpaCyTokenizer(self.language)
        return self._datatrove

    def word_tokenize(self, text: str) -> list[str]:
        if _SPACY_BREAKER in text:
            return self._reference().word_tokenize(text)
        chunks = text.split()
        with self._lock:
            self._pipeline()
            new = set(chunks).difference(self._words)
            if new:
                self._learn(sorted(new))
            return list(chain.from_iterable(map(self._words.__getitem__, chunks)))

    def _tokens(self, text: str) -> list[tuple[int, int, int]]:
        """spaCy's tokens of `text` as (start, end, kind). Like spaCy's tokenizer: the text alternates runs
        of whitespace and non-whitespace; a whitespace run after a token loses its first character when
        that is a plain space (the token's trailing space), and what is left of it is tokenized too."""
        runs = []
        for m in _RUNS.finditer(text):
            run, pos = m.group(), m.start()
            if pos > 0 and run[0] == " ":
                run, pos = run[1:], pos + 1
            if run:
                runs.append((run, pos))
        with self._lock:
            self._pipeline()
            new = [r for r, _ in runs if r not in self._kinds]
            if new:
                self._learn([r for r in dict.fromkeys(new) if not r[0].isspace()])
                for r in dict.fromkeys(new):
                    if r[0].isspace():
                        self._learn_whitespace(r)
            memo = self._kinds
            tokens = []
            for run, pos in runs:
                for length, kind in memo[run]:
                    tokens.append((pos, pos + length, kind))
                    pos += length
            return tokens

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        if _SPACY_BREAKER in text:
            return self._reference().span_tokenize(text)
        return sentence_spans(self._tokens(text))

    def sent_tokenize(self, text: str) -> list[str]:
        if _SPACY_BREAKER in text:
            return self._reference().sent_tokenize(text)
        return strip_strings([text[a:b] for a, b in self.span_tokenize(text)])


def has_word_tokenizer(language: str) -> bool:
    return language in load_tokenizer_assignments()


@lru_cache(maxsize=None)
def word_tokenizer_for(language: str) -> WordTokenizer:
    """The tokenizer datatrove would use for `language`, made shareable when it is a plain spaCy one.

    One instance per language per process, so every filter and every Beam DoFn thread shares its memo."""
    if not has_word_tokenizer(language):
        raise ValueError(f"no word tokenizer for language {language!r} (see datatrove's tokenizer_assignment.csv)")
    reference = load_word_tokenizer(language)
    if type(reference) is SpaCyTokenizer and reference.config is None:
        return SharedSpacyTokenizer(reference.language)
    return reference
