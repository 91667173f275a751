"""report.json as a small self-contained HTML page: per source, the accounting counts and a bar chart of
dropped documents per reason (and duplicates per reason, when the report has them); per evaluation set,
what decontamination found (when the run decontaminated). Inline CSS bars only (no scripts, no external
assets), so the file can be mailed or opened from a bucket as is.
"""
from __future__ import annotations

from html import escape
from typing import Any

_COUNTS = ("read", "kept", "rejected", "duplicates", "unreadable")

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 980px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table.counts { border-collapse: collapse; margin: .5em 0 1em; }
table.counts td, table.counts th { padding: 2px 12px; text-align: right; border-bottom: 1px solid #eee; }
.chart { display: grid; grid-template-columns: minmax(12em, max-content) 1fr max-content; gap: 3px 10px;
         align-items: center; }
.reason { font-family: ui-monospace, monospace; font-size: 12px; }
.track { background: #f1f3f5; height: 16px; }
.bar { background: #d9480f; height: 16px; min-width: 1px; } .bar.dup { background: #868e96; }
.n { font-variant-numeric: tabular-nums; text-align: right; }
.none { color: #888; font-style: italic; }
"""


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _chart(counts: dict, widest: int, bar_class: str, empty: str) -> str:
    rows = sorted(((str(r), _int(n)) for r, n in (counts or {}).items()), key=lambda rn: (-rn[1], rn[0]))
    if not rows:
        return f'<p class="none">{empty}</p>'
    cells = "".join(
        f'<div class="reason">{escape(reason)}</div>'
        f'<div class="track"><div class="{bar_class}" style="width:{100 * n / widest:.2f}%" title="{n:,}"></div></div>'
        f'<div class="n">{n:,}</div>\n'
        for reason, n in rows
    )
    return f'<div class="chart">{cells}</div>'


def _source_section(name: str, stats: dict, widest: int) -> str:
    stats = stats if isinstance(stats, dict) else {}
    header = "".join(f"<th>{c}</th>" for c in _COUNTS)
    cells = "".join(f"<td>{_int(stats.get(c)):,}</td>" for c in _COUNTS)
    section = (f"<h2>{escape(name)}</h2>\n<table class=\"counts\"><tr>{header}</tr><tr>{cells}</tr></table>\n"
               "<h3>dropped documents per reason</h3>\n"
               + _chart(stats.get("rejected_by_reason"), widest, "bar", "no document rejected") + "\n")
    if stats.get("duplicates_by_reason"):
        section += ("<h3>duplicates removed per reason</h3>\n"
                    + _chart(stats["duplicates_by_reason"], widest, "bar dup", "") + "\n")
    return section


_DECONTAMINATION = (("examples", "examples"), ("examples_found", "examples found"),
                    ("documents_matched", "documents matched"), ("documents_removed", "documents removed"),
                    ("documents_redacted", "documents redacted"), ("tokens_removed", "tokens removed"))


def _decontamination_section(sets: dict) -> str:
    """One row per evaluation set: how many of its examples the training data held, and what was done."""
    header = "<th>set</th>" + "".join(f"<th>{label}</th>" for _, label in _DECONTAMINATION)
    rows = "".join(f"<tr><td>{escape(str(name))}</td>"
                   + "".join(f"<td>{_int((d or {}).get(key)):,}</td>" for key, _ in _DECONTAMINATION) + "</tr>"
                   for name, d in sets.items())
    return ("<h2>decontamination</h2>\n<p>Evaluation examples found in the training data; which ones, and in which "
            "documents: <code>decontamination/*.parquet</code>.</p>\n"
            f"<table class=\"counts\"><tr>{header}</tr>{rows}</table>\n")


def render_report_html(report: dict) -> str:
    """The page for a report.json dict (`report["sources"][name]` with read, kept, rejected, duplicates,
    unreadable and rejected_by_reason); missing counts show as 0 and extra keys are ignored."""
    sources = report.get("sources") or {}
    widest = max((_int(n) for s in sources.values() if isinstance(s, dict)
                  for key in ("rejected_by_reason", "duplicates_by_reason") for n in (s.get(key) or {}).values()),
                 default=0) or 1
    body = "".join(_source_section(str(name), stats, widest) for name, stats in sources.items())
    if not sources:
        body = '<p class="none">the report has no sources</p>'
    if isinstance(report.get("decontamination"), dict):
        body += _decontamination_section(report["decontamination"])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>tokenmill curation report</title><style>{_STYLE}</style></head>\n"
            f"<body><h1>tokenmill curation report</h1>\n"
            "<p>Bars share one scale across sources: the longest bar is the largest count of any reason.</p>\n"
            f"{body}</body></html>\n")
