"""The readable summary printed at the end of a run (and by `tokenmill inspect`)."""
from __future__ import annotations

from pipeline.dataset.manifest import Manifest, MixRow, SplitEntry
from pipeline.run_report import RunReport, SourceReport


def _table(headers: list[str], rows: list[list]) -> str:
    cells = [headers] + [[f"{c:,}" if isinstance(c, int) else (f"{c:.4f}" if isinstance(c, float) else str(c)) for c in r]
                         for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(cells[0]), fmt(["-" * w for w in widths])] + [fmt(r) for r in cells[1:]])


def accounting_table(sources: dict[str, SourceReport]) -> str:
    rows = [[name, s.read, s.kept, s.rejected, s.duplicates, s.unreadable, s.kept_tokens,
             "ok" if s.identity_holds else "BROKEN"] for name, s in sorted(sources.items())]
    return _table(["source", "read", "kept", "rejected", "duplicates", "unreadable", "kept tokens", "identity"], rows)


def reasons_table(sources: dict[str, SourceReport]) -> str:
    """Per source, what each stage or filter removed, by reason: documents and the tokens they had."""
    rows = []
    for name, s in sorted(sources.items()):
        removed = [(stage, reason, n, s.rejected_tokens_by_stage.get(stage, {}).get(reason, 0))
                   for stage, reasons in s.rejected_by_stage.items() for reason, n in reasons.items()]
        for label, n in s.duplicates_by_reason.items():
            stage, _, reason = label.partition(":")
            removed.append((stage, reason, n, s.removed_tokens_by_reason.get(label, 0)))
        rows += [[name, *r] for r in sorted(removed, key=lambda r: (-r[2], r[0], r[1]))]
    return _table(["source", "stage", "reason", "documents", "tokens"], rows) if rows else "(nothing removed)"


def lines_table(sources: dict[str, SourceReport]) -> str | None:
    """Repeated-line removal per source, or None when it did not run."""
    rows = [[name, s.lines_removed, s.line_chars_removed or 0]
            for name, s in sorted(sources.items()) if s.lines_removed is not None]
    return _table(["source", "lines removed", "characters removed"], rows) if rows else None


def format_mix_table(mix: dict[str, MixRow]) -> str:
    rows = [[name, m.documents, m.tokens, m.target_fraction, m.realized_fraction, m.repeats]
            for name, m in sorted(mix.items())]
    return _table(["source", "documents", "tokens", "target", "realized", "repeats"], rows)


def splits_table(splits: dict[str, SplitEntry]) -> str:
    rows = [[name, len(s.shards), s.rows, s.tokens, s.documents or 0, s.dropped_tail_tokens or 0]
            for name, s in splits.items()]
    return _table(["split", "shards", "rows", "tokens", "documents", "dropped tail"], rows)


def shuffle_table(shuffle: dict) -> str:
    rows = [[stage, f"{n:,}"] for stage, n in shuffle.items() if stage not in ("total", "input_bytes", "per_input_byte")]
    rows.append(["total", f"{shuffle['total']:,} ({shuffle['per_input_byte']:.4f} per input byte)"])
    return _table(["stage", "bytes"], rows)


def decontamination_table(sets: dict) -> str:
    rows = [[name, d["examples"], d.get("examples_indexed", d["examples"]), d["examples_found"],
             d.get("documents_matched", 0), d["documents_removed"], d.get("documents_redacted", 0), d["tokens_removed"]]
            for name, d in sets.items()]
    return _table(["set", "examples", "indexed", "found", "documents matched", "removed", "redacted",
                   "tokens removed"], rows)


def cpu_total(cpu_seconds: dict) -> float:
    """The run's CPU seconds: every pass once ("pass.part" entries, such as curate.decontaminate, are already
    inside their pass's)."""
    return sum(float(v) for k, v in cpu_seconds.items() if "." not in k)


def run_summary(report: RunReport, manifest: Manifest) -> str:
    parts = [
        "Accounting (read = kept + rejected + duplicates + unreadable):\n" + accounting_table(report.sources),
        "Removed, by reason:\n" + reasons_table(report.sources),
    ]
    lines = lines_table(report.sources)
    if lines:
        parts.append("Repeated lines cut from documents:\n" + lines)
    if report.decontamination:
        parts.append("Decontamination (evaluation examples found in the training data; which ones, and where: "
                     "decontamination/*.parquet):\n" + decontamination_table(report.decontamination))
    parts += ["Splits:\n" + splits_table(manifest.splits),
              "Mix (fractions of output tokens):\n" + format_mix_table(manifest.sources)]
    if report.cpu_seconds:
        cpu = report.cpu_seconds
        total = cpu_total(cpu)
        parts.append("CPU seconds by pass:\n" + _table(["pass", "CPU s"], [[k, f"{v:,.1f}"] for k, v in cpu.items()]
                                                       + [["total", f"{total:,.1f}"]]))
    if report.shuffle is not None:
        parts.append("Shuffled between workers (keys, decisions and counts only):\n" + shuffle_table(report.shuffle))
    return "\n\n".join(parts)
