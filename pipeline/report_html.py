"""report.json as one self-contained HTML page (inline CSS and SVG; no scripts, no external assets), so the
file can be mailed or opened from a bucket as is, offline.

In page order: the run at a glance (totals, the funnel of documents and tokens through each stage, the mix
target vs realized, splits and shards, CPU seconds per pass, bytes shuffled); what each stage and filter
removed, reason by reason, with sample documents (the evidence marked, near duplicates next to their
survivor) and kept samples for contrast; the distributions of length, language and every filter score
before and after curation with the thresholds drawn; per source, its counts, drops, funnel and
distributions (collapsed, so a run of 1,000 sources stays readable); the configuration and its hash.
Every key beyond the counts is optional: an older report.json renders what it has.
"""
from __future__ import annotations

import json
from html import escape
from typing import Any

from pipeline.distributions import MEASURES, Bins
from pipeline.report_cards import sample_card
from pipeline.report_data import config_sha256, funnel, rejected_by_stage, total_funnel
from pipeline.report_parts import KEPT
from pipeline.report_svg import hbars, histogram, paired_bars
from pipeline.run_report import KINDS
from pipeline.summary import cpu_total


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
    header = "".join(f"<th>{c}</th>" for c in KINDS)
    cells = "".join(f"<td>{_int(stats.get(c)):,}</td>" for c in KINDS)
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
    return ("<h2>Decontamination</h2>\n<p>Evaluation examples found in the training data; which ones, and in which "
            "documents: <code>decontamination/*.parquet</code>.</p>\n"
            f"<table class=\"t counts\"><tr>{header}</tr>{rows}</table>\n")


# The most characters of sample text one page holds; past it, every excerpt is shown shorter (report.json
# keeps them whole), so a run of thousands of sources and reasons still opens quickly.
SAMPLE_CHARS_BUDGET = 4_000_000
MIN_SHOWN_CHARS = 300
# The most sample cards one page holds; past it, fewer per reason and, per reason, the sources where it
# removed the most (report.json keeps them all).
CARD_BUDGET = 3000
# With more sources than this, a source's own section draws only the primary distributions.
MANY_SOURCES = 24
PRIMARY_MEASURES = ("chars", "tokens", "language_score", "quality_score")

