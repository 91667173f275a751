"""What the passes contribute to report.html besides counts (pure): sample documents and distributions.

A pass holds one `ReportCollector` per split. It sees every document where the document's fate is decided:
each rejection (pipeline.transforms.split_pass.RejectSink, in the read, curate and tokenize passes) and
each kept document (the tokenize pass). It keeps

* per (source, stage, reason), the `samples` removed documents with the smallest hash of (seed, id), and
  per source the `kept_samples` kept ones: a top-k by hash, so any split's choice merges into the global
  one and the choice does not depend on the dataflow; each cut to an excerpt of `excerpt_chars`;
* per (source, phase, measure) a fixed-bin histogram (pipeline.distributions) and per (source, phase)
  the count of each language, where phase `before` is every document at its decision and `after` the
  kept ones;
* for near duplicates, the survivor's excerpt, chosen by the same hash of the removed document's id, so
  report.html shows the two side by side.

`items()` gives (key, part) pairs; parts with equal keys merge (`merge_parts`), which is all a Beam
combiner has to do. Memory and what crosses the shuffle: k excerpts per key, fixed bins per measure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from pipeline.distributions import AFTER, BEFORE, MEASURES, document_measures, measure_for
from pipeline.document import STAGE_DEDUP_NEAR, Document, Evidence
from pipeline.hashing import stable_hash
from pipeline.side_outputs import keeps_text

KEPT = "kept"  # the stage and reason under which kept samples are filed
SAMPLE, SURVIVOR, HIST, LANG = "sample", "survivor", "hist", "lang"
URL_CHARS = 300


def sample_hash(seed: int, doc_id: str) -> int:
    return stable_hash(seed, "report-sample", doc_id)


def _clean(text: str) -> str:
    # Lone surrogates (texts read with surrogatepass) cannot be written as UTF-8; one character stays one.
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def excerpt(text: str, spans: tuple = (), limit: int = 2000) -> dict:
    """At most `limit` characters of `text` around its first evidence span: {"text", "start" (offset of
    the excerpt in the document), "chars" (the document's length), "marks" ([start, end) in the excerpt)}."""
    start = 0
    if len(text) > limit:
        anchor = spans[0][0] if spans else 0
        lead = min(limit // 8, 240)  # a little context before the evidence, which then shows near the top
        start = max(0, min(anchor - lead, len(text) - limit))
        if start:  # begin at a line (else a word) boundary shortly after, never past the anchor
            window = text[start:min(anchor, start + lead)]
            cut = window.find("\n") + 1 or window.find(" ") + 1
            start += cut
    end = start + limit
    marks = [[max(s, start) - start, min(e, end) - start] for s, e in spans if e > start and s < end and e > s]
    return {"text": _clean(text[start:end]), "start": start, "chars": len(text), "marks": marks}


def sample_of(doc: Document, tokens: Optional[int], limit: int, evidence: Optional[Evidence] = None,
              duplicate_of: Optional[str] = None) -> dict:
    """A sample as report.json stores it: the excerpt, what triggered the decision, and its scores."""
    out = {"id": doc.id, **excerpt(doc.text, evidence.spans if evidence else (), limit)}
    if tokens is not None:
        out["tokens"] = int(tokens)
    if doc.url:
        out["url"] = _clean(doc.url[:URL_CHARS])
        if evidence and evidence.url_spans:
            out["url_marks"] = [[s, min(e, URL_CHARS)] for s, e in evidence.url_spans if s < URL_CHARS]
    if evidence and evidence.note:
        out["note"] = _clean(evidence.note)
    if duplicate_of is not None:
        out["duplicate_of"] = duplicate_of
    score = doc.signals.get("reject_score")
    if isinstance(score, (int, float)):
        out["score"] = float(score)
    if isinstance(doc.signals.get("language"), str):
        out["language"] = doc.signals["language"]
    return out


@dataclass
class TopK:
    """The k entries with the smallest (hash, id): (hash, id, sample dict), sorted."""

    k: int
    items: list = field(default_factory=list)

    def wants(self, h: int, doc_id: str) -> bool:
        return len(self.items) < self.k or (h, doc_id) < self.items[-1][:2]

    def offer(self, h: int, doc_id: str, make: Callable[[], dict]) -> None:
        if self.k and self.wants(h, doc_id):
            self.items.append((h, doc_id, make()))
            self.items.sort(key=lambda t: t[:2])
            del self.items[self.k:]

    def merge(self, other: "TopK") -> "TopK":
        seen = {t[:2]: t for t in self.items + other.items}
        self.k = max(self.k, other.k)
        self.items = sorted(seen.values(), key=lambda t: t[:2])[:self.k]
        return self


@dataclass
class Histogram:
    counts: list

    def merge(self, other: "Histogram") -> "Histogram":
        if len(other.counts) > len(self.counts):
            self.counts += [0] * (len(other.counts) - len(self.counts))
        for i, n in enumerate(other.counts):
            self.counts[i] += n
        return self


@dataclass
class Counts:
    counts: dict

    def merge(self, other: "Counts") -> "Counts":
        for name, n in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + n
        return self


def merge_parts(a, b):
    """Merges part b into part a (same key, so same type); returns a."""
    return a.merge(b)


def copy_part(part):
    if isinstance(part, TopK):
        return TopK(part.k, list(part.items))
    if isinstance(part, Histogram):
        return Histogram(list(part.counts))
    return Counts(dict(part.counts))


class ReportCollector:
    """One split's samples and histograms (see the module docstring)."""

    def __init__(self, seed: int, samples: int = 5, kept_samples: int = 3, excerpt_chars: int = 2000,
                 text_fraction: float = 1.0):
        self.seed, self.k, self.kept_k, self.limit = seed, samples, kept_samples, excerpt_chars
        self.text_fraction = text_fraction
        self.parts: dict[tuple, object] = {}

    @classmethod
    def for_config(cls, cfg) -> "ReportCollector":
        r = cfg.report
        return cls(cfg.seed, r.samples, r.kept_samples, r.excerpt_chars, cfg.rejects_text_fraction)

    def _top(self, key: tuple, k: int) -> TopK:
        part = self.parts.get(key)
        if part is None:
            part = self.parts[key] = TopK(k)
        return part

    def _measure(self, doc: Document, tokens: int, phases: tuple[str, ...]) -> None:
        values = document_measures(len(doc.text), tokens, doc.signals)
        language = doc.signals.get("language")
        for phase in phases:
            for name, value in values:
                key = (HIST, doc.source, phase, name)
                hist = self.parts.get(key)
                bins = (MEASURES.get(name) or measure_for(name)).bins
                if hist is None:
                    hist = self.parts[key] = Histogram([0] * len(bins))
                hist.counts[bins.index(value)] += 1
            if isinstance(language, str):
                counts = self.parts.setdefault((LANG, doc.source, phase), Counts({})).counts
                counts[language] = counts.get(language, 0) + 1

    def removed(self, rejection, tokens: int) -> None:
        doc = rejection.doc
        self._measure(doc, tokens, (BEFORE,))
        if not self.k or not keeps_text(self.seed, doc.id, self.text_fraction):
            return
        top = self._top((SAMPLE, doc.source, rejection.stage, rejection.reason), self.k)
        top.offer(sample_hash(self.seed, doc.id), doc.id,
                  lambda: sample_of(doc, tokens, self.limit, rejection.evidence, rejection.duplicate_of))

    def kept(self, doc: Document, tokens: int) -> None:
        self._measure(doc, tokens, (BEFORE, AFTER))
        if self.kept_k:
            top = self._top((SAMPLE, doc.source, KEPT, KEPT), self.kept_k)
            top.offer(sample_hash(self.seed, doc.id), doc.id, lambda: sample_of(doc, tokens, self.limit))

    def survivor(self, doc: Document, removed_source: str, removed_id: str, reason: str) -> None:
        """`doc` survived in place of near duplicate `removed_id`: filed under the removed document's key
        and hash, so the same top-k picks the pair."""
        if not self.k or not keeps_text(self.seed, removed_id, self.text_fraction):
            return
        top = self._top((SURVIVOR, removed_source, STAGE_DEDUP_NEAR, reason), self.k)
        top.offer(sample_hash(self.seed, removed_id), removed_id, lambda: sample_of(doc, None, self.limit))

    def items(self) -> list[tuple[tuple, object]]:
        return sorted(self.parts.items(), key=lambda kv: kv[0])
