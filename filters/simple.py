"""Cheap filters datatrove has no class for: document length, non-alphanumeric fraction, longest line.

Words here are whitespace-separated (`str.split()`), which costs nothing next to a spaCy split; each
bound is optional and inclusive (a document exactly at a bound is kept).
"""
from __future__ import annotations

from typing import Optional

from filters.base import KEEP, Decision, Filter, drop
from filters.evidence import evidence, line_spans
from pipeline.document import Document


def _check_fraction(name: str, value: Optional[float]) -> None:
    if value is not None and not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")


def _check_order(low_name: str, low, high_name: str, high) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(f"{low_name} ({low}) is larger than {high_name} ({high})")


class DocLength(Filter):
    name = "doc_length_v1"
    params = {"min_chars": Optional[int], "max_chars": Optional[int], "min_words": Optional[int], "max_words": Optional[int]}

    def __init__(self, min_chars=None, max_chars=None, min_words=None, max_words=None):
        _check_order("min_chars", min_chars, "max_chars", max_chars)
        _check_order("min_words", min_words, "max_words", max_words)
        self.min_chars, self.max_chars = min_chars, max_chars
        self.min_words, self.max_words = min_words, max_words

    def __call__(self, doc: Document) -> Decision:
        n_chars = len(doc.text)
        if self.min_chars is not None and n_chars < self.min_chars:
            return drop("too_few_chars", n_chars)
        if self.max_chars is not None and n_chars > self.max_chars:
            return drop("too_many_chars", n_chars)
        if self.min_words is not None or self.max_words is not None:
            n_words = len(doc.text.split())
            if self.min_words is not None and n_words < self.min_words:
                return drop("too_few_words", n_words)
            if self.max_words is not None and n_words > self.max_words:
                return drop("too_many_words", n_words)
        return KEEP

    def thresholds(self) -> dict[str, list[tuple[float, str]]]:
        lines = [(v, p) for p, v in (("min_chars", self.min_chars), ("max_chars", self.max_chars)) if v is not None]
        return {"chars": lines} if lines else {}


class NonAlphanumericFraction(Filter):
    """Drops documents where more than `max_fraction` of the non-whitespace characters are neither
    letters nor digits (markup, tables of symbols, ASCII art)."""

    name = "non_alnum_fraction_v1"
    params = {"max_fraction": float}

    def __init__(self, max_fraction: float = 0.25):
        _check_fraction("max_fraction", max_fraction)
        self.max_fraction = max_fraction

    def __call__(self, doc: Document) -> Decision:
        visible = "".join(doc.text.split())
        if not visible:
            return drop("non_alnum_fraction", 1.0)
        fraction = sum(not c.isalnum() for c in visible) / len(visible)
        return drop("non_alnum_fraction", fraction) if fraction > self.max_fraction else KEEP


class MaxLineLength(Filter):
    """Drops documents with a line longer than `max_chars` (minified code, base64 blobs, run-on dumps)."""

    name = "max_line_length_v1"
    params = {"max_chars": int}

    def __init__(self, max_chars: int = 1000):
        if max_chars < 1:
            raise ValueError(f"max_chars must be at least 1, got {max_chars}")
        self.max_chars = max_chars

    def __call__(self, doc: Document) -> Decision:
        longest = max(map(len, doc.text.splitlines()), default=0)
        if longest <= self.max_chars:
            return KEEP
        spans = line_spans(doc.text, lambda line: len(line) > self.max_chars)
        return drop("line_too_long", longest, evidence(spans, f"lines longer than {self.max_chars:,} characters"))
