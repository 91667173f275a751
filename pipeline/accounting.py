"""The accounting identity and the report (pure).

Events are counted per (kind, source, stage, reason): kinds are `read`, `unreadable`, `rejected`,
`duplicates`, `kept`, plus `lines_removed` (lines and characters that repeated-line removal cut out of
documents it kept or rejected; not documents) and decontamination's `decontam_matched` and
`decontam_redacted` (documents already counted under another kind; see pipeline.decontam.report).
Per source: read = kept + rejected + duplicates + unreadable.
"""
from __future__ import annotations

from typing import Iterable

from pipeline.document import is_duplicate_stage

KINDS = ("read", "kept", "rejected", "duplicates", "unreadable")
# Decontamination's own counts (pipeline.decontam.report): documents matched and redacted, which are
# kept or rejected documents already counted under KINDS.
KIND_DECONTAM_MATCHED, KIND_DECONTAM_REDACTED = "decontam_matched", "decontam_redacted"


def sum_pairs(pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """Element-wise sum of (documents, size) pairs: the combine behind every per-key count."""
    docs = size = 0
    for d, s in pairs:
        docs += d
        size += s
    return docs, size


def rejection_kind(stage: str) -> str:
    return "duplicates" if is_duplicate_stage(stage) else "rejected"


def _empty_source() -> dict:
    return {k: 0 for k in KINDS} | {"kept_tokens": 0, "rejected_by_reason": {}, "duplicates_by_reason": {},
                                    "removed_tokens_by_reason": {}, "rejected_by_stage": {},
                                    "rejected_tokens_by_stage": {}}


def build_source_report(counts: Iterable[tuple[tuple[str, str, str, str], tuple[int, int]]], source_names: list[str]) -> dict:
    """counts: ((kind, source, stage, reason), (documents, size)) -> report["sources"]. For `kept` the
    size is tokens (EOS included); for rejections, the tokens the removed documents would have had.
    `rejected_by_reason` is keyed by reason (docs/format.md, "report.json"); `rejected_by_stage` splits the same
    documents (and `rejected_tokens_by_stage` their tokens) by the stage or filter that dropped them, for
    reasons two filters share."""
    sources = {name: _empty_source() for name in source_names}
    for (kind, source, stage, reason), (docs, size) in counts:
        s = sources.setdefault(source, _empty_source())
        if kind == "lines_removed":
            s["lines_removed"] = s.get("lines_removed", 0) + docs
            s["line_chars_removed"] = s.get("line_chars_removed", 0) + size
            continue
        if kind in (KIND_DECONTAM_MATCHED, KIND_DECONTAM_REDACTED):
            continue
        s[kind] += docs
        if kind == "kept":
            s["kept_tokens"] += size
        elif kind in ("rejected", "duplicates"):
            label = f"{stage}:{reason}" if kind == "duplicates" else reason
            by = s[f"{kind}_by_reason"]
            by[label] = by.get(label, 0) + docs
            s["removed_tokens_by_reason"][label] = s["removed_tokens_by_reason"].get(label, 0) + size
            if kind == "rejected":  # which filter (or stage) said it: filter:gopher_quality -> reason -> docs
                by_stage = s["rejected_by_stage"].setdefault(stage, {})
                by_stage[reason] = by_stage.get(reason, 0) + docs
                tokens_by_stage = s["rejected_tokens_by_stage"].setdefault(stage, {})
                tokens_by_stage[reason] = tokens_by_stage.get(reason, 0) + size
    for s in sources.values():
        s["identity_holds"] = s["read"] == s["kept"] + s["rejected"] + s["duplicates"] + s["unreadable"]
    return sources


def totals(sources: dict) -> dict:
    out = {k: sum(s[k] for s in sources.values()) for k in KINDS + ("kept_tokens",)}
    out["identity_holds"] = all(s["identity_holds"] for s in sources.values())
    return out


def error_fraction_problems(sources: dict, max_error_fraction: float) -> list[str]:
    problems = []
    for name, s in sorted(sources.items()):
        if s["read"] and s["unreadable"] / s["read"] > max_error_fraction:
            problems.append(f"source {name!r}: {s['unreadable']:,} of {s['read']:,} records unreadable "
                            f"({s['unreadable'] / s['read']:.1%} > max_error_fraction {max_error_fraction:.1%}); see errors/")
    return problems
