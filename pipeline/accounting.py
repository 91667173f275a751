"""The accounting identity and the report (pure).

Events are counted per (kind, source, stage, reason): kinds are `read`, `unreadable`, `rejected`,
`duplicates`, `kept`, plus `lines_removed` (lines and characters that repeated-line removal cut out of
documents it kept or rejected; not documents) and decontamination's `decontam_matched` and
`decontam_redacted` (documents already counted under another kind; see pipeline.decontam.report).
Per source: read = kept + rejected + duplicates + unreadable (pipeline.run_report.SourceReport).
"""
from __future__ import annotations

from typing import Iterable

from pipeline.document import is_duplicate_stage
from pipeline.run_report import KINDS, SourceReport

# The kinds of count event: a source's document counts (SourceReport's fields), and the lines that
# repeated-line removal cut (documents = lines, size = characters).
KIND_READ, KIND_KEPT, KIND_REJECTED, KIND_DUPLICATES, KIND_UNREADABLE = KINDS
KIND_LINES_REMOVED = "lines_removed"
# Decontamination's own counts (pipeline.decontam.report): documents matched and redacted, which are
# kept or rejected documents already counted as such.
KIND_DECONTAM_MATCHED, KIND_DECONTAM_REDACTED = "decontam_matched", "decontam_redacted"


def sum_pairs(pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """Element-wise sum of (documents, size) pairs: the combine behind every per-key count."""
    docs = size = 0
    for d, s in pairs:
        docs += d
        size += s
    return docs, size


def rejection_kind(stage: str) -> str:
    return KIND_DUPLICATES if is_duplicate_stage(stage) else KIND_REJECTED


def _add(counts: dict, key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def build_source_report(counts: Iterable[tuple[tuple[str, str, str, str], tuple[int, int]]],
                        source_names: list[str]) -> dict[str, SourceReport]:
    """counts: ((kind, source, stage, reason), (documents, size)) -> report["sources"]. For `kept` the
    size is tokens (EOS included); for rejections, the tokens the removed documents would have had;
    for `lines_removed`, characters (and documents are lines)."""
    sources = {name: SourceReport() for name in source_names}
    for (kind, source, stage, reason), (docs, size) in counts:
        s = sources.setdefault(source, SourceReport())
        if kind == KIND_LINES_REMOVED:
            s.lines_removed = (s.lines_removed or 0) + docs
            s.line_chars_removed = (s.line_chars_removed or 0) + size
            continue
        if kind in (KIND_DECONTAM_MATCHED, KIND_DECONTAM_REDACTED):
            continue
        setattr(s, kind, getattr(s, kind) + docs)
        if kind == KIND_KEPT:
            s.kept_tokens += size
        elif kind in (KIND_REJECTED, KIND_DUPLICATES):
            label = f"{stage}:{reason}" if kind == KIND_DUPLICATES else reason
            _add(s.duplicates_by_reason if kind == KIND_DUPLICATES else s.rejected_by_reason, label, docs)
            _add(s.removed_tokens_by_reason, label, size)
            if kind == KIND_REJECTED:  # which filter (or stage) said it: filter:gopher_quality -> reason -> docs
                _add(s.rejected_by_stage.setdefault(stage, {}), reason, docs)
                _add(s.rejected_tokens_by_stage.setdefault(stage, {}), reason, size)
    return sources


def error_fraction_problems(sources: dict[str, SourceReport], max_error_fraction: float) -> list[str]:
    problems = []
    for name, s in sorted(sources.items()):
        if s.read and s.unreadable / s.read > max_error_fraction:
            problems.append(f"source {name!r}: {s.unreadable:,} of {s.read:,} records unreadable "
                            f"({s.unreadable / s.read:.1%} > max_error_fraction {max_error_fraction:.1%}); see errors/")
    return problems
