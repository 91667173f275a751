"""SourceFilters: each source's curation filter chain (see filters.chain), applied by the curate pass
(pipeline.transforms.curate_pass) to one document at a time.

Filters are built once per worker, in the DoFn's `setup` (models and blocklists are shared per process, see
filters.fasttext_models and filters.url_blocklist). Documents go one at a time: the word-split memo that
makes the heuristics fast lives in the worker process, so batching would add nothing. Counters, in the
`curate` namespace: `filter:<name>:<reason>` per dropped document and `pii:<kind>` per redaction.
"""
from __future__ import annotations

from typing import Union

from apache_beam.metrics import Metrics

from filters.chain import FilterChain
from pipeline.document import Document, Rejection, filter_stage

COUNTER_NAMESPACE = "curate"


class SourceFilters:
    """{source: filter specs} -> for a document, the document as its chain leaves it, or its Rejection.
    A source without filters keeps everything."""

    def __init__(self, filters_by_source: dict[str, list[dict]]):
        self.filters_by_source = {source: list(specs or []) for source, specs in filters_by_source.items()}
        self.chains = None
        self.counters: dict = {}

    def setup(self) -> None:
        self.chains = {source: FilterChain(specs) for source, specs in self.filters_by_source.items() if specs}
        for chain in self.chains.values():
            chain.setup()

    def _count(self, name: str, n: int) -> None:
        if name not in self.counters:
            self.counters[name] = Metrics.counter(COUNTER_NAMESPACE, name)
        self.counters[name].inc(n)

    def apply(self, doc: Document) -> Union[Document, Rejection]:
        chain = self.chains.get(doc.source)
        if chain is None:
            return doc
        result = chain.apply(doc)
        for name, n in result.counters:
            self._count(name, n)
        if result.kept:
            return result.doc
        return Rejection(result.doc, filter_stage(result.dropped_by), result.reason, evidence=result.evidence)
