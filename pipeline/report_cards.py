"""Sample documents as report.html cards (pure): escaped excerpts, the evidence marked, cuts shown.

A sample (pipeline.report_parts.sample_of) holds an excerpt of at most `excerpt_chars` characters and its
offset in the document; whatever is not shown is announced by a visible marker, never dropped silently.
A near duplicate is shown next to the document that survived it, the words that differ marked in both.
"""
from __future__ import annotations

import difflib
import re
from html import escape
from typing import Optional

_WORDS = re.compile(r"\s+|[^\s]+")
DIFF_MAX_CHARS = 4000  # longer pairs are shown without the difference marked (difflib is quadratic)


def merge_marks(marks, length: int) -> list[tuple[int, int]]:
    """Sorted, non-overlapping [start, end) ranges clipped to the text."""
    out: list[list[int]] = []
    for s, e in sorted((max(0, int(s)), min(length, int(e))) for s, e in marks or ()):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _render(text: str, ranges: list[tuple[int, int, str]]) -> str:
    """The text escaped, each non-overlapping (start, end, class) range wrapped in <mark>."""
    out, pos = [], 0
    for s, e, cls in sorted(ranges):
        if s < pos:
            continue
        out.append(escape(text[pos:s]))
        out.append(f'<mark class="{cls}">' if cls else "<mark>")
        out.append(f"{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:]))
    return "".join(out)


def marked(text: str, marks) -> str:
    """The text escaped, each mark wrapped in <mark>."""
    return _render(text, [(s, e, "") for s, e in merge_marks(marks, len(text))])


def shown(sample: dict, limit: Optional[int] = None) -> tuple[str, int, list]:
    """(text, offset in the document, marks) of the part of the excerpt to show: at most `limit`
    characters of it, around its first mark."""
    text, start, marks = sample.get("text") or "", int(sample.get("start") or 0), sample.get("marks") or []
    if limit is None or len(text) <= limit:
        return text, start, marks
    anchor = min((m[0] for m in marks), default=0)
    cut = max(0, min(anchor - min(limit // 8, 240), len(text) - limit))
    marks = [[s - cut, e - cut] for s, e in marks if e > cut and s < cut + limit]
    return text[cut:cut + limit], start + cut, [[max(s, 0), min(e, limit)] for s, e in marks]


def _cut(n: int, where: str) -> str:
    return f'<div class="cut">[… {n:,} character{"s" if n != 1 else ""} {where} not shown …]</div>' if n > 0 else ""


def excerpt_html(sample: dict, limit: Optional[int] = None, diff_marks=None) -> str:
    text, start, marks = shown(sample, limit)
    chars = int(sample.get("chars") or (start + len(text)))
    body = marked(text, marks) if diff_marks is None else _marked_both(text, marks, diff_marks)
    return f'{_cut(start, "before")}<pre class="text">{body}</pre>{_cut(chars - start - len(text), "after")}'


def _marked_both(text: str, marks, diff_marks) -> str:
    # Evidence marks win where the two kinds overlap; differences get their own colour.
    evidence = merge_marks(marks, len(text))
    diffs = [(s, e, "diff") for s, e in merge_marks(diff_marks, len(text))
             if not any(s < e2 and s2 < e for s2, e2 in evidence)]
    return _render(text, [(s, e, "") for s, e in evidence] + diffs)


def word_differences(a: str, b: str) -> tuple[list, list]:
    """Character ranges of the words of `a` and of `b` that the other does not share (difflib on words)."""
    if len(a) > DIFF_MAX_CHARS or len(b) > DIFF_MAX_CHARS:
        return [], []
    wa, wb = _WORDS.findall(a), _WORDS.findall(b)
    oa = [0]
    for w in wa:
        oa.append(oa[-1] + len(w))
    ob = [0]
    for w in wb:
        ob.append(ob[-1] + len(w))
    da, db = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if op != "equal":
            if i2 > i1:
                da.append([oa[i1], oa[i2]])
            if j2 > j1:
                db.append([ob[j1], ob[j2]])
    return da, db


def _meta(sample: dict, source: Optional[str]) -> str:
    bits = []
    if source is not None:
        bits.append(f'<span class="src">{escape(source)}</span>')
    bits.append(f'<span class="id">{escape(str(sample.get("id", "")))}</span>')
    if "chars" in sample:
        bits.append(f'{int(sample["chars"]):,} chars')
    if "tokens" in sample:
        bits.append(f'{int(sample["tokens"]):,} tokens')
    if "score" in sample:
        bits.append(f'score {float(sample["score"]):.4g}')
    if "language" in sample:
        bits.append(f'lang {escape(str(sample["language"]))}')
    return " · ".join(bits)


def sample_card(sample: dict, source: Optional[str] = None, limit: Optional[int] = None) -> str:
    """One sample: what it is, why it was removed (note, URL), the excerpt; a near duplicate with its survivor."""
    head = f'<div class="meta">{_meta(sample, source)}</div>'
    if sample.get("url"):
        head += f'<div class="url">{marked(str(sample["url"]), sample.get("url_marks"))}</div>'
    if sample.get("note"):
        head += f'<div class="note">{escape(str(sample["note"]))}</div>'
    survivor = sample.get("survivor")
    if survivor:
        a, _, _ = shown(sample, limit)
        b, _, _ = shown(survivor, limit)
        da, db = word_differences(a, b)
        return (f'<div class="sample">{head}<div class="pair">'
                f'<div><div class="side">removed</div>{excerpt_html(sample, limit, da)}</div>'
                f'<div><div class="side kept">kept: {escape(str(survivor.get("id", "")))}</div>'
                f'{excerpt_html(survivor, limit, db)}</div></div></div>')
    if sample.get("duplicate_of"):
        head += f'<div class="note">duplicate of {escape(str(sample["duplicate_of"]))}</div>'
    return f'<div class="sample">{head}{excerpt_html(sample, limit)}</div>'
