"""Gopher quality, Gopher repetition, C4 and FineWeb quality: datatrove 0.10.1's classes behind our contract.

Each wrapper builds the datatrove filter with the user's parameters (datatrove's defaults otherwise). The
word splitter is swapped for `SharedSpacyTokenizer`, which returns the same words; C4 and FineWeb then run
their own `filter()` unchanged, and the Gopher filters run datatrove's checks on exact faster helpers
(filters.gopher_fast). Decisions and reason strings are datatrove's, at a fraction of the cost.
C4 removes lines from documents it keeps (as datatrove does); that new text comes back in `Decision.text`.
The Gopher filters record what they measured as `gopher_*` signals (report.html's histograms) and say,
with `Decision.evidence`, which lines, paragraphs or n-gram a repetition drop counted.
"""
from __future__ import annotations

import re
from typing import Any, ClassVar, Optional

from datatrove.data import Document as DatatroveDocument
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter
from datatrove.pipeline.filters.base_filter import get_filter_result

from filters.base import KEEP, Decision, Filter, drop
from filters.evidence import evidence, line_spans, repeated_parts, substring_spans
from filters.gopher_fast import FastGopherQuality, FastGopherRepetition
from filters.heuristic_scores import score_for
from filters.word_split import word_tokenizer_for
from pipeline.document import Document

NGramThresholds = tuple[tuple[int, float], ...]


class DatatroveHeuristic(Filter):
    datatrove_class: ClassVar[type]

    def __init__(self, language: str = "en", **params: Any):
        self.language = language
        self.tokenizer = word_tokenizer_for(language)
        self.settings = params
        self._filter = self.datatrove_class(language=self.tokenizer, **params)

    signal_prefix: ClassVar[str] = ""  # measures recorded as signals (`gopher_words`, ...), where measured

    def __call__(self, doc: Document) -> Decision:
        if hasattr(self._filter, "measure"):
            reason, score, measures = self._filter.measure(doc.text)
            signals = {self.signal_prefix + k: round(float(v), 4) for k, v in measures.items()}
            if reason is None:
                return Decision(keep=True, signals=signals)
            return Decision(keep=False, reason=reason, score=None if score is None else float(score), signals=signals,
                            evidence=self._filter.evidence(doc.text, reason))
        dt_doc = DatatroveDocument(text=doc.text, id=doc.id, metadata={})
        kept, reason = get_filter_result(self._filter.filter(dt_doc))
        if not kept:
            reason = reason or "dropped"
            return drop(reason, score_for(reason, doc.text, self._filter), evidence=self.evidence(doc.text, reason))
        return KEEP if dt_doc.text == doc.text else Decision(keep=True, text=dt_doc.text)

    def evidence(self, text: str, reason: str):
        return None

    def thresholds(self) -> dict[str, list[tuple[float, str]]]:
        if not hasattr(self._filter, "thresholds"):
            return {}
        return {self.signal_prefix + k: v for k, v in self._filter.thresholds().items()}


class GopherQuality(DatatroveHeuristic):
    name = "gopher_quality_v1"
    datatrove_class = FastGopherQuality
    signal_prefix = "gopher_"
    params = {
        "min_doc_words": Optional[int],
        "max_doc_words": Optional[int],
        "min_avg_word_length": Optional[float],
        "max_avg_word_length": Optional[float],
        "max_symbol_word_ratio": Optional[float],
        "max_bullet_lines_ratio": Optional[float],
        "max_ellipsis_lines_ratio": Optional[float],
        "max_non_alpha_words_ratio": Optional[float],
        "min_stop_words": Optional[int],
        "stop_words": Optional[list[str]],
        "language": str,
    }


class GopherRepetition(DatatroveHeuristic):
    name = "gopher_repetition_v1"
    datatrove_class = FastGopherRepetition
    signal_prefix = "gopher_"
    params = {
        "dup_line_frac": Optional[float],
        "dup_para_frac": Optional[float],
        "dup_line_char_frac": Optional[float],
        "dup_para_char_frac": Optional[float],
        "top_n_grams": NGramThresholds,
        "dup_n_grams": NGramThresholds,
        "language": str,
    }


class C4Quality(DatatroveHeuristic):
    name = "c4_quality_v1"
    datatrove_class = C4QualityFilter
    params = {
        "split_paragraph": bool,
        "remove_citations": bool,
        "filter_no_terminal_punct": bool,
        "min_num_sentences": int,
        "min_words_per_line": int,
        "max_word_length": int,
        "filter_lorem_ipsum": bool,
        "filter_javascript": bool,
        "filter_curly_bracket": bool,
        "filter_policy": bool,
        "language": str,
    }

    def evidence(self, text: str, reason: str):
        if reason == "lorem_ipsum":
            return evidence(substring_spans(text, ["lorem ipsum"], ignore_case=True), "'lorem ipsum'")
        if reason == "curly_bracket":
            return evidence(substring_spans(text, ["{"]), "'{' in a line")
        return None


class FineWebQuality(DatatroveHeuristic):
    name = "fineweb_quality_v1"
    datatrove_class = FineWebQualityFilter
    params = {
        "line_punct_thr": float,
        "line_punct_exclude_zero": bool,
        "stop_chars": Optional[tuple[str, ...]],
        "short_line_thr": float,
        "short_line_length": int,
        "char_duplicates_ratio": float,
        "new_line_ratio": float,
        "language": str,
    }

    def evidence(self, text: str, reason: str):
        f = self._filter
        if reason == "char_dup_ratio":
            return evidence(repeated_parts(text, _NEWLINE), "repeated lines")
        if reason == "short_line_ratio":
            return evidence(line_spans(text, lambda s: s.strip() != "" and len(s) <= f.short_line_length),
                            f"lines of at most {f.short_line_length} characters")
        return None


_NEWLINE = re.compile("\n")
