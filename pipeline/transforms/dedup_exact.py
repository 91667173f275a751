"""DedupExact: one survivor per group of documents with the same normalized text (xxh3-128).

Memory: GroupByKey spreads keys over workers; one worker holds one group of identical documents.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.dedup_keys import exact_key, survivor_rank
from pipeline.document import STAGE_DEDUP_EXACT, Rejection


class _KeepOnePerGroup(beam.DoFn):
    def setup(self):
        self.removed = Metrics.counter("dedup_exact", "duplicates")

    def process(self, element):
        _, docs = element
        docs = sorted(docs, key=survivor_rank)
        yield docs[0]
        for dup in docs[1:]:
            self.removed.inc()
            yield beam.pvalue.TaggedOutput("rejected", Rejection(dup, STAGE_DEDUP_EXACT, "exact_duplicate", docs[0].id))


class DedupExact(beam.PTransform):
    def expand(self, docs):
        out = (
            docs
            | "KeyByNormalizedText" >> beam.Map(lambda d: (exact_key(d.text), d))
            | "GroupByText" >> beam.GroupByKey()
            | "KeepOnePerGroup" >> beam.ParDo(_KeepOnePerGroup()).with_outputs("rejected", main="kept")
        )
        return {"kept": out.kept, "rejected": out.rejected}