_PAGE_STYLE = """
body { max-width: 1180px; background: #fbfbfc; }
header .sub { color: #555; margin: -.4em 0 1em; } code, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
nav { position: sticky; top: 0; background: #fbfbfcee; padding: 6px 0; border-bottom: 1px solid #e3e3e8; z-index: 2; }
nav a { margin-right: 14px; color: #1c5bb8; text-decoration: none; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 1em 0; }
.card { background: #fff; border: 1px solid #e3e3e8; border-radius: 8px; padding: 10px 12px; }
.card .v { font-size: 1.35em; font-weight: 600; font-variant-numeric: tabular-nums; } .card .k { color: #666; font-size: 12px; }
section { margin-top: 2.2em; } h2 { border-bottom: 2px solid #dde; padding-bottom: 2px; } h3 { font-size: 1em; margin: 1.2em 0 .4em; }
.grid2 { display: grid; grid-template-columns: 5fr 6fr; gap: 28px; } .nowrap { white-space: nowrap; } @media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
table.t { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; margin: .4em 0 1em; }
table.t th { text-align: right; font-weight: 600; color: #444; border-bottom: 1px solid #ccd; padding: 3px 10px; }
table.t td { text-align: right; padding: 2px 10px; border-bottom: 1px solid #eef; } table.t td:first-child, table.t th:first-child { text-align: left; }
td.barcell { width: 240px; } .mini { background: #e9ecf3; height: 10px; } .mini div { background: #3b6fd4; height: 10px; }
.hchart { display: grid; grid-template-columns: minmax(9em, max-content) 1fr max-content; gap: 4px 10px; align-items: center; font-size: 13px; }
.hl { font-family: ui-monospace, monospace; font-size: 12px; } .hv { font-variant-numeric: tabular-nums; text-align: right; }
.ht { background: #f1f3f5; height: 14px; } .ht.pair { height: 16px; background: #f1f3f5; }
.hbar { background: #3b6fd4; height: 14px; min-width: 1px; } .ht.pair .hbar { height: 8px; }
.hbar.first { background: #adb5bd; } .hbar.second { background: #3b6fd4; } .hbar.cpu { background: #7048e8; }
.legend { font-size: 12px; color: #555; margin: .3em 0; } .key { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 12px; }
.key.first, .key.hb { background: #ced4da; } .key.second, .key.ha { background: #3b6fd4; } .key.thr { border-top: 2px dashed #e03131; height: 0; }
.hists { display: grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); gap: 14px 18px; }
.hbox { background: #fff; border: 1px solid #e3e3e8; border-radius: 6px; padding: 6px 8px 2px; }
.hbox .ttl { font-size: 12px; font-weight: 600; } .hbox .sub { font-size: 11px; color: #666; }
svg.hist { width: 100%; height: auto; display: block; }
svg .hb { fill: #ced4da; } svg .ha { fill: #3b6fd4; } svg .axis { stroke: #999; stroke-width: .6; }
svg .thr { stroke: #e03131; stroke-width: 1.4; stroke-dasharray: 4 3; }
svg text { font: 9px system-ui, sans-serif; fill: #555; } svg .xlab { text-anchor: middle; } svg .ylab { text-anchor: end; }
svg .thrlab { fill: #c92a2a; font-weight: 600; }
details { background: #fff; border: 1px solid #e3e3e8; border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
details > summary { cursor: pointer; padding: 3px 0; } details[open] > summary { border-bottom: 1px solid #eee; margin-bottom: 6px; }
summary .cnt { color: #555; font-variant-numeric: tabular-nums; } summary .stage { color: #7048e8; font-family: ui-monospace, monospace; font-size: 12px; }
summary .rsn { font-family: ui-monospace, monospace; font-weight: 600; }
.samples { display: grid; grid-template-columns: 1fr; gap: 10px; margin: 8px 0; }
.sample { border-left: 3px solid #e8590c; background: #fffaf5; padding: 6px 10px; border-radius: 0 4px 4px 0; }
.kept-samples .sample { border-left-color: #2f9e44; background: #f6fbf7; }
.sample .meta { font-size: 12px; color: #555; } .sample .src { font-weight: 600; color: #222; } .sample .id { font-family: ui-monospace, monospace; }
.sample .url { font-family: ui-monospace, monospace; font-size: 12px; color: #1c5bb8; overflow-wrap: anywhere; }
.sample .note { font-size: 12px; color: #862e9c; }
pre.text { white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.45 ui-monospace, monospace; background: #fff; border: 1px solid #eee;
           padding: 6px 8px; max-height: 17em; overflow: auto; margin: 4px 0; }
mark { background: #ffd43b; padding: 0 1px; } mark.diff { background: #a5d8ff; }
.cut { color: #868e96; font-style: italic; background: #f1f3f5; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; } .side { font-size: 11px; font-weight: 600; color: #c92a2a; }
.side.kept { color: #2b8a3e; }
.srcname { font-weight: 600; } pre.cfg { background: #fff; border: 1px solid #eee; padding: 8px; font-size: 12px; overflow: auto; }
.muted { color: #777; font-size: 12px; } details.source > h2 { display: none; }
"""


def _n(value) -> str:
    return f"{_int(value):,}"


def _pct(part, whole) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _cards(report: dict) -> str:
    t = report.get("totals") or {}
    splits = report.get("splits") or {}
    out_tokens = sum(_int(s.get("tokens")) for s in splits.values() if isinstance(s, dict))
    removed = _int(t.get("rejected")) + _int(t.get("duplicates"))
    cards = [("documents read", _n(t.get("read"))), ("kept", f"{_n(t.get('kept'))} ({_pct(_int(t.get('kept')), _int(t.get('read')))})"),
             ("removed", _n(removed)), ("unreadable", _n(t.get("unreadable"))),
             ("tokens kept", _n(t.get("kept_tokens"))), ("tokens in shards", f"{out_tokens:,}"),
             ("sources", f"{len(report.get('sources') or {}):,}")]
    if report.get("wall_seconds") is not None:
        cards.append(("wall time", f"{float(report['wall_seconds']):,.1f} s"))
    if report.get("cpu_seconds"):
        cards.append(("CPU time", f"{cpu_total(report['cpu_seconds']):,.1f} s"))
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>' for k, v in cards) + "</div>"


