"""What decontamination does to one document (pure: no Beam, no torch).

`decontaminate` finds the evaluation examples a document holds (pipeline.decontam.index) and decides:
keep it (nothing found), drop it (`action: drop`), or cut every matched span plus `margin` words on each
side and keep the rest (`action: redact`). A redacted document left with fewer than `min_words` words is
dropped instead: what remains of it is not a document. The reason names the first matched set in config
order (`contaminated:<set>`); every example found is listed in the decision.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from pipeline.decontam.index import Hit, Matcher
from pipeline.decontam.ngrams import chunk_bounds, word_bytes, word_spans


def contaminated_reason(set_name: str) -> str:
    return f"contaminated:{set_name}"


@dataclass(frozen=True)
class Decision:
    action: Literal["drop", "redact"]
    hits: list[Hit]
    sets: list[str]  # the sets of the examples found, in config order
    text: Optional[str] = None  # the redacted text (action redact)

    @property
    def reason(self) -> str:
        return contaminated_reason(self.sets[0])


def merged_word_ranges(windows, margin: int, n_words: int) -> list[tuple[int, int]]:
    """[start, end) word ranges covering every (start, length) window widened by `margin` words on each
    side, clipped to the text and merged where they touch or overlap."""
    ranges = sorted((max(0, s - margin), min(n_words, s + k + margin)) for s, k in windows)
    merged: list[list[int]] = []
    for a, b in ranges:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def redact(text: str, windows, margin: int) -> str:
    """The text without the characters of the matched words (whole whitespace-free chunks) and their
    margins. The whitespace around a cut becomes one gap (a paragraph break stays a paragraph break);
    none is left at the start or end of the text."""
    spans = word_spans(text)
    cuts: list[list[int]] = []
    for a, b in merged_word_ranges(windows, margin, len(spans)):
        start, end = chunk_bounds(text, spans[a][0], spans[b - 1][1])
        if cuts and start <= cuts[-1][1]:
            cuts[-1][1] = max(cuts[-1][1], end)
        else:
            cuts.append([start, end])
    pieces, pos = [], 0
    for start, end in cuts:
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    out = pieces[0]
    for piece in pieces[1:]:
        head, tail = out.rstrip(), piece.lstrip()
        if head and tail:  # one gap where the cut was: the side's with more line breaks, else a space
            gap = max(out[len(head):], piece[:len(piece) - len(tail)], key=lambda g: (g.count("\n"), len(g)))
            out = head + (gap or " ") + tail
        else:
            out = head + tail
    return out


def decontaminate(text: str, matcher: Matcher, action: str, margin: int, min_words: int) -> Optional[Decision]:
    """None for a clean document; else what to do with it (see the module docstring)."""
    hits = matcher.find(text)
    if not hits:
        return None
    order = {name: i for i, name in enumerate(matcher.index.set_names)}
    sets = sorted({matcher.set_of(h) for h in hits}, key=order.__getitem__)
    if action == "redact":
        kept = redact(text, [w for h in hits for w in h.windows], margin)
        if len(word_bytes(kept)) >= min_words:
            return Decision("redact", hits, sets, kept)
    return Decision("drop", hits, sets)
