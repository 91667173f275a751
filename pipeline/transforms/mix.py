"""MixSources: tokenized documents -> (document, copy index) pairs that meet the configured data mix,
plus the realized-versus-target table.

Three passes over the documents, all keyed by hash(seed, "mix", id) so retries, input order and
worker counts agree (the scheme is in mixers.selection, the arithmetic in mixers.plan):
1. a histogram of tokens over hash buckets per source (a combine; 1 MiB per source), from which the
   single-element `PlanMix` step computes every source's rate and its cut-off window (a small side input);
2. the documents inside each source's window, gathered per source, are filled token-exactly;
3. each document is emitted `whole_repeats` times, once more if its hash falls before the window or
   it was chosen inside it, with copy indices 0..k-1 (the shard stage places copy k by hash(seed, id, k)).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import apache_beam as beam
from apache_beam.pvalue import AsDict, AsSingleton

from mixers.plan import MixPlan, plan_mix
from mixers.selection import Window, add_to_histogram, copy_count, empty_histogram, fill_window, find_window
from mixers.table import format_table, mix_table
from mixers.weights import SourceWeight, check_mix_statement
from pipeline.accounting import sum_pairs
from pipeline.config import MixConfig, SourceConfig
from pipeline.hashing import stable_hash

LOG = logging.getLogger("tokenmill")


def mix_hash(seed: int, doc_id: str) -> int:
    return stable_hash(seed, "mix", doc_id)


@dataclass(frozen=True)
class _StagePlan:
    mix: MixPlan
    windows: dict[str, Optional[Window]]


class _HistogramFn(beam.CombineFn):
    """(hash, tokens) -> per-bucket document and token counts; fixed size, whatever the input."""

    def create_accumulator(self):
        return empty_histogram()

    def add_input(self, hist, hash_and_tokens):
        add_to_histogram(hist, *hash_and_tokens)
        return hist

    def merge_accumulators(self, hists):
        hists = iter(hists)
        total = next(hists)
        for h in hists:
            total += h
        return total

    def extract_output(self, hist):
        return hist


def _plan_stage(histograms, sources: list[SourceWeight], mix: MixConfig) -> _StagePlan:
    hists = dict(histograms)
    plan = plan_mix(
        sources,
        tokens={name: int(h[1].sum()) for name, h in hists.items()},
        documents={name: int(h[0].sum()) for name, h in hists.items()},
        total_tokens=mix.total_tokens,
        on_shortfall=mix.on_shortfall,
        temperature=mix.temperature,
    )
    if plan.rescaled:
        LOG.warning("mix: mix.total_tokens %s cannot be met within max_repeats; rescaled to %s tokens "
                    "(mix.on_shortfall: rescale)", f"{plan.requested_budget:,}", f"{plan.budget:,}")
    if plan.weights_sum is not None and abs(plan.weights_sum - 1) > 1e-6:
        LOG.warning("mix: source weights sum to %.6g; they are used relative to each other", plan.weights_sum)
    windows = {}
    for name, src in plan.sources.items():
        extra_limit = None if src.cap_tokens is None else src.cap_tokens - src.whole_repeats * src.tokens
        windows[name] = find_window(hists[name], src.extra_tokens, extra_limit) if src.extra_tokens else None
    return _StagePlan(plan, windows)


def _window_entries(hashed, plan: _StagePlan):
    doc_hash, doc = hashed
    window = plan.windows[doc.source]
    if window is not None and window.contains(doc_hash):
        yield doc.source, (doc_hash, doc.id, len(doc.tokens))


def _fill(source_entries, plan: _StagePlan):
    source, entries = source_entries
    window = plan.windows[source]
    return source, fill_window(entries, window.need, window.limit)


def _emit_copies(hashed, plan: _StagePlan, chosen: dict):
    doc_hash, doc = hashed
    src = plan.mix.sources[doc.source]
    k = copy_count(doc_hash, doc.id, src.whole_repeats, plan.windows[doc.source], chosen.get(doc.source, frozenset()))
    for copy in range(k):
        yield doc, copy


def _table(sampled: dict, plan: _StagePlan) -> dict:
    table = mix_table(plan.mix, sampled)
    LOG.info("mix: realized versus target\n%s", format_table(table))
    return table


class MixSources(beam.PTransform):
    """PCollection[TokenizedDocument] -> {"copies": (TokenizedDocument, copy index), "table": one dict}."""

    def __init__(self, sources: list[SourceConfig], mix: MixConfig, seed: int):
        super().__init__()
        self.sources = [SourceWeight(s.name, s.weight, s.max_repeats) for s in sources]
        check_mix_statement(self.sources, mix.temperature)  # a mistake in the config fails before any work
        self.mix = mix
        self.seed = seed

    def expand(self, docs):
        seed = self.seed
        hashed = docs | "HashIds" >> beam.Map(lambda d: (mix_hash(seed, d.id), d))
        plan = (
            hashed
            | "HashAndSize" >> beam.Map(lambda hd: (hd[1].source, (hd[0], len(hd[1].tokens))))
            | "HistogramPerSource" >> beam.CombinePerKey(_HistogramFn())
            | "AllHistograms" >> beam.combiners.ToList()
            | "PlanMix" >> beam.Map(_plan_stage, self.sources, self.mix)
        )
        # Memory: one worker per source holds its window (WINDOW_DOCS + ~documents/2^16 small tuples).
        chosen = (
            hashed
            | "WindowDocs" >> beam.FlatMap(_window_entries, plan=AsSingleton(plan))
            | "GroupWindow" >> beam.GroupByKey()
            | "FillWindow" >> beam.Map(_fill, plan=AsSingleton(plan))
        )
        copies = hashed | "EmitCopies" >> beam.FlatMap(_emit_copies, plan=AsSingleton(plan), chosen=AsDict(chosen))
        table = (
            copies
            | "SampledSizes" >> beam.Map(lambda pair: (pair[0].source, (1, len(pair[0].tokens))))
            | "SampledPerSource" >> beam.CombinePerKey(sum_pairs)
            | "AllSampled" >> beam.combiners.ToDict()
            | "MixTable" >> beam.Map(_table, plan=AsSingleton(plan))
        )
        return {"copies": copies, "table": table}
