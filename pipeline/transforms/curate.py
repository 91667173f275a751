"""ApplyFilters: each source's curation filter chain (see filters.chain) over its documents.

Filters are built once per worker in `DoFn.setup` (models and blocklists are shared per process, see
filters.fasttext_models and filters.url_blocklist). Documents go one at a time: the word-split memo that
makes the heuristics fast lives in the worker process, so batching would add nothing. Counters, in the
`curate` namespace: `filter:<name>:<reason>` per dropped document and `pii:<kind>` per redaction.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from filters.chain import FilterChain
from pipeline.document import Document, Rejection, filter_stage

COUNTER_NAMESPACE = "curate"


class _ApplyChainFn(beam.DoFn):
    def __init__(self, filters_by_source: dict[str, list[dict]]):
        self.filters_by_source = filters_by_source

    def setup(self):
        self.chains = {source: FilterChain(specs) for source, specs in self.filters_by_source.items() if specs}
        for chain in self.chains.values():
            chain.setup()
        self.counters = {}

    def _count(self, name: str, n: int) -> None:
        if name not in self.counters:
            self.counters[name] = Metrics.counter(COUNTER_NAMESPACE, name)
        self.counters[name].inc(n)

    def process(self, doc: Document):
        chain = self.chains.get(doc.source)
        if chain is None:  # a source without filters keeps everything
            yield doc
            return
        result = chain.apply(doc)
        for name, n in result.counters:
            self._count(name, n)
        if result.kept:
            yield result.doc
        else:
            yield beam.pvalue.TaggedOutput("rejected", Rejection(result.doc, filter_stage(result.dropped_by), result.reason))


class ApplyFilters(beam.PTransform):
    """PCollection[Document] -> {"kept": PCollection[Document], "rejected": PCollection[Rejection]}."""

    def __init__(self, filters_by_source: dict[str, list[dict]]):
        super().__init__()
        self.filters_by_source = {source: list(specs or []) for source, specs in filters_by_source.items()}

    def expand(self, docs):
        out = docs | "ApplyFilterChain" >> beam.ParDo(_ApplyChainFn(self.filters_by_source)).with_outputs(
            "rejected", main="kept")
        return {"kept": out.kept, "rejected": out.rejected}