def _lines_note(sources: dict) -> str:
    lines = sum(_int(s.get("lines_removed")) for s in sources.values())
    chars = sum(_int(s.get("line_chars_removed")) for s in sources.values())
    return (f'<p class="muted">Repeated-line removal also cut {lines:,} lines ({chars:,} characters) out of documents '
            "it did not remove.</p>" if lines else "")


def _funnel_table(rows: list[dict]) -> str:
    if not rows:
        return '<p class="none">no counts</p>'
    start = rows[0]["tokens"] or 1
    body = "".join(
        f'<tr><td class="mono">{escape(r["stage"])}</td><td>{r["removed_documents"]:,}</td><td>{r["removed_tokens"]:,}</td>'
        f'<td>{r["documents"]:,}</td><td>{r["tokens"]:,}</td><td>{_pct(r["tokens"], rows[0]["tokens"])}</td>'
        f'<td class="barcell"><div class="mini"><div style="width:{100 * max(r["tokens"], 0) / start:.2f}%"></div></div></td></tr>'
        for r in rows)
    return ('<table class="t funnel"><tr><th>stage</th><th>docs removed</th><th>tokens removed</th><th>docs left</th>'
            f'<th>tokens left</th><th>of input</th><th></th></tr>{body}</table>')


def _mix(report: dict) -> str:
    mix = report.get("mix") or {}
    if not mix:
        return '<p class="none">no mix table</p>'
    rows = [(str(name), float(m.get("target_fraction") or 0), float(m.get("realized_fraction") or 0)) for name, m in mix.items()]
    table = "".join(f'<tr><td>{escape(str(name))}</td><td>{_n(m.get("documents"))}</td><td>{_n(m.get("tokens"))}</td>'
                    f'<td>{_n(m.get("available_tokens"))}</td><td>{float(m.get("repeats") or 0):.2f}</td></tr>'
                    for name, m in mix.items())
    return (paired_bars(rows, ("target", "realized"))
            + '<table class="t"><tr><th>source</th><th>docs out</th><th>tokens out</th><th>tokens kept</th>'
            f'<th>repeats</th></tr>{table}</table>')


def _splits(report: dict) -> str:
    splits = report.get("splits") or {}
    if not splits:
        return ""
    rows = ""
    for name, s in splits.items():
        shard_tokens = s.get("shard_tokens") or {}
        spread = (f'{_n(shard_tokens.get("min"))} · {_n(shard_tokens.get("median"))} · {_n(shard_tokens.get("max"))}'
                  if shard_tokens else "–")
        rows += (f'<tr><td>{escape(str(name))}</td><td>{_n(s.get("num_shards"))}</td><td>{_n(s.get("rows"))}</td>'
                 f'<td>{_n(s.get("tokens"))}</td><td>{_n(s.get("documents"))}</td><td>{_n(s.get("dropped_tail_tokens"))}</td>'
                 f'<td class="nowrap">{spread}</td></tr>')
    return ('<table class="t"><tr><th>split</th><th>shards</th><th>rows</th><th>tokens</th><th>documents</th>'
            f'<th>tail dropped</th><th title="tokens per shard: smallest, median, largest">per shard min · med · max</th></tr>{rows}</table>')


