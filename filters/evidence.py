"""Where in a document a filter's drop came from: character spans for report.html's samples.

Computed only for dropped documents, after the decision, so a kept document pays nothing. Each helper
returns at most `MAX_SPANS` [start, end) ranges, in order; where nothing can be pointed at, none.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Optional

from pipeline.document import Evidence

MAX_SPANS = 20


def _capped(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out = []
    for span in spans:
        out.append(span)
        if len(out) >= MAX_SPANS:
            break
    return tuple(out)


def parts(text: str, separator: re.Pattern) -> list[tuple[int, int]]:
    """[start, end) of the pieces `separator.split(text)` returns, in order."""
    out, start = [], 0
    for m in separator.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def repeated_parts(text: str, separator: re.Pattern, strip: bool = False) -> tuple[tuple[int, int], ...]:
    """Spans of every piece (line, paragraph) that repeats an earlier one: what datatrove's
    `find_duplicates` counts."""
    seen: set[str] = set()
    out = []
    base = len(text) - len(text.lstrip()) if strip else 0
    body = text.strip() if strip else text
    for start, end in parts(body, separator):
        piece = body[start:end]
        if piece in seen:
            out.append((base + start, base + end))
        else:
            seen.add(piece)
    return _capped(s for s in out if s[1] > s[0])


def word_sequence_spans(text: str, words: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Occurrences of consecutive words (as a word splitter returned them) in the text, whitespace or
    nothing between them."""
    if not words:
        return ()
    pattern = re.compile(r"\s*".join(map(re.escape, words)))
    return _capped(m.span() for m in pattern.finditer(text) if m.end() > m.start())


def substring_spans(text: str, needles: Iterable[str], ignore_case: bool = False) -> tuple[tuple[int, int], ...]:
    pattern = re.compile("|".join(map(re.escape, needles)), re.IGNORECASE if ignore_case else 0)
    return _capped(m.span() for m in pattern.finditer(text))


def line_spans(text: str, test: Callable[[str], bool]) -> tuple[tuple[int, int], ...]:
    """Spans of the lines (str.splitlines) for which test(line) holds."""
    out, start = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if test(body) and body:
            out.append((start, start + len(body)))
        start += len(line)
    return _capped(out)


def first_repeated_ngram(words: list[str], n: int) -> Optional[tuple[str, ...]]:
    seen: set = set()
    for i in range(len(words) - n + 1):
        gram = tuple(words[i:i + n])
        if gram in seen:
            return gram
        seen.add(gram)
    return None


def quoted(words: tuple[str, ...], limit: int = 80) -> str:
    text = " ".join(words)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def evidence(spans: tuple[tuple[int, int], ...] = (), note: str = "", url_spans=()) -> Optional[Evidence]:
    """An Evidence, or None when it would say nothing."""
    if not spans and not note and not url_spans:
        return None
    return Evidence(tuple(spans), note, tuple(url_spans))
