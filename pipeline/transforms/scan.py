"""ScanSplits: the first pass. Each split is read once from its input file; its readable documents are
spilled to OUT/.tmp/docs/SPLIT.pkl (later passes read that, never the input again), its unreadable records
go to errors/, documents with empty text to rejects/ (stage `read`), and, when URL or exact dedup is on,
one small key entry per document goes to the split's key bucket files (pipeline.transforms.dedup_docs).

Outputs: count events (read, unreadable, rejected empty), the names of the side-output files written,
and DONE: (split number, documents spilled) once the split's files are complete.
"""
from __future__ import annotations


import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.accounting import KIND_READ, KIND_UNREADABLE
from pipeline.config import PipelineConfig
from pipeline.dedup.keys import exact_key
from pipeline.dedup.urls import url_dedup_key
from pipeline.document import STAGE_READ, ReadError, Rejection
from pipeline.fileio import open_raw
from pipeline.readers import RecordFields, read_split
from pipeline.side_outputs import error_line
from pipeline.spill import RecordWriter, SpillPaths, pickled_buckets, write_buckets
from pipeline.transforms.dedup_docs import exact_entry, url_entry
from pipeline.transforms.split_pass import SplitPassFn, apply_split_pass
from pipeline.transforms.tags import DONE, SPLIT


class _ScanSplitFn(SplitPassFn):
    PASS = REJECTS = "read"

    def __init__(self, cfg: PipelineConfig, spill: SpillPaths):
        super().__init__(cfg, spill)
        self.fields = {s.name: RecordFields(s.text_field, s.id_field, s.url_field) for s in cfg.sources}

    def setup(self):
        super().setup()
        self.read_ok = Metrics.counter("read", "documents")
        self.unreadable = Metrics.counter("read", "unreadable")
        self.without_url = Metrics.counter("dedup_url", "documents_without_url")

    def work(self, number, grouped, plan, tally, rejects, outputs):
        split = grouped[SPLIT][0][0]
        dedup = self.cfg.dedup
        url_buckets = [[] for _ in range(plan.buckets)] if dedup.url else None
        exact_buckets = [[] for _ in range(plan.buckets)] if dedup.exact else None
        errors: list[str] = []
        with RecordWriter(self.spill.docs(number)) as docs:
            for rec in read_split(split, self.fields[split.source], open_raw):
                tally.add(KIND_READ, split.source)
                if isinstance(rec, ReadError):
                    self.unreadable.inc()
                    tally.add(KIND_UNREADABLE, rec.source, "read", "unreadable")
                    errors.append(error_line(rec))
                    continue
                self.read_ok.inc()
                if not rec.text.strip():
                    rejects.add(Rejection(rec, STAGE_READ, "empty_text"))
                    continue
                ordinal = docs.count
                docs.write(rec)
                self.progress.add(docs=1)
                ekey = exact_key(rec.text) if dedup.exact else None
                if exact_buckets is not None:
                    bucket, entry = exact_entry(rec, ekey, ordinal, plan.buckets)
                    exact_buckets[bucket].append(entry)
                if url_buckets is not None:
                    ukey = url_dedup_key(rec.url)
                    if ukey is None:
                        self.without_url.inc()
                    else:
                        bucket, entry = url_entry(rec, ukey, ekey, ordinal, plan.buckets)
                        url_buckets[bucket].append(entry)
        if url_buckets is not None:
            write_buckets(self.spill.keys("url", number), pickled_buckets(url_buckets))
        if exact_buckets is not None:
            write_buckets(self.spill.keys("exact", number), pickled_buckets(exact_buckets))
        written = []
        if errors:
            rel = f"errors/errors-{number:05d}.jsonl"
            with FileSystems.create(self.spill.output(rel)) as f:
                f.write(("\n".join(errors) + "\n").encode("utf-8"))
            written.append(rel)
        outputs.append(beam.pvalue.TaggedOutput(DONE, (number, docs.count)))
        return written


class ScanSplits(beam.PTransform):
    """(number, (FileSplit, bytes)) -> {"events", "written", "done"}; takes the SplitPlan singleton."""

    def __init__(self, cfg: PipelineConfig, spill: SpillPaths, plan):
        super().__init__()
        self.cfg, self.spill, self.plan = cfg, spill, plan

    def expand(self, splits):
        as_grouped = splits | "AsPassInput" >> beam.MapTuple(lambda number, split: (number, {SPLIT: [split]}))
        return apply_split_pass(as_grouped, "ReadAndSpill", _ScanSplitFn(self.cfg, self.spill), self.plan, DONE)