def _cpu_and_shuffle(report: dict) -> str:
    out = ""
    cpu = report.get("cpu_seconds") or {}
    if cpu:
        total = cpu_total(cpu)
        rows = [(str(k), float(v), f"{float(v):,.1f} s ({_pct(float(v), total)})") for k, v in cpu.items()]
        out += "<h3>CPU seconds per pass</h3>" + hbars(sorted(rows, key=lambda r: -r[1]), "cpu")
    else:
        out += '<h3>CPU seconds per pass</h3><p class="none">not recorded (a runner without metrics)</p>'
    shuffle = report.get("shuffle") or {}
    if shuffle:
        rows = [(str(k), float(v), f"{_int(v):,} B") for k, v in shuffle.items()
                if k not in ("total", "input_bytes", "per_input_byte")]
        out += (f'<h3>Bytes shuffled between workers</h3><p class="muted">{_n(shuffle.get("total"))} bytes in all, '
                f'{float(shuffle.get("per_input_byte") or 0):.4f} per input byte (keys, decisions, counts, samples; '
                f'never documents)</p>' + hbars(sorted(rows, key=lambda r: -r[1])))
    return out


def _sample_limit(samples: dict) -> int | None:
    """How many characters of each excerpt to show so the page stays under SAMPLE_CHARS_BUDGET."""
    total = longest = 0
    for stages in samples.values():
        for reasons in (stages or {}).values():
            for entries in (reasons or {}).values():
                for e in entries or ():
                    for s in (e, e.get("survivor") or {}):
                        n = len(s.get("text") or "")
                        total, longest = total + n, max(longest, n)
    if total <= SAMPLE_CHARS_BUDGET:
        return None
    return max(MIN_SHOWN_CHARS, int(longest * SAMPLE_CHARS_BUDGET / total))


