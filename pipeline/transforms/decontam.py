"""Decontamination's Beam part: the evaluation index, built once, and its use inside the curate pass.

`BuildEvalIndex` reads every evaluation set once, on one worker, with the sources' readers
(pipeline.readers; one example per record), and emits one EvalIndex (pipeline.decontam.index): sorted
uint64 n-gram keys and their examples, ~12 bytes per eval n-gram. The curate pass takes it as a side
input, so every worker holds the index of the evaluation sets and nothing that grows with the training
corpus. An unreadable evaluation record fails the run (EvalSetUnreadable, exit 1): a partly read
evaluation set would leave its missing examples in the training data unreported.

`SplitDecontamination` applies pipeline.decontam.decide to each document of one split, after URL/exact
dedup and before repeated-line removal: a dropped document goes to rejects/ (stage `decontaminate`,
reason `contaminated:<set>`, `duplicate_of`: the id of the example found); a redacted one keeps its signals
`decontaminated` (the sets, comma-separated) and `decontaminated_words` (words cut). Every (document,
example) pair found goes to decontamination/matches-SPLIT.parquet, and the examples found leave the pass
as (set, example number) pairs for the report's per-set count of distinct examples found.
"""
from __future__ import annotations

import time

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics

from pipeline.accounting import KIND_DECONTAM_MATCHED, KIND_DECONTAM_REDACTED
from pipeline.config import DecontaminationConfig
from pipeline.decontam.decide import decontaminate
from pipeline.decontam.index import EvalIndex, Matcher
from pipeline.decontam.ngrams import word_bytes, word_spans
from pipeline.document import STAGE_DECONTAMINATE, Document, ReadError, Rejection
from pipeline.fileio import open_raw
from pipeline.readers import RecordFields, plan_splits, read_split
from pipeline.spill import SpillPaths
from pipeline.transforms.split_pass import ParquetSink, Tally
from pipeline.transforms.splits import match_files

MATCHES_SCHEMA = pa.schema([
    ("set", pa.string()), ("example_id", pa.string()), ("document_id", pa.string()), ("source", pa.string()),
    ("action", pa.string()), ("matched_ngrams", pa.int32()), ("matched_text", pa.string()),
])
MATCHED_TEXT_CHARS = 2000  # of the document, from the example's first matched word to its last


class EvalSetUnreadable(RuntimeError):
    """An evaluation record could not be read; the message names the set, file and position."""


def read_examples(cfg: DecontaminationConfig):
    """(set name, example id, text) of every example, set by set, files in path order."""
    for s in cfg.sets:
        fields = RecordFields(s.text_fields[0], s.id_field, None, tuple(s.text_fields[1:]))
        files = sorted({f for pattern in s.paths for f in match_files(pattern)})
        for path, size, rel in files:
            for split in plan_splits(s.name, s.format, path, rel, size, open_raw):
                for record in read_split(split, fields, open_raw):
                    if isinstance(record, ReadError):
                        raise EvalSetUnreadable(f"decontaminate set {s.name!r}: {record.file} at {record.position}: "
                                                f"{record.error}")
                    yield s.name, record.id, record.text


def build_eval_index(cfg: DecontaminationConfig) -> EvalIndex:
    return EvalIndex.build(read_examples(cfg), [s.name for s in cfg.sets], cfg.ngram, cfg.min_words)


class BuildEvalIndex(beam.PTransform):
    """pipeline root -> one EvalIndex."""

    def __init__(self, cfg: DecontaminationConfig):
        super().__init__()
        self.cfg = cfg

    def expand(self, pbegin):
        return (pbegin | "Once" >> beam.Create([None])
                | "ReadEvalSets" >> beam.Map(lambda _, cfg: build_eval_index(cfg), cfg=self.cfg))


def index_stats(index: EvalIndex) -> dict:
    """{set: {"examples", "indexed", "too_short", "ngrams"}}, in config order: what the commit reports."""
    return {name: vars(s).copy() for name, s in index.stats.items()}


class SplitDecontamination:
    """One split's decontamination inside the curate pass (see the module docstring). Its CPU time goes to
    the counter cpu:curate.decontaminate_ms (a part of the curate pass's own): this thread's CPU only
    (time.thread_time), as the work runs in it, so the runner's other threads are not counted."""

    FLUSH = 256

    def __init__(self, cfg: DecontaminationConfig, matcher: Matcher, spill: SpillPaths, number: int, tokenizer,
                 tally: Tally):
        self.cfg, self.matcher, self.tokenizer, self.tally = cfg, matcher, tokenizer, tally
        self.sink = ParquetSink(spill, f"decontamination/matches-{number:05d}.parquet", MATCHES_SCHEMA)
        self.rows: list[dict] = []
        self.found: set[tuple[str, int]] = set()
        self.cpu = 0.0

    def apply(self, doc: Document, rejects) -> Document | None:
        """The document to curate further (redacted or as it was), or None when it was dropped."""
        start = time.thread_time()
        decision = decontaminate(doc.text, self.matcher, self.cfg.action, self.cfg.margin, self.cfg.min_words)
        if decision is not None:
            self._record(doc, decision)
        self.cpu += time.thread_time() - start
        if decision is None:
            return doc
        if decision.action == "drop":
            first = next(h for h in decision.hits if self.matcher.set_of(h) == decision.sets[0])
            rejects.add(Rejection(doc, STAGE_DECONTAMINATE, decision.reason, self.matcher.example_id(first)))
            return None
        before, after = self.tokenizer.encode_documents([doc.text, decision.text])
        self.tally.add(KIND_DECONTAM_REDACTED, doc.source, STAGE_DECONTAMINATE, decision.sets[0], 1,
                       len(before) - len(after))
        signals = dict(doc.signals, decontaminated=",".join(decision.sets),
                       decontaminated_words=len(word_bytes(doc.text)) - len(word_bytes(decision.text)))
        return Document(doc.id, doc.source, decision.text, doc.url, signals)

    def _record(self, doc: Document, decision) -> None:
        """One matches row per example found (with the document's text from its first matched word to its
        last), the examples found, and one `decontam_matched` count per set."""
        action = "dropped" if decision.action == "drop" else "redacted"
        spans = word_spans(doc.text, limit=max(s + k for h in decision.hits for s, k in h.windows))
        for hit in decision.hits:
            set_name = self.matcher.set_of(hit)
            self.found.add((set_name, hit.example))
            first, last = hit.windows[0], max(hit.windows, key=lambda w: w[0] + w[1])
            text = doc.text[spans[first[0]][0]:spans[last[0] + last[1] - 1][1]]
            self.rows.append({"set": set_name, "example_id": self.matcher.example_id(hit), "document_id": doc.id,
                              "source": doc.source, "action": action, "matched_ngrams": len(hit.windows),
                              "matched_text": text[:MATCHED_TEXT_CHARS]})
        for set_name in decision.sets:
            self.tally.add(KIND_DECONTAM_MATCHED, doc.source, STAGE_DECONTAMINATE, set_name)
        if len(self.rows) >= self.FLUSH:
            self.sink.write(self.rows)
            self.rows = []

    def close(self) -> list[str]:
        """Finishes the matches file; returns its name when it holds a row."""
        self.sink.write(self.rows)
        self.rows = []
        if self.cpu:
            Metrics.counter("cpu", "curate.decontaminate_ms").inc(int(self.cpu * 1000))
        return self.sink.close()
