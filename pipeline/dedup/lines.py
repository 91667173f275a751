"""Repeated-line removal (pure): normalized line keys, per-document line counts, and the rewrite of a
document without the lines that occur too often across the corpus.

A line is one `str.splitlines` line. Blank lines are never counted or removed, so paragraph breaks
survive. Occurrences are counted per line instance: a line repeated inside one document counts each
time, as in CCNet and Llama 3's line-level deduplication.
"""
from __future__ import annotations

from collections import Counter
from typing import Collection, Optional

import xxhash


def normalize_line(line: str) -> str:
    """Case and spacing removed; digits and punctuation kept (a maths answer line `#### 18` is not
    the same line as `#### 72`)."""
    return " ".join(line.split()).casefold()


def line_key(line: str) -> Optional[bytes]:
    """128-bit xxh3 digest of the normalized line, or None for a blank line."""
    norm = normalize_line(line)
    if not norm:
        return None
    return xxhash.xxh3_128_digest(norm.encode("utf-8", "surrogatepass"))


def line_counts(text: str) -> Counter:
    """{line key: occurrences in this text}. Memory: one entry per distinct line of the document."""
    counts = Counter()
    for line in text.splitlines():
        key = line_key(line)
        if key is not None:
            counts[key] += 1
    return counts


def remove_lines(text: str, frequent: Collection[bytes]) -> tuple[str, int, int]:
    """The text without the lines whose key is in `frequent`, line endings of the kept lines intact:
    (new text, lines removed, characters removed). len(text) == len(new) + characters removed."""
    if not frequent:
        return text, 0, 0
    kept, lines_removed, chars_removed = [], 0, 0
    for line in text.splitlines(keepends=True):
        if line_key(line) in frequent:
            lines_removed += 1
            chars_removed += len(line)
        else:
            kept.append(line)
    return "".join(kept), lines_removed, chars_removed


def too_short(text: str, min_chars: int) -> bool:
    """Shorter than min_chars characters once surrounding whitespace is stripped."""
    return len(text.strip()) < min_chars


def removed_lines_evidence(text: str, frequent: Collection[bytes]):
    """The lines `remove_lines` takes out, as an Evidence (for a document left too short: report.html)."""
    from pipeline.document import Evidence

    spans, start = [], 0
    for line in text.splitlines(keepends=True):
        if len(spans) < 20 and line_key(line) in frequent:
            spans.append((start, start + len(line.rstrip("\r\n"))))
        start += len(line)
    return Evidence(tuple(spans), "lines repeated across the corpus")
