"""What the mix sampled, per source, against its targets: `SampledMix` rows (logged when the route pass
ends, and the source of the mix fields of the manifest's rows) and their text and Markdown tables."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from mixers.plan import MixPlan


@dataclass(frozen=True)
class SampledMix:
    """One source: what it had (available), the document copies and tokens the mix wrote, repeats = tokens
    written per available token, the target and realized fractions of the written tokens, and the tokens
    the plan aimed for."""
    available_documents: int
    available_tokens: int
    documents_sampled: int
    tokens_sampled: int
    repeats: float
    target_fraction: float
    realized_fraction: float
    target_tokens: int


def sampled_mix(plan: MixPlan, sampled: Mapping[str, tuple[int, int]]) -> dict[str, SampledMix]:
    """`sampled`: (document copies, tokens) written per source. One row per configured source."""
    total = sum(tokens for _, tokens in sampled.values())
    rows = {}
    for name, src in plan.sources.items():
        docs, tokens = sampled.get(name, (0, 0))
        rows[name] = SampledMix(
            available_documents=src.documents,
            available_tokens=src.tokens,
            documents_sampled=docs,
            tokens_sampled=tokens,
            repeats=tokens / src.tokens if src.tokens else 0.0,
            target_fraction=float(src.target_fraction),
            realized_fraction=tokens / total if total else 0.0,
            target_tokens=src.target_tokens,
        )
    return rows


def format_sampled_mix(rows: Mapping[str, SampledMix]) -> str:
    """A plain-text table, one source per line, shares in percent and the gap in percentage points."""
    header = f"{'source':<16}{'docs':>10}{'tokens':>14}{'docs out':>10}{'tokens out':>14}{'repeats':>9}{'target':>9}{'realized':>10}{'gap pts':>9}"
    lines = [header, "-" * len(header)]
    for name, row in rows.items():
        gap = (row.realized_fraction - row.target_fraction) * 100
        lines.append(
            f"{name:<16}{row.available_documents:>10,}{row.available_tokens:>14,}{row.documents_sampled:>10,}"
            f"{row.tokens_sampled:>14,}{row.repeats:>9.3f}{row.target_fraction:>9.2%}"
            f"{row.realized_fraction:>10.2%}{gap:>+9.3f}"
        )
    return "\n".join(lines)


def sampled_mix_markdown(rows: Mapping[str, SampledMix]) -> str:
    lines = [
        "| source | documents | tokens | documents sampled | tokens sampled | repeats | target | realized | gap (points) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        gap = (row.realized_fraction - row.target_fraction) * 100
        lines.append(
            f"| {name} | {row.available_documents:,} | {row.available_tokens:,} | {row.documents_sampled:,} | "
            f"{row.tokens_sampled:,} | {row.repeats:.3f} | {row.target_fraction:.2%} | "
            f"{row.realized_fraction:.2%} | {gap:+.3f} |"
        )
    return "\n".join(lines)
