"""Text normalization and n-gram hashing for decontamination (pure: no Beam, no torch).

Both sides, evaluation examples and training documents, go through `words`: Unicode NFKC, case folded,
then the runs of letters, digits and combining marks (`[\\p{L}\\p{N}\\p{M}]+`); punctuation, symbols and
whitespace only separate words. Digits are kept as they are, so "5 apples" and "6 apples" differ. A
word never spans whitespace, so the words of a text are those of its whitespace-separated chunks, each
normalized alone: `word_spans` uses that to say which characters of the original text hold each word.

An n-gram's key is a 64-bit hash: each word's xxh3-64, combined as a polynomial mod 2**64
(h = sum w_i * P**(k-1-i)), plus k * _LENGTH_SALT so that windows of different lengths never share a
key by construction. Two different n-grams share a key with probability ~2**-64.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Optional

import numpy as np
import regex
import xxhash

_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")
_CHUNK = re.compile(r"\S+")  # re's \s is str.isspace
_ASCII_WORD_SPAN = re.compile(r"[A-Za-z0-9]+")
_P = np.uint64(0x9E3779B97F4A7C15)  # odd, so every power of it is invertible mod 2**64
_LENGTH_SALT = np.uint64(0xC2B2AE3D27D4EB4F)


# Bytes of ASCII text -> the same, lower-cased, every byte but a-z and 0-9 a space. For other text, the
# non-ASCII characters that are no word characters become spaces first; then _UTF8_SEPARATORS turns every
# ASCII byte but letters and digits into a space and keeps the (word characters') non-ASCII bytes.
_ASCII_WORDS = bytes(c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256))
_NON_ASCII_SEPARATOR = regex.compile(r"[^\x00-\x7f\p{L}\p{N}\p{M}]+")
_UTF8_SEPARATORS = bytes(c if 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c >= 128 else 32 for c in range(256))


def _normalize(chunk: str) -> str:
    return chunk.lower() if chunk.isascii() else unicodedata.normalize("NFKC", chunk).casefold()


def word_bytes(text: str) -> list[bytes]:
    """The UTF-8 bytes of each normalized word (see the module docstring): the fast path, with no Python
    loop over words (one regex substitution for non-ASCII separators, one byte translate table, a split)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORDS).split()
    norm = _NON_ASCII_SEPARATOR.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    return norm.encode("utf-8", "surrogatepass").translate(_UTF8_SEPARATORS).split()


def words(text: str) -> list[str]:
    """The normalized words of a text (see the module docstring)."""
    return [w.decode("utf-8", "surrogatepass") for w in word_bytes(text)]


def word_spans(text: str, limit: Optional[int] = None) -> list[tuple[int, int]]:
    """For each word of `words(text)` (the first `limit` only, when given), in order, the (start, end)
    characters of the original text that hold it: the word's own characters, or (where normalization
    changed how a text splits into words, e.g. "½" or "™") the whole whitespace-free chunk that holds it."""
    if text.isascii():
        return [m.span() for m in itertools.islice(_ASCII_WORD_SPAN.finditer(text), limit)]
    # The original text's words, normalized together: when they are exactly the text's words, one each,
    # their spans are the answer (a word normalized into two, or a symbol into letters, changes the list)
    matches, ws = list(_WORD.finditer(text)), words(text)
    if len(matches) == len(ws) and _WORD.findall(_normalize(" ".join(m.group() for m in matches))) == ws:
        return [m.span() for m in matches[:limit]]
    spans = []
    for m in _CHUNK.finditer(text):
        spans += [m.span()] * len(_WORD.findall(_normalize(m.group())))
        if limit is not None and len(spans) >= limit:
            break
    return spans[:limit]


def chunk_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) widened to the whitespace around them: whole whitespace-free chunks."""
    before, after = text[:start], text[end:]
    if before and not before[-1].isspace():
        start -= len(before.rsplit(None, 1)[-1])
    if after and not after[0].isspace():
        end += len(after.split(None, 1)[0])
    return start, end


def word_hashes(ws: list[bytes]) -> np.ndarray:
    """xxh3-64 of each word's UTF-8 bytes (uint64, one per word)."""
    return np.fromiter(map(xxhash.xxh3_64_intdigest, ws), dtype=np.uint64, count=len(ws))


def window_keys(hashes: np.ndarray, lengths) -> dict[int, np.ndarray]:
    """{k: the keys of every k-word window, by start word} for each k in `lengths` that fits. The
    windows of length k + 1 extend those of length k by one word: max(lengths) - 1 array steps in all."""
    out: dict[int, np.ndarray] = {}
    wanted = set(lengths)
    h = hashes
    with np.errstate(over="ignore"):
        for k in range(1, max(wanted, default=0) + 1):
            if k > 1:
                h = h[:-1] * _P + hashes[k - 1:]
            if h.size == 0:
                break
            if k in wanted:
                out[k] = h + np.uint64(k) * _LENGTH_SALT
    return out


def text_keys(text: str, n: int) -> np.ndarray:
    """The keys of an example: one per n-gram, or one for the whole text when it has fewer than n words
    (none for a text without words)."""
    hashes = word_hashes(word_bytes(text))
    if hashes.size == 0:
        return hashes
    return window_keys(hashes, [min(n, hashes.size)])[min(n, hashes.size)]
