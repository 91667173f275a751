"""The records that flow through the pipeline. Pure data: no Beam, no torch."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

Signal = Union[str, float, int, bool]

# Stage names used in rejects/ and report.json. A stage whose name starts with "dedup" counts as a
# duplicate in the accounting identity; every other stage counts as a rejection.
STAGE_READ = "read"
STAGE_DEDUP_EXACT = "dedup_exact"
STAGE_DEDUP_URL = "dedup_url"
STAGE_DEDUP_NEAR = "dedup_near"
STAGE_DEDUP_LINES = "dedup_lines"
STAGE_DECONTAMINATE = "decontaminate"
STAGE_FILTER = "filter"


def filter_stage(filter_name: str) -> str:
    """The stage of a document a curation filter dropped: `filter:gopher_quality` (the name as configured)."""
    return f"{STAGE_FILTER}:{filter_name}"


def is_duplicate_stage(stage: str) -> bool:
    return stage.startswith("dedup")


@dataclass
class Document:
    """One input document. `id` is stable across runs (see pipeline.ids); `signals` collects what
    filters measured about it (language, scores) and ends up as columns of curated/*.parquet."""

    id: str
    source: str
    text: str
    url: Optional[str] = None
    signals: dict[str, Signal] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence:
    """What made a stage decide, where it can say: character ranges of the document's text (or of its
    URL) that triggered the decision, and a few words on what matched. Shown in report.html's samples."""

    spans: tuple[tuple[int, int], ...] = ()  # [start, end) ranges of the text, in order
    note: str = ""  # e.g. "repeated 2-gram 'click here'", "blocked domain evil.com"
    url_spans: tuple[tuple[int, int], ...] = ()  # [start, end) ranges of the URL


@dataclass
class Rejection:
    """A document a stage removed, with the stable reason string and, for a duplicate, the id of
    the document that survived in its place."""

    doc: Document
    stage: str
    reason: str
    duplicate_of: Optional[str] = None
    evidence: Optional[Evidence] = None


@dataclass
class ReadError:
    """A record that could not be read: where it was and why. Counted as `unreadable`."""

    source: str
    file: str
    position: int
    error: str


@dataclass
class TokenizedDocument:
    """A kept document's token ids (EOS included) as a numpy array of the shard dtype."""

    id: str
    source: str
    tokens: "object"  # numpy.ndarray; typed loosely to keep this module import-light
