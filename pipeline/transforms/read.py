"""ReadSource: one configured source's files -> Documents, ReadErrors and empty-text rejections.

Files are matched on a worker (not the driver), planned into splits (byte ranges, row groups or whole
files), and the splits are reshuffled so a runner spreads them over workers.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.config import SourceConfig
from pipeline.document import STAGE_READ, ReadError, Rejection
from pipeline.ids import glob_base, relative_path
from pipeline.readers import RecordFields, plan_splits, read_split
from pipeline.transforms.fileio import open_raw
from pipeline.transforms.progress import ProgressLog

DOCS, ERRORS, REJECTED = "docs", "errors", "rejected"


def _match(pattern: str):
    base = glob_base(pattern)
    for result in FileSystems.match([pattern]):
        for meta in result.metadata_list:
            yield meta.path, meta.size_in_bytes, relative_path(meta.path, base)


class _ReadSplitFn(beam.DoFn):
    def __init__(self, source: SourceConfig):
        self.source = source.name
        self.fields = RecordFields(source.text_field, source.id_field, source.url_field)

    def setup(self):
        self.read_ok = Metrics.counter("read", f"{self.source}:documents")
        self.unreadable = Metrics.counter("read", f"{self.source}:unreadable")
        self.progress = ProgressLog(f"[{self.source}] records read")

    def process(self, split):
        for rec in read_split(split, self.fields, open_raw):
            self.progress.add()
            if isinstance(rec, ReadError):
                self.unreadable.inc()
                yield beam.pvalue.TaggedOutput(ERRORS, rec)
            elif not rec.text.strip():
                self.read_ok.inc()
                yield beam.pvalue.TaggedOutput(REJECTED, Rejection(rec, STAGE_READ, "empty_text"))
            else:
                self.read_ok.inc()
                yield rec


class ReadSource(beam.PTransform):
    """Returns {"docs": Documents, "errors": ReadErrors, "rejected": Rejections (empty text)}."""

    def __init__(self, source: SourceConfig):
        super().__init__()
        self.source = source

    def expand(self, pbegin):
        src = self.source
        outputs = (
            pbegin
            | "Patterns" >> beam.Create(sorted(set(src.paths)))
            | "MatchFiles" >> beam.FlatMap(_match)
            | "DistinctFiles" >> beam.Distinct()
            | "PlanSplits" >> beam.FlatMap(
                lambda f, s=src: plan_splits(s.name, s.format, f[0], f[2], f[1], open_raw))
            | "SpreadSplits" >> beam.Reshuffle()
            | "ReadSplits" >> beam.ParDo(_ReadSplitFn(src)).with_outputs(ERRORS, REJECTED, main=DOCS)
        )
        return {DOCS: outputs[DOCS], ERRORS: outputs[ERRORS], REJECTED: outputs[REJECTED]}
