"""report.json's "decontamination" section (pure), from the run's count events, the index's per-set
figures and the number of distinct examples found per set.

Count events of the stage ((kind, source, stage, reason), (documents, size)):
- ("rejected", source, "decontaminate", "contaminated:<set>"): dropped documents and their tokens (EOS
  included), as every rejection is counted (pipeline.accounting);
- ("decontam_redacted", source, "decontaminate", "<set>"): redacted documents and the tokens cut out;
- ("decontam_matched", source, "decontaminate", "<set>"): documents holding an example of the set,
  whatever was done with them (a document matching two sets counts in both; its drop or redaction is
  counted under the first set in config order only).
"""
from __future__ import annotations

from typing import Iterable

from pipeline.accounting import KIND_DECONTAM_MATCHED, KIND_DECONTAM_REDACTED, KIND_REJECTED
from pipeline.decontam.decide import contaminated_reason
from pipeline.document import STAGE_DECONTAMINATE


def decontamination_report(counts: Iterable, set_stats: dict[str, dict], found: dict[str, int]) -> dict:
    """{set: {"examples", "examples_indexed", "examples_too_short", "ngrams", "examples_found",
    "documents_matched", "documents_removed", "documents_redacted", "tokens_removed",
    "documents_matched_by_source"}}, sets in config order (`set_stats`' order)."""
    out = {}
    for name, stats in set_stats.items():
        out[name] = {"examples": stats["examples"], "examples_indexed": stats["indexed"],
                     "examples_too_short": stats["too_short"], "ngrams": stats["ngrams"],
                     "examples_found": int(found.get(name, 0)), "documents_matched": 0, "documents_removed": 0,
                     "documents_redacted": 0, "tokens_removed": 0, "documents_matched_by_source": {}}
    by_reason = {contaminated_reason(name): name for name in out}
    for (kind, source, stage, reason), (docs, size) in counts:
        if stage != STAGE_DECONTAMINATE:
            continue
        if kind == KIND_REJECTED and reason in by_reason:
            entry = out[by_reason[reason]]
            entry["documents_removed"] += docs
            entry["tokens_removed"] += size
        elif kind == KIND_DECONTAM_REDACTED and reason in out:
            out[reason]["documents_redacted"] += docs
            out[reason]["tokens_removed"] += size
        elif kind == KIND_DECONTAM_MATCHED and reason in out:
            entry = out[reason]
            entry["documents_matched"] += docs
            entry["documents_matched_by_source"][source] = entry["documents_matched_by_source"].get(source, 0) + docs
    return out