def _card_plan(samples: dict, blocks: int) -> tuple[int | None, int | None]:
    """(samples shown per source and reason, sources shown per reason): None where all fit."""
    counts = [len(e or ()) for stages in samples.values() for st, reasons in (stages or {}).items() if st != KEPT
              for e in (reasons or {}).values()]
    total = sum(counts)
    if total <= CARD_BUDGET:
        return None, None
    per_key = max(1, max(counts) * CARD_BUDGET // total)
    shown = sum(min(c, per_key) for c in counts)
    if shown <= CARD_BUDGET:
        return per_key, None
    return per_key, max(3, CARD_BUDGET // (max(blocks, 1) * per_key))


def _removed_by_reason(sources: dict) -> dict[tuple[str, str], dict[str, tuple[int, int]]]:
    """(stage, reason) -> {source: (documents, tokens)}."""
    out: dict = {}
    for name, s in sources.items():
        if not isinstance(s, dict):
            continue
        by_stage, tokens_by_stage = rejected_by_stage(s)
        for stage, reasons in by_stage.items():
            tokens = tokens_by_stage.get(stage, {})
            for reason, n in reasons.items():
                out.setdefault((stage, reason), {})[name] = (_int(n), _int(tokens.get(reason)))
        for label, n in (s.get("duplicates_by_reason") or {}).items():
            stage, _, reason = label.partition(":")
            out.setdefault((stage, reason), {})[name] = (_int(n), _int((s.get("removed_tokens_by_reason") or {}).get(label)))
    return out


def _filters_section(report: dict, order: list[str], reached: dict[str, int], limit) -> str:
    sources = {k: v for k, v in (report.get("sources") or {}).items() if isinstance(v, dict)}
    samples = report.get("samples")
    by_reason = _removed_by_reason(sources)
    if not by_reason:
        return '<p class="none">no document was removed</p>'
    rank = {stage: i for i, stage in enumerate(order)}
    keys = sorted(by_reason, key=lambda k: (rank.get(k[0], len(rank)), -sum(d for d, _ in by_reason[k].values()), k[1]))
    per_key, max_sources = _card_plan(samples or {}, len(keys))
    out = []
    for stage, reason in keys:
        per_source = by_reason[(stage, reason)]
        docs, tokens = sum(d for d, _ in per_source.values()), sum(t for _, t in per_source.values())
        cards, shown_n, hidden = [], 0, 0
        with_samples = [n for n in sorted(sources, key=lambda n: -per_source.get(n, (0, 0))[0])
                        if ((samples or {}).get(n) or {}).get(stage, {}).get(reason)]
        for i, name in enumerate(with_samples):
            entries = samples[name][stage][reason]
            show = entries[:per_key] if (max_sources is None or i < max_sources) else []
            shown_n += len(show)
            hidden += len(entries) - len(show)
            cards += [sample_card(e, name, limit) for e in show]
        if hidden:
            cards.append(f'<p class="muted">{hidden:,} more samples of this reason are in report.json '
                         "(this page shows fewer when a run has many sources and reasons).</p>")
        table = ""
        if len(per_source) > 1:
            table = ('<table class="t"><tr><th>source</th><th>documents</th><th>tokens</th></tr>' + "".join(
                f'<tr><td>{escape(n)}</td><td>{d:,}</td><td>{t:,}</td></tr>'
                for n, (d, t) in sorted(per_source.items(), key=lambda kv: -kv[1][0])) + "</table>")
        if samples is None:
            body = '<p class="none">this report has no samples (built before tokenmill recorded them)</p>'
        elif not cards:
            body = '<p class="none">no sample (report.samples is 0, or rejects keep no text for these documents)</p>'
        else:
            body = f'<div class="samples">{"".join(cards)}</div>'
        out.append(
            f'<details class="reason-block" data-stage="{escape(stage)}" data-reason="{escape(reason)}">'
            f'<summary><span class="stage">{escape(stage)}</span> · <span class="rsn">{escape(reason)}</span> '
            f'<span class="cnt">— {docs:,} document{"s" if docs != 1 else ""} ({_pct(docs, reached.get(stage, 0))} of the {reached.get(stage, 0):,} '
            f'that reached it), {tokens:,} tokens; {len(per_source):,} source{"s" if len(per_source) != 1 else ""}; '
            f'<span class="nsamples">{shown_n}</span> sample{"s" if shown_n != 1 else ""}</span></summary>{table}{body}</details>')
    return "\n".join(out)


def _kept_section(report: dict, limit) -> str:
    samples = report.get("samples") or {}
    kept = {name: ((samples.get(name) or {}).get(KEPT) or {}).get(KEPT) or [] for name in report.get("sources") or {}}
    total = sum(map(len, kept.values()))
    per_source = None if total <= CARD_BUDGET // 3 else max(1, max(map(len, kept.values())) * (CARD_BUDGET // 3) // total)
    out = []
    for name, entries in kept.items():
        entries = entries[:per_source] if per_source else entries
        if entries:
            out.append(f'<details class="kept-block" data-source="{escape(str(name))}"><summary><span class="srcname">'
                       f'{escape(str(name))}</span> <span class="cnt">— <span class="nsamples">{len(entries)}</span> kept '
                       f'sample{"s" if len(entries) != 1 else ""}</span></summary><div class="samples kept-samples">'
                       + "".join(sample_card(e, str(name), limit) for e in entries) + "</div></details>")
    return "\n".join(out) or '<p class="none">no kept samples in this report</p>'


def _hist_box(measure: str, spec: dict, before, after, thresholds, compact: bool = False) -> str:
    bins = Bins(tuple(float(e) for e in spec["edges"]), spec.get("scale", "linear"))
    nb, na = sum(before or ()), sum(after or ())
    lines = "; ".join(f'{escape(str(t.get("name")))} = {float(t["value"]):g}' for t in thresholds)
    sub = f"{nb:,} in · {na:,} kept" + (f" · {lines}" if lines else "")
    return (f'<div class="hbox" data-measure="{escape(measure)}"><div class="ttl">{escape(spec.get("label", measure))}</div>'
            f'<div class="sub">{sub}</div>'
            f'{histogram(spec.get("label", measure), bins, before, after, thresholds, not compact, compact=compact)}</div>')


def _sum_lists(lists) -> list[int]:
    out: list[int] = []
    for values in lists:
        if len(values) > len(out):
            out += [0] * (len(values) - len(out))
        for i, v in enumerate(values):
            out[i] += _int(v)
    return out


def _distributions(dist: dict, names: list[str], measures=None, compact: bool = False) -> str:
    specs = dist.get("measures") or {}
    per_source = dist.get("sources") or {}
    boxes = []
    rank = {name: i for i, name in enumerate(MEASURES)}
    for measure, spec in sorted(specs.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])):
        if measures is not None and measure not in measures:
            continue
        before = _sum_lists((per_source.get(n) or {}).get(measure, {}).get("before") or [] for n in names)
        after = _sum_lists((per_source.get(n) or {}).get(measure, {}).get("after") or [] for n in names)
        if not sum(before) and not sum(after):
            continue
        seen, thresholds = set(), []
        for n in names:
            for t in ((dist.get("thresholds") or {}).get(n) or {}).get(measure) or []:
                key = (float(t["value"]), str(t.get("name")))
                if key not in seen:
                    seen.add(key)
                    thresholds.append(t)
        boxes.append(_hist_box(measure, spec, before, after, thresholds, compact))
    langs = _languages(dist, names)
    if not boxes and not langs:
        return '<p class="none">no distributions in this report</p>'
    return f'<div class="hists">{"".join(boxes)}</div>{langs}'


