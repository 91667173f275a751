"""The measurement behind a FineWeb quality drop, for audits (`Decision.score`).

The decision is datatrove's; this recomputes, only for dropped documents, the ratio its rule compared with
the threshold, with datatrove's helpers and the memoized word split. (The Gopher filters report theirs
directly, see filters.gopher_fast; C4's reasons carry no number.)
"""
from __future__ import annotations

from typing import Callable, Optional

from datatrove.pipeline.filters.gopher_repetition_filter import find_duplicates
from datatrove.utils.text import split_into_words


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip() != ""]


def _fraction(items, test) -> float:
    return sum(map(test, items)) / len(items)


_SCORES: dict[str, Callable] = {
    "line_punct_ratio": lambda t, f: _fraction(_lines(t), lambda s: s.endswith(f.stop_chars)),
    "short_line_ratio": lambda t, f: _fraction(_lines(t), lambda s: len(s) <= f.short_line_length),
    "char_dup_ratio": lambda t, f: find_duplicates(_lines(t))[1] / len(t.replace("\n", "")),
    "list_ratio": lambda t, f: t.count("\n") / len(split_into_words(t, f.language)),
}


def score_for(reason: str, text: str, datatrove_filter) -> Optional[float]:
    """The quantity behind `reason` for this text, or None when the reason carries none."""
    score = _SCORES.get(reason)
    return None if score is None else float(score(text, datatrove_filter))
