"""spaCy's rule-based `Sentencizer` (spaCy 3.8, `spacy/pipeline/sentencizer.pyx`) as a function of token
kinds, so sentences can be cut from memoized tokens without building a spaCy `Doc`.

A token is OTHER, PUNCT (`is_punct`: every character in a Unicode P* category, not a sentence-final
character) or FINAL (in the sentencizer's `punct_chars`). A sentence starts at the first token and at
every OTHER token seen after a FINAL one.
"""
from __future__ import annotations

OTHER, PUNCT, FINAL = 0, 1, 2

Token = tuple[int, int, int]  # (start_char, end_char, kind)


def token_kind(text: str, is_punct: bool, punct_chars) -> int:
    return FINAL if text in punct_chars else PUNCT if is_punct else OTHER


def sentence_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    """(start_char, end_char) of each sentence, as `[(s.start_char, s.end_char) for s in doc.sents]`."""
    if not tokens:
        return []
    starts = [0]
    seen_final = False
    for i, (_, _, kind) in enumerate(tokens):
        if seen_final and kind == OTHER:
            starts.append(i)
            seen_final = False
        elif kind == FINAL:
            seen_final = True
    ends = starts[1:] + [len(tokens)]
    return [(tokens[s][0], tokens[e - 1][1]) for s, e in zip(starts, ends)]
