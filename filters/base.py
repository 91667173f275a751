"""The one filter contract: a document in, a `Decision` out.

A filter is a plain object, built from its config parameters, called with a `pipeline.document.Document`.
It never mutates the document: what it measured goes in `Decision.signals`, a new text (a formatter's
redaction, C4's line removal) in `Decision.text`. Heavy resources (fastText models, blocklists) are
loaded by `setup()`, which the Beam stage calls once per worker and `__call__` calls lazily otherwise,
so building a filter (and validating a config) stays cheap.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Optional

from pipeline.document import Document, Evidence, Signal


@dataclass(frozen=True)
class Decision:
    keep: bool
    reason: Optional[str] = None  # a stable string, set exactly when keep is False
    score: Optional[float] = None  # the measurement the decision rests on, when there is one
    signals: Mapping[str, Signal] = field(default_factory=dict)  # recorded on the document
    text: Optional[str] = None  # the document's new text; None leaves it unchanged
    counts: Mapping[str, int] = field(default_factory=dict)  # what a formatter changed, per kind
    evidence: Optional[Evidence] = None  # what triggered a drop, where the filter can say cheaply

    def __post_init__(self):
        assert self.keep == (self.reason is None), "a dropped document needs a reason, a kept one has none"


KEEP = Decision(keep=True)


def drop(reason: str, score: Optional[float] = None, evidence: Optional[Evidence] = None, **signals: Signal) -> Decision:
    return Decision(keep=False, reason=reason, score=score, signals=signals, evidence=evidence)


class Filter(ABC):
    """Subclasses set `name` (the versioned registry name) and `params` (parameter -> type, checked by
    the registry before the constructor runs), and implement `__call__`."""

    name: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}

    def setup(self) -> None:
        """Loads heavy resources; idempotent."""

    def thresholds(self) -> dict[str, list[tuple[float, str]]]:
        """{signal or measure name: [(threshold, parameter name)]}: the lines report.html draws on the
        histogram of what this filter measures (pipeline.distributions names the measures)."""
        return {}

    @abstractmethod
    def __call__(self, doc: Document) -> Decision:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
