"""The readable summary printed at the end of a run (and by `tokenmill inspect`)."""
from __future__ import annotations


def _table(headers: list[str], rows: list[list]) -> str:
    cells = [headers] + [[f"{c:,}" if isinstance(c, int) else (f"{c:.4f}" if isinstance(c, float) else str(c)) for c in r]
                         for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(cells[0]), fmt(["-" * w for w in widths])] + [fmt(r) for r in cells[1:]])


def accounting_table(sources: dict) -> str:
    rows = [[name, s["read"], s["kept"], s["rejected"], s["duplicates"], s["unreadable"], s.get("kept_tokens", 0),
             "ok" if s["identity_holds"] else "BROKEN"] for name, s in sorted(sources.items())]
    return _table(["source", "read", "kept", "rejected", "duplicates", "unreadable", "kept tokens", "identity"], rows)


def reasons_table(sources: dict) -> str:
    rows = []
    for name, s in sorted(sources.items()):
        for kind in ("rejected_by_reason", "duplicates_by_reason"):
            for reason, n in sorted(s.get(kind, {}).items(), key=lambda kv: -kv[1]):
                rows.append([name, reason, n])
    return _table(["source", "reason", "documents"], rows) if rows else "(nothing removed)"


def mix_table(mix: dict) -> str:
    rows = [[name, m["documents"], m["tokens"], m["target_fraction"], m["realized_fraction"], m["repeats"]]
            for name, m in sorted(mix.items())]
    return _table(["source", "documents", "tokens", "target", "realized", "repeats"], rows)


def splits_table(splits: dict) -> str:
    rows = [[name, len(s["shards"]) if "shards" in s else s.get("num_shards", 0), s["rows"], s["tokens"],
             s.get("documents", 0), s.get("dropped_tail_tokens", 0)] for name, s in splits.items()]
    return _table(["split", "shards", "rows", "tokens", "documents", "dropped tail"], rows)


def run_summary(report: dict, manifest: dict) -> str:
    return "\n\n".join([
        "Accounting (read = kept + rejected + duplicates + unreadable):\n" + accounting_table(report["sources"]),
        "Removed, by reason:\n" + reasons_table(report["sources"]),
        "Splits:\n" + splits_table(manifest["splits"]),
        "Mix (fractions of output tokens):\n" + mix_table(manifest["sources"]),
    ])
