"""datatrove's Gopher filters with their `filter()` re-expressed on faster exact helpers.

Once word splitting is shared (filters.word_split), what is left of the Gopher filters' time is their own
Python: n-gram strings joined word by word, and per-character `any(...)` tests on every word. These
subclasses keep datatrove's constructors, parameters and order of checks line for line and change only
how each quantity is computed, to the same value:

* `top_ngram_chars` counts n-gram tuples, not `" ".join`ed strings: words hold no spaces (they come from
  whitespace-free chunks), so two tuples are equal exactly when their joined strings are; the Counter's
  insertion order is the same, so `most_common(1)` breaks ties the same way.
* `all_duplicate_chars` compares the n-gram strings `"".join(words[i:i + n])` that datatrove builds (it
  joins without a separator, so this must stay a string comparison), sliced out of the words joined once,
  and replays datatrove's scan only at positions whose n-gram occurs more than once (found by substring
  hash in numpy).
* the per-word tests (has a non-punctuation character, has a letter) are memoized per distinct word.

`evaluate()` also returns the measured value behind a drop, at no extra cost; `measure()` every quantity
computed up to the decision (recorded as `gopher_*` signals, for report.html's histograms), `evidence()`
the spans of a dropped text that a ratio counted.
`tests/filters/test_heuristics.py` checks them against datatrove's own classes.
"""
from __future__ import annotations

from collections import Counter
from itertools import accumulate, count
from typing import Optional

import numpy as np

from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.filters.gopher_repetition_filter import find_duplicates
from datatrove.utils.text import PUNCTUATION_SET, split_into_words

from filters.evidence import (evidence, first_repeated_ngram, line_spans, quoted, repeated_parts, substring_spans,
                              word_sequence_spans)
from pipeline.document import Evidence

Outcome = tuple[Optional[str], Optional[float]]  # (drop reason or None, measured value)
Measured = tuple[Optional[str], Optional[float], dict]  # ... and every quantity measured before deciding
_MAX_MEMO = 1_000_000  # distinct words remembered per filter before the memo is dropped


def top_ngram_chars(words: list[str], n: int) -> Optional[int]:
    """`find_top_duplicate(get_n_grams(words, n))`, or None when there is no n-gram."""
    if len(words) < n:
        return None
    gram, count = Counter(zip(*(words[i:] for i in range(n)))).most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * count