def _languages(dist: dict, names: list[str], top: int = 12) -> str:
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for n in names:
        for phase, acc in (("before", before), ("after", after)):
            for lang, c in ((dist.get("languages") or {}).get(n, {}).get(phase) or {}).items():
                acc[lang] = acc.get(lang, 0) + _int(c)
    if not before and not after:
        return ""
    ranked = sorted(set(before) | set(after), key=lambda l: (-before.get(l, 0), -after.get(l, 0), l))
    rows = [(lang, before.get(lang, 0), after.get(lang, 0)) for lang in ranked[:top]]
    if len(ranked) > top:
        rest = ranked[top:]
        rows.append((f"{len(rest)} others", sum(before.get(l, 0) for l in rest), sum(after.get(l, 0) for l in rest)))
    return ('<h3>Languages (lid.176 top language)</h3><div class="langs">'
            + paired_bars(rows, ("documents in", "kept"), fmt=lambda v: f"{int(v):,}") + "</div>")


def _source_details(name: str, stats: dict, report: dict, widest: int, many: bool) -> str:
    dist = report.get("distributions") or {}
    order = (report.get("stage_order") or {}).get(name, ())
    kept, read = _int(stats.get("kept")), _int(stats.get("read"))
    summary = (f'<summary><span class="srcname">{escape(name)}</span> <span class="cnt">— {read:,} read, {kept:,} kept '
               f'({_pct(kept, read)}), {_n(stats.get("kept_tokens"))} tokens kept</span></summary>')
    measures = PRIMARY_MEASURES if many else None
    return (f'<details class="source" data-source="{escape(name)}">{summary}'
            + _source_section(name, stats, widest)
            + "<h3>funnel</h3>" + _funnel_table(funnel(stats, order)) + _lines_note({name: stats})
            + "<h3>distributions</h3>" + _distributions(dist, [name], measures, compact=many)
            + "</details>")


def _config(report: dict) -> str:
    config = report.get("config")
    if not config:
        return '<p class="none">the report holds no configuration</p>'
    try:
        import yaml

        text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=110)
    except Exception:
        text = json.dumps(config, indent=2, sort_keys=True)
    digest = report.get("config_sha256") or config_sha256(config)
    return (f'<p>sha256 <code class="cfghash">{escape(digest)}</code> (of the configuration below as canonical JSON)</p>'
            f'<details><summary>the configuration that produced this run</summary><pre class="cfg">{escape(text)}</pre></details>')


