"""Fixed-bin histograms of what each document measures (pure): length in characters and tokens, and every
score a filter records as a signal (language score, quality score, the Gopher ratios).

Bins are fixed per measure, so a split's histogram is a short list of counts and histograms from any
number of splits add up (pipeline.report_parts): memory does not grow with the corpus. Values outside
the range land in the first or last bin. Log-scaled measures have a first bin [0, 1) for zeros.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Optional

BEFORE, AFTER = "before", "after"  # every document at its decision (kept or removed); kept documents only


@dataclass(frozen=True)
class Bins:
    edges: tuple[float, ...]  # len(counts) + 1 edges, increasing
    scale: str  # "log" or "linear": how report.html spaces the axis labels

    def __len__(self) -> int:
        return len(self.edges) - 1

    def index(self, value: float) -> int:
        return min(max(bisect_right(self.edges, value) - 1, 0), len(self) - 1)

    def position(self, value: float) -> float:
        """Where `value` falls on an axis of equal-width bins, in bins from the left (for threshold lines)."""
        i = self.index(value)
        lo, hi = self.edges[i], self.edges[i + 1]
        if self.scale == "log" and lo > 0:
            from math import log

            frac = log(max(value, lo) / lo) / log(hi / lo)
        else:
            frac = (value - lo) / (hi - lo)
        return i + min(max(frac, 0.0), 1.0)

    def to_json(self) -> dict:
        return {"edges": [round(e, 6) for e in self.edges], "scale": self.scale}


def log_bins(decades: int, per_decade: int = 5) -> Bins:
    """[0, 1), then per_decade bins per power of ten up to 10**decades."""
    return Bins((0.0,) + tuple(10 ** (i / per_decade) for i in range(decades * per_decade + 1)), "log")


def linear_bins(lo: float, hi: float, n: int) -> Bins:
    return Bins(tuple(lo + (hi - lo) * i / n for i in range(n + 1)), "linear")


FRACTION = linear_bins(0.0, 1.0, 40)


@dataclass(frozen=True)
class Measure:
    label: str
    bins: Bins


MEASURES: dict[str, Measure] = {
    "chars": Measure("length in characters", log_bins(7)),
    "tokens": Measure("length in tokens (EOS included)", log_bins(6)),
    "language_score": Measure("language score (lid.176, top language)", FRACTION),
    "quality_score": Measure("quality score (fastText classifier)", FRACTION),
    "gopher_words": Measure("Gopher: words (not symbols)", log_bins(6)),
    "gopher_avg_word_length": Measure("Gopher: mean word length", linear_bins(0.0, 20.0, 40)),
    "gopher_hash_ratio": Measure("Gopher: '#' per word", FRACTION),
    "gopher_ellipsis_ratio": Measure("Gopher: ellipses per word", FRACTION),
    "gopher_bullet_lines_ratio": Measure("Gopher: fraction of bullet lines", FRACTION),
    "gopher_end_ellipsis_lines_ratio": Measure("Gopher: fraction of lines ending in an ellipsis", FRACTION),
    "gopher_alpha_words_ratio": Measure("Gopher: fraction of words with a letter", FRACTION),
    "gopher_stop_words": Measure("Gopher: distinct stop words", linear_bins(0.0, 40.0, 40)),
    "gopher_dup_para_frac": Measure("Gopher: duplicate paragraphs (fraction)", FRACTION),
    "gopher_dup_para_char_frac": Measure("Gopher: characters in duplicate paragraphs", FRACTION),
    "gopher_dup_line_frac": Measure("Gopher: duplicate lines (fraction)", FRACTION),
    "gopher_dup_line_char_frac": Measure("Gopher: characters in duplicate lines", FRACTION),
    **{f"gopher_top_{n}_gram_frac": Measure(f"Gopher: characters in the top {n}-gram", FRACTION) for n in (2, 3, 4)},
    **{f"gopher_dup_{n}_gram_frac": Measure(f"Gopher: characters in duplicated {n}-grams", FRACTION) for n in range(5, 11)},
}


def measure_for(name: str) -> Optional[Measure]:
    """The measure of a signal: a known one, any other `*_score` as a fraction, else None (not histogrammed)."""
    if name in MEASURES:
        return MEASURES[name]
    if name.endswith("_score") and name != "reject_score":
        return Measure(name.replace("_", " "), FRACTION)
    return None


def document_measures(text_chars: int, tokens: int, signals: dict) -> list[tuple[str, float]]:
    """(measure, value) for one document: its length and every numeric signal with a measure."""
    out = [("chars", text_chars), ("tokens", tokens)]
    for name, value in signals.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and measure_for(name) is not None:
            out.append((name, value))
    return out