class SubstringHashes:
    """Polynomial hashes (mod 2**64) of any substring of `text` in O(1), vectorized over many substrings.

    Equal strings always hash equal; unequal ones rarely do, and callers confirm every match on the
    strings themselves, so a collision costs time, never correctness."""

    BASE = 1_000_003

    def __init__(self, text: str):
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        one = np.ones(1, dtype=np.uint64)
        with np.errstate(over="ignore"):  # arithmetic mod 2**64 is the point
            powers = np.concatenate((one, np.cumprod(np.full(len(codes), self.BASE, dtype=np.uint64))))
            self.prefix = np.concatenate((np.zeros(1, dtype=np.uint64), np.cumsum(codes * powers[:-1])))
            inverse = np.full(len(codes), pow(self.BASE, -1, 2**64), dtype=np.uint64)
            self.inverse_powers = np.concatenate((one, np.cumprod(inverse)))

    def of(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (self.prefix[ends] - self.prefix[starts]) * self.inverse_powers[starts]


def all_duplicate_chars(words: list[str], n: int, joined: str, offsets: list[int],
                        hashes: Optional[SubstringHashes] = None) -> int:
    """`find_all_duplicate(words, n)`: `joined` is `"".join(words)`, `offsets` its word start offsets.

    datatrove scans positions left to right, remembering each visited n-gram; a repeat adds its length and
    skips the next n-1 positions, which are then never remembered. Only an n-gram that occurs more than once
    can ever repeat, so only the positions of those are replayed; with `hashes` they are found in numpy by
    substring hash, otherwise with a dict of the n-gram strings."""
    stop = len(words) - n + 1
    if stop <= 0:
        return 0
    if hashes is not None:
        starts = np.asarray(offsets[:stop])
        h = hashes.of(starts, np.asarray(offsets[n:n + stop]))
        _, which, counts = np.unique(h, return_inverse=True, return_counts=True)
        candidates = np.flatnonzero(counts[which] > 1).tolist()
        key = lambda pos: joined[offsets[pos]:offsets[pos + n]]  # noqa: E731 - the string decides
    else:
        grams = map(joined.__getitem__, map(slice, offsets[:stop], offsets[n:n + stop]))
        first_seen: dict[str, int] = {}
        first = list(map(first_seen.setdefault, grams, count()))  # equal n-grams share their first position
        if len(first_seen) == stop:
            return 0
        candidates, key = range(stop), first.__getitem__
    visited: set = set()
    repeated = next_free = 0
    for pos in candidates:
        if pos < next_free:  # skipped after a repeat: neither counted nor remembered
            continue
        gram = key(pos)
        if gram in visited:
            repeated += offsets[pos + n] - offsets[pos]
            next_free = pos + n
        else:
            visited.add(gram)
            next_free = pos + 1
    return repeated

class FastGopherRepetition(GopherRepetitionFilter):
    def measure(self, text: str) -> Measured:
        """(drop reason or None, value behind it, every fraction computed up to the decision)."""
        m: dict[str, float] = {}
        if not text:
            return "empty", None, m
        paragraphs = self.paragraph_exp.split(text.strip())
        paragraphs_duplicates, char_duplicates = find_duplicates(paragraphs)
        m["dup_para_frac"] = paragraphs_duplicates / len(paragraphs)
        m["dup_para_char_frac"] = char_duplicates / len(text)
        if self.dup_para_frac and paragraphs_duplicates / len(paragraphs) > self.dup_para_frac:
            return "dup_para_frac", paragraphs_duplicates / len(paragraphs), m
        if self.dup_para_char_frac and char_duplicates / len(text) > self.dup_para_char_frac:
            return "dup_para_char_frac", char_duplicates / len(text), m
        lines = self._line_splitter.split(text)
        line_duplicates, char_duplicates = find_duplicates(lines)
        m["dup_line_frac"] = line_duplicates / len(lines)
        m["dup_line_char_frac"] = char_duplicates / len(text)
        if self.dup_line_frac and line_duplicates / len(lines) > self.dup_line_frac:
            return "dup_line_frac", line_duplicates / len(lines), m
        if self.dup_line_char_frac and char_duplicates / len(text) > self.dup_line_char_frac:
            return "dup_line_char_frac", char_duplicates / len(text), m

        words = split_into_words(text, self.language)
        for n, n_frac in self.top_n_grams:
            top_char_length = top_ngram_chars(words, n)
            m[f"top_{n}_gram_frac"] = (top_char_length or 0) / len(text)
            if top_char_length is not None and top_char_length / len(text) > n_frac:
                return f"top_{n}_gram", top_char_length / len(text), m
        joined, offsets = "".join(words), list(accumulate(map(len, words), initial=0))
        hashes = SubstringHashes(joined)
        for n, n_frac in self.dup_n_grams:
            n_duplicates_char = all_duplicate_chars(words, n, joined, offsets, hashes)
            m[f"dup_{n}_gram_frac"] = n_duplicates_char / len(text)
            if n_duplicates_char / len(text) > n_frac:
                return f"duplicated_{n}_n_grams", n_duplicates_char / len(text), m
        return None, None, m

    def evaluate(self, text: str) -> Outcome:
        return self.measure(text)[:2]

    def evidence(self, text: str, reason: str) -> Optional[Evidence]:
        """The repeated paragraphs or lines, or every occurrence of the n-gram behind a drop."""
        if reason.startswith("dup_para"):
            return evidence(repeated_parts(text, self.paragraph_exp, strip=True), "repeated paragraphs")
        if reason.startswith("dup_line"):
            return evidence(repeated_parts(text, self._line_splitter), "repeated lines")
        words = split_into_words(text, self.language)
        if reason.startswith("top_"):
            n = int(reason.split("_")[1])
            gram = Counter(zip(*(words[i:] for i in range(n)))).most_common(1)[0][0]
            return evidence(word_sequence_spans(text, gram), f"most frequent {n}-gram {quoted(gram)}")
        if reason.startswith("duplicated_"):
            n = int(reason.split("_")[1])
            gram = first_repeated_ngram(words, n)
            return evidence(word_sequence_spans(text, gram), f"a repeated {n}-gram {quoted(gram)}") if gram else None
        return None

    def thresholds(self) -> dict[str, list[tuple[float, str]]]:
        out = {}
        for name in ("dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac"):
            if getattr(self, name):
                out[name] = [(getattr(self, name), name)]
        for n, frac in self.top_n_grams:
            out[f"top_{n}_gram_frac"] = [(frac, f"top_n_grams[{n}]")]
        for n, frac in self.dup_n_grams:
            out[f"dup_{n}_gram_frac"] = [(frac, f"dup_n_grams[{n}]")]
        return out

    def filter(self, doc):
        reason, _ = self.evaluate(doc.text)
        return True if reason is None else (False, reason)


class FastGopherQuality(GopherQualityFilter):
    def __init__(self, **params):
        super().__init__(**params)
        self._word_flags: dict[str, tuple[bool, bool]] = {}  # word -> (has a non-punctuation char, has a letter)

    def _flags(self, words: list[str]) -> list[tuple[bool, bool]]:
        memo = self._word_flags
        if len(memo) > _MAX_MEMO:
            memo.clear()
        for w in words:
            if w not in memo:
                memo[w] = (any(ch not in PUNCTUATION_SET for ch in w), any(c.isalpha() for c in w))
        return [memo[w] for w in words]

    def measure(self, text: str) -> Measured:
        """(drop reason or None, value behind it, every quantity computed up to the decision)."""
        m: dict[str, float] = {}
        words = split_into_words(text, self.language)
        n_words = len(words)
        flags = self._flags(words)
        non_symbol_words = [w for w, (non_symbol, _) in zip(words, flags) if non_symbol]
        n_non_symbol = len(non_symbol_words)
        m["words"] = n_non_symbol

        if self.min_doc_words and n_non_symbol < self.min_doc_words:
            return "gopher_short_doc", n_non_symbol, m
        if self.max_doc_words and n_non_symbol > self.max_doc_words:
            return "gopher_long_doc", n_non_symbol, m
        # np.mean of integers: the exact sum divided once, which is what this computes (nan when empty)
        avg_word_length = sum(map(len, non_symbol_words)) / n_non_symbol if n_non_symbol else float("nan")
        if n_non_symbol:
            m["avg_word_length"] = avg_word_length
        if self.min_avg_word_length and avg_word_length < self.min_avg_word_length:
            return "gopher_below_avg_threshold", avg_word_length, m
        if self.max_avg_word_length and avg_word_length > self.max_avg_word_length:
            return "gopher_above_avg_threshold", avg_word_length, m
        if self.max_symbol_word_ratio:
            m["hash_ratio"] = text.count("#") / n_words
        if self.max_symbol_word_ratio and text.count("#") / n_words > self.max_symbol_word_ratio:
            return "gopher_too_many_hashes", text.count("#") / n_words, m
        ellipsis_ratio = (text.count("...") + text.count("…")) / n_words if self.max_symbol_word_ratio else 0
        if self.max_symbol_word_ratio:
            m["ellipsis_ratio"] = ellipsis_ratio
        if self.max_symbol_word_ratio and ellipsis_ratio > self.max_symbol_word_ratio:
            return "gopher_too_many_ellipsis", ellipsis_ratio, m

        lines = text.splitlines()
        if self.max_bullet_lines_ratio:
            ratio = sum(s.lstrip().startswith("•") or s.lstrip().startswith("-") for s in lines) / len(lines)
            m["bullet_lines_ratio"] = ratio
            if ratio > self.max_bullet_lines_ratio:
                return "gopher_too_many_bullets", ratio, m
        if self.max_ellipsis_lines_ratio:
            ratio = sum(s.rstrip().endswith("...") or s.rstrip().endswith("…") for s in lines) / len(lines)
            m["end_ellipsis_lines_ratio"] = ratio
            if ratio > self.max_ellipsis_lines_ratio:
                return "gopher_too_many_end_ellipsis", ratio, m
        if self.max_non_alpha_words_ratio:
            ratio = sum(has_alpha for _, has_alpha in flags) / n_words
            m["alpha_words_ratio"] = ratio
            if ratio < self.max_non_alpha_words_ratio:
                return "gopher_below_alpha_threshold", ratio, m
        if self.min_stop_words:
            found = len(self.stop_words.intersection(set(words)))
            m["stop_words"] = found
            if found < self.min_stop_words:
                return "gopher_enough_stop_words", found, m
        return None, None, m

    def evaluate(self, text: str) -> Outcome:
        return self.measure(text)[:2]

    def evidence(self, text: str, reason: str) -> Optional[Evidence]:
        """The characters or lines a ratio counted, for the reasons that count some."""
        if reason == "gopher_too_many_hashes":
            return evidence(substring_spans(text, ["#"]), "'#' characters")
        if reason == "gopher_too_many_ellipsis":
            return evidence(substring_spans(text, ["...", "…"]), "ellipses")
        if reason == "gopher_too_many_bullets":
            return evidence(line_spans(text, lambda s: s.lstrip().startswith(("•", "-"))), "bullet lines")
        if reason == "gopher_too_many_end_ellipsis":
            return evidence(line_spans(text, lambda s: s.rstrip().endswith(("...", "…"))), "lines ending in an ellipsis")
        return None

    def thresholds(self) -> dict[str, list[tuple[float, str]]]:
        pairs = {"words": ("min_doc_words", "max_doc_words"),
                 "avg_word_length": ("min_avg_word_length", "max_avg_word_length"),
                 "hash_ratio": ("max_symbol_word_ratio",), "ellipsis_ratio": ("max_symbol_word_ratio",),
                 "bullet_lines_ratio": ("max_bullet_lines_ratio",),
                 "end_ellipsis_lines_ratio": ("max_ellipsis_lines_ratio",),
                 "alpha_words_ratio": ("max_non_alpha_words_ratio",), "stop_words": ("min_stop_words",)}
        return {measure: [(getattr(self, p), p) for p in params if getattr(self, p)]
                for measure, params in pairs.items() if any(getattr(self, p) for p in params)}

    def filter(self, doc):
        reason, _ = self.evaluate(doc.text)
        return True if reason is None else (False, reason)