def render_report_html(report: dict) -> str:
    """The page for a report.json dict (`report["sources"][name]` with read, kept, rejected, duplicates,
    unreadable and rejected_by_reason; every other key optional); missing counts show as 0 and extra
    keys are ignored."""
    sources = {str(k): v if isinstance(v, dict) else {} for k, v in (report.get("sources") or {}).items()}
    widest = max((_int(n) for s in sources.values()
                  for key in ("rejected_by_reason", "duplicates_by_reason") for n in (s.get(key) or {}).values()),
                 default=0) or 1
    stage_orders = report.get("stage_order") or {}
    total = total_funnel(sources, stage_orders)
    order = [r["stage"] for r in total[1:]]
    reached = {}
    for prev, row in zip(total, total[1:]):
        reached[row["stage"]] = prev["documents"]
    limit = _sample_limit(report.get("samples") or {})
    many = len(sources) > MANY_SOURCES
    config = report.get("config") or {}
    digest = report.get("config_sha256") or (config_sha256(config) if config else "")
    sub = " · ".join(x for x in (
        f'output <code>{escape(str(report.get("output", "")))}</code>' if report.get("output") else "",
        f'config <code>{escape(digest[:12])}</code>' if digest else "",
        f'seed {escape(str(config.get("seed")))}' if "seed" in config else "",
        f'seq_len {escape(str(config.get("seq_len")))}' if "seq_len" in config else "") if x)
    if not sources:
        body = '<p class="none">the report has no sources</p>'
    else:
        decontaminated = isinstance(report.get("decontamination"), dict)
        limit_note = (f'<p class="muted">Excerpts are shown up to {limit:,} characters here to keep the page light; '
                      "report.json holds them whole.</p>" if limit else "")
        body = (
            '<nav><a href="#glance">at a glance</a><a href="#removed">removed, with samples</a><a href="#kept">kept samples</a>'
            '<a href="#distributions">distributions</a><a href="#sources">sources</a><a href="#run">run</a>'
            + ('<a href="#decontamination">decontamination</a>' if decontaminated else '')
            + '<a href="#config">configuration</a></nav>'
            f'<section id="glance"><h2>The run at a glance</h2>{_cards(report)}'
            '<h3>Funnel: documents and tokens left after each stage (all sources)</h3>'
            '<p class="muted">Tokens are counted where each document was kept or removed (after repeated-line removal); '
            'unreadable records count as documents removed at read.</p>'
            f'{_funnel_table(total)}{_lines_note(sources)}<div class="grid2"><div><h3>Mix: target vs realized share of output tokens</h3>{_mix(report)}'
            f'</div><div><h3>Splits and shards</h3>{_splits(report)}</div></div></section>\n'
            '<section id="removed"><h2>What each stage and filter removed</h2>'
            '<p class="muted">Per stage and reason, a few removed documents: those with the smallest hash of (seed, id), '
            'so the choice is the same on every run. The part that triggered the decision is <mark>marked</mark> where the '
            'filter can say; a near duplicate stands next to the document kept in its place, the words that differ '
            '<mark class="diff">marked</mark>.</p>'
            f'{limit_note}{_filters_section(report, order, reached, limit)}</section>\n'
            f'<section id="kept"><h2>Kept documents, for contrast</h2>{_kept_section(report, limit)}</section>\n'
            '<section id="distributions"><h2>Distributions before and after curation (all sources)</h2>'
            '<div class="legend"><span class="key hb"></span>every document that reached the measure'
            '<span class="key ha"></span>kept<span class="key thr"></span>a filter threshold</div>'
            f'{_distributions(report.get("distributions") or {}, list(sources))}</section>\n'
            f'<section id="sources"><h2>Sources</h2>'
            '<p>Bars share one scale across sources: the longest bar is the largest count of any reason.</p>'
            + "".join(_source_details(name, stats, report, widest, many) for name, stats in sources.items())
            + f'</section>\n<section id="run"><h2>The run</h2>{_cpu_and_shuffle(report)}</section>\n'
            + (f'<section id="decontamination">{_decontamination_section(report["decontamination"])}</section>\n'
               if decontaminated else '')
            + f'<section id="config"><h2>Configuration</h2>{_config(report)}</section>\n')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>tokenmill curation report</title><style>{_STYLE}{_PAGE_STYLE}</style></head>\n"
            f"<body><header><h1>tokenmill curation report</h1><p class=\"sub\">{sub}</p></header>\n"
            f"{body}</body></html>\n")
