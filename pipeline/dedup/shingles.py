"""Word n-gram shingles of normalized text, hashed with xxhash: the sets MinHash compares."""
from __future__ import annotations

import functools
import re
import sys
import unicodedata

import numpy as np
import xxhash

_PUNCT = re.compile(r"[^\w\s]|_")
_DIGIT = re.compile(r"\d")


@functools.cache
def _drop_combining_marks() -> dict:
    """str.translate table deleting every combining mark (built once per process, ~0.3 s)."""
    return {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp))}


def normalize_for_near_dedup(text: str) -> str:
    """Case, accents, punctuation, digit values and spacing removed, so that copies differing only in
    formatting share their shingles (the normalization of datatrove's `simplify_text`)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_drop_combining_marks())
    text = _DIGIT.sub("0", _PUNCT.sub(" ", text.casefold()))
    return " ".join(text.split())


def word_shingles(text: str, n: int) -> set[str]:
    """The set of n-word shingles of the normalized text. A text of fewer than n words is one shingle;
    a text with no words has none."""
    assert n >= 1
    words = normalize_for_near_dedup(text).split()
    if not words:
        return set()
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def shingle_hashes(text: str, n: int) -> np.ndarray:
    """Distinct 64-bit xxh3 hashes of the text's shingles (uint64, sorted). Memory: one hash per
    distinct shingle of this document."""
    shingles = word_shingles(text, n)
    hashes = np.fromiter((xxhash.xxh3_64_intdigest(s.encode("utf-8", "surrogatepass")) for s in shingles),
                         dtype=np.uint64, count=len(shingles))
    return np.unique(hashes)


def jaccard(a: set, b: set) -> float:
    """The true Jaccard similarity |a & b| / |a | b| (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0
