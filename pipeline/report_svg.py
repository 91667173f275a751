"""Hand-written inline SVG and CSS charts for report.html (pure, no scripts, no external assets).

`histogram` draws a fixed-bin distribution (pipeline.distributions) before and after curation on one
axis, with each filter threshold as a dashed line; `hbars` is a labelled horizontal bar chart.
"""
from __future__ import annotations

import math
from html import escape

from pipeline.distributions import Bins

W, H = 320, 132  # one histogram's box, in SVG units (it scales to its grid cell)
PAD_L, PAD_R, PAD_T, PAD_B = 34, 8, 16, 30


def fmt_count(n: float) -> str:
    n = float(n)
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            v = n / div
            return f"{v:.0f}{unit}" if v >= 100 else f"{v:.1f}{unit}".replace(".0" + unit, unit)
    return f"{n:.0f}" if n == int(n) else f"{n:.2g}"


def fmt_edge(v: float) -> str:
    if v >= 1000:
        return fmt_count(v)
    return f"{v:g}" if v == int(v) else f"{v:.2g}"


def _ticks(bins: Bins) -> list[tuple[float, str]]:
    """(position in bins, label): decades on a log axis, five evenly spaced labels on a linear one."""
    n = len(bins)
    if bins.scale == "log":
        out = [(float(i), fmt_edge(e)) for i, e in enumerate(bins.edges)
               if e >= 1 and abs(round(math.log10(e)) - math.log10(e)) < 1e-9]
        step = max(1, (len(out) + 6) // 7)
        return out[::step]
    return [(n * k / 4, fmt_edge(bins.edges[0] + (bins.edges[-1] - bins.edges[0]) * k / 4)) for k in range(5)]


def _outline(series: list, top: float, bw: float, ph: float, cls: str) -> str:
    """A series as one filled step outline: ~11 bytes a bin, for pages with thousands of charts."""
    base = PAD_T + ph
    d = [f"M{PAD_L} {base}"]
    for i, count in enumerate(series):
        y = base - (max(ph * count / top, 1.0) if count else 0)
        d.append(f"V{y:.0f}H{PAD_L + (i + 1) * bw:.0f}")
    return f'<path class="{cls}" d="{"".join(d)}V{base}Z"/>'


def histogram(title: str, bins: Bins, before: list, after: list, thresholds: list = (), tooltips: bool = True,
              note: str = "", compact: bool = False) -> str:
    """An SVG histogram: `before` (grey) behind `after` (blue), thresholds as red dashed lines. Bars are
    one <rect> per non-empty bin with its count as a tooltip; `compact` draws each series as one path."""
    n = len(bins)
    before = list(before or [0] * n)[:n] + [0] * max(0, n - len(before or []))
    after = list(after or [0] * n)[:n] + [0] * max(0, n - len(after or []))
    top = max(max(before), max(after), 1)
    pw, ph = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    bw = pw / n
    parts = [f'<svg class="hist" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">',
             f'<line class="axis" x1="{PAD_L}" y1="{PAD_T + ph}" x2="{PAD_L + pw}" y2="{PAD_T + ph}"/>',
             f'<text class="ylab" x="{PAD_L - 4}" y="{PAD_T + 4}">{fmt_count(top)}</text>',
             f'<text class="ylab" x="{PAD_L - 4}" y="{PAD_T + ph}">0</text>']
    for series, cls in ((before, "hb"), (after, "ha")):
        if compact:
            parts.append(_outline(series, top, bw, ph, cls) if any(series) else "")
            continue
        for i, count in enumerate(series):
            if not count:
                continue
            h = max(ph * count / top, 1.0)
            x, y = PAD_L + i * bw, PAD_T + ph - h
            tip = ""
            if tooltips:
                lo, hi = fmt_edge(bins.edges[i]), fmt_edge(bins.edges[i + 1])
                tip = f"<title>[{lo}, {hi}): {count:,} {'kept' if cls == 'ha' else 'in'}</title>"
            parts.append(f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{max(bw - 0.6, 0.6):.1f}" '
                         f'height="{h:.1f}">{tip}</rect>')
    for pos, label in _ticks(bins):
        x = PAD_L + pos * bw
        parts.append(f'<text class="xlab" x="{x:.1f}" y="{PAD_T + ph + 12}">{escape(label)}</text>')
    for k, t in enumerate(thresholds or ()):
        value, name = float(t["value"]), str(t.get("name", ""))
        x = PAD_L + bins.position(value) * bw
        anchor = "end" if x > PAD_L + pw * 0.6 else "start"
        dx = -3 if anchor == "end" else 3
        parts.append(f'<line class="thr" x1="{x:.1f}" y1="{PAD_T - 2}" x2="{x:.1f}" y2="{PAD_T + ph}">'
                     f'<title>{escape(name)} = {value:g}</title></line>'
                     f'<text class="thrlab" x="{x + dx:.1f}" y="{PAD_T + 8 + 9 * k}" text-anchor="{anchor}">'
                     f'{value:g}</text>')
    parts.append(f'<text class="xlab" x="{PAD_L + pw / 2:.1f}" y="{H - 3}">{escape(note)}</text>' if note else "")
    parts.append("</svg>")
    return "".join(parts)


def hbars(rows: list[tuple[str, float, str]], cls: str = "", scale: float | None = None) -> str:
    """Label | bar | value rows as a CSS grid; `scale` is the value of a full bar (default: the largest)."""
    if not rows:
        return ""
    widest = scale or max((v for _, v, _ in rows), default=0) or 1
    cells = "".join(
        f'<div class="hl">{escape(label)}</div><div class="ht"><div class="hbar {cls}" '
        f'style="width:{min(100.0, 100 * v / widest):.2f}%"></div></div><div class="hv">{escape(text)}</div>'
        for label, v, text in rows)
    return f'<div class="hchart">{cells}</div>'


def paired_bars(rows: list[tuple[str, float, float]], labels: tuple[str, str], fmt=lambda v: f"{v:.1%}") -> str:
    """Two bars per row (e.g. target vs realized), on one scale."""
    if not rows:
        return ""
    widest = max(max(a, b) for _, a, b in rows) or 1
    cells = "".join(
        f'<div class="hl">{escape(label)}</div><div class="ht pair">'
        f'<div class="hbar first" style="width:{100 * a / widest:.2f}%" title="{escape(labels[0])} {fmt(a)}"></div>'
        f'<div class="hbar second" style="width:{100 * b / widest:.2f}%" title="{escape(labels[1])} {fmt(b)}"></div>'
        f'</div><div class="hv">{fmt(a)} → {fmt(b)}</div>'
        for label, a, b in rows)
    legend = (f'<div class="legend"><span class="key first"></span>{escape(labels[0])}'
              f'<span class="key second"></span>{escape(labels[1])}</div>')
    return f'{legend}<div class="hchart">{cells}</div>'
