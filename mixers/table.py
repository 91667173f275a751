"""The realized-versus-target mix table (report.json, manifest.json `sources`, `tokenmill inspect`)."""
from __future__ import annotations

from typing import Mapping

from mixers.plan import MixPlan

COLUMNS = ("documents", "tokens", "documents_sampled", "tokens_sampled", "repeats", "target_fraction", "realized_fraction")


def mix_table(plan: MixPlan, sampled: Mapping[str, tuple[int, int]]) -> dict[str, dict]:
    """`sampled`: (document copies, tokens) written per source. One row per configured source."""
    total = sum(tokens for _, tokens in sampled.values())
    table = {}
    for name, src in plan.sources.items():
        docs, tokens = sampled.get(name, (0, 0))
        table[name] = {
            "documents": src.documents,
            "tokens": src.tokens,
            "documents_sampled": docs,
            "tokens_sampled": tokens,
            "repeats": tokens / src.tokens if src.tokens else 0.0,
            "target_fraction": float(src.target_fraction),
            "realized_fraction": tokens / total if total else 0.0,
            "target_tokens": src.target_tokens,
        }
    return table


def format_table(table: Mapping[str, Mapping]) -> str:
    """A plain-text table, one source per line, shares in percent and the gap in percentage points."""
    header = f"{'source':<16}{'docs':>10}{'tokens':>14}{'docs out':>10}{'tokens out':>14}{'repeats':>9}{'target':>9}{'realized':>10}{'gap pts':>9}"
    lines = [header, "-" * len(header)]
    for name, row in table.items():
        gap = (row["realized_fraction"] - row["target_fraction"]) * 100
        lines.append(
            f"{name:<16}{row['documents']:>10,}{row['tokens']:>14,}{row['documents_sampled']:>10,}"
            f"{row['tokens_sampled']:>14,}{row['repeats']:>9.3f}{row['target_fraction']:>9.2%}"
            f"{row['realized_fraction']:>10.2%}{gap:>+9.3f}"
        )
    return "\n".join(lines)


def format_markdown(table: Mapping[str, Mapping]) -> str:
    lines = [
        "| source | documents | tokens | documents sampled | tokens sampled | repeats | target | realized | gap (points) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in table.items():
        gap = (row["realized_fraction"] - row["target_fraction"]) * 100
        lines.append(
            f"| {name} | {row['documents']:,} | {row['tokens']:,} | {row['documents_sampled']:,} | "
            f"{row['tokens_sampled']:,} | {row['repeats']:.3f} | {row['target_fraction']:.2%} | "
            f"{row['realized_fraction']:.2%} | {gap:+.3f} |"
        )
    return "\n".join(lines)
