"""DedupUrl: one survivor per normalized URL (pipeline.dedup.urls), the longest text winning, ties by
id. Documents without a URL pass untouched.

Memory: GroupByKey spreads URLs over workers; a worker reads one URL's documents twice (to find the
survivor, then to emit) without copying them, so even a URL shared by many documents holds one
document at a time where the runner pages groups.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.dedup.urls import normalize_url, url_survivor_rank
from pipeline.document import STAGE_DEDUP_URL, Rejection

KEPT, REJECTED, NO_URL = "kept", "rejected", "no_url"


class _KeyByUrlFn(beam.DoFn):
    def setup(self):
        self.without_url = Metrics.counter("dedup_url", "documents_without_url")

    def process(self, doc):
        key = normalize_url(doc.url)
        if key is None:
            self.without_url.inc()
            yield beam.pvalue.TaggedOutput(NO_URL, doc)
        else:
            yield beam.pvalue.TaggedOutput("keyed", (key, doc))


class _KeepOnePerUrlFn(beam.DoFn):
    def setup(self):
        self.removed = Metrics.counter("dedup_url", "duplicates")

    def process(self, element):
        _, docs = element
        survivor = min(docs, key=url_survivor_rank)
        best, kept = url_survivor_rank(survivor), False
        for doc in docs:
            if not kept and url_survivor_rank(doc) == best:
                kept = True  # an exact copy of the survivor (same id and text) is still a duplicate
                yield doc
            else:
                self.removed.inc()
                yield beam.pvalue.TaggedOutput(REJECTED, Rejection(doc, STAGE_DEDUP_URL, "url_duplicate", survivor.id))


class DedupUrl(beam.PTransform):
    """`seed` keeps the constructor uniform with the other stages: the survivor rule needs no
    randomness."""

    def __init__(self, seed: int = 0):
        super().__init__()
        self.seed = seed

    def expand(self, docs):
        keyed = docs | "KeyByNormalizedUrl" >> beam.ParDo(_KeyByUrlFn()).with_outputs(NO_URL, "keyed")
        grouped = (
            keyed["keyed"]
            | "GroupByUrl" >> beam.GroupByKey()
            | "KeepOnePerUrl" >> beam.ParDo(_KeepOnePerUrlFn()).with_outputs(REJECTED, main=KEPT)
        )
        kept = (grouped[KEPT], keyed[NO_URL]) | "WithDocsWithoutUrl" >> beam.Flatten()
        return {KEPT: kept, REJECTED: grouped[REJECTED]}
