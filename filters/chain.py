"""A configured list of filters applied in order to one document: the pure core of the Beam Curate stage.

Order matters: a formatter's new text (PII redaction) or C4's line removal is what every later filter
sees, and the first filter that drops a document decides its reason. Documents are never mutated: the
result carries a new `Document` with the final text and the accumulated signals.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Optional

from filters.base import Filter
from filters.registry import build_filter, canonical_name
from pipeline.document import Document, Evidence

_VERSION = re.compile(r"_v\d+$")


@dataclass
class ChainResult:
    doc: Document  # the document as the chain left it (text after formatters, signals added)
    dropped_by: Optional[str] = None  # the dropping filter's configured name; None when kept
    reason: Optional[str] = None
    counters: list[tuple[str, int]] = field(default_factory=list)  # ("filter:<name>:<reason>" | "pii:<kind>", n)
    evidence: Optional[Evidence] = None  # what the dropping filter says triggered it

    @property
    def kept(self) -> bool:
        return self.dropped_by is None


class FilterChain:
    def __init__(self, specs: list[dict]):
        self.steps: list[tuple[str, str, Filter]] = []  # (configured name, counter family, filter)
        for spec in specs:
            filt = build_filter(spec)
            self.steps.append((spec["name"], _VERSION.sub("", canonical_name(spec["name"])), filt))

    def setup(self) -> None:
        for _, _, filt in self.steps:
            filt.setup()

    def __len__(self) -> int:
        return len(self.steps)

    def apply(self, doc: Document) -> ChainResult:
        current = doc
        counters: list[tuple[str, int]] = []
        for name, family, filt in self.steps:
            decision = filt(current)
            counters += [(f"{family}:{kind}", n) for kind, n in decision.counts.items()]
            if decision.signals or decision.text is not None:
                text = current.text if decision.text is None else decision.text
                current = dataclasses.replace(current, text=text, signals={**current.signals, **decision.signals})
            if not decision.keep:
                if decision.score is not None:
                    current = dataclasses.replace(current, signals={**current.signals, "reject_score": decision.score})
                counters.append((f"filter:{name}:{decision.reason}", 1))
                return ChainResult(current, name, decision.reason, counters, decision.evidence)
        return ChainResult(current, counters=counters)

    def thresholds(self) -> dict[str, list[tuple[float, str]]]:
        """{measure: [(threshold, "<filter>.<parameter>")]} over the chain's filters, for report.html."""
        out: dict[str, list[tuple[float, str]]] = {}
        for name, _, filt in self.steps:
            for measure, lines in filt.thresholds().items():
                out.setdefault(measure, []).extend((float(v), f"{name}.{param}") for v, param in lines)
        return out
