"""The data mix as decisions: how many copies of each document, computed from counts, never from tokens.

All keyed by hash(seed, "mix", id) so retries, input order and worker counts agree (the scheme is in
mixers.selection, the arithmetic in mixers.plan):
1. the tokenize pass sends a sparse histogram of tokens over hash buckets per source and split; summed per
   source (1 MiB each), they give the single-element plan: every source's rate and its cut-off window
   (PlanMixFromHistograms, a small side input);
2. the documents inside each source's window, read from the token indexes and gathered per source, are
   filled token-exactly (ChooseInWindows);
3. the route pass gives each document `whole_repeats` copies, once more if its hash falls before the window
   or it was chosen inside it (copies_of), with copy indices 0..k-1 (the shard stage places copy k by
   hash(seed, id, k)), and counts what it sampled against the targets (CountSampledMix).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import apache_beam as beam
import numpy as np
from apache_beam.pvalue import AsSingleton

from mixers.plan import MixPlan, plan_mix
from mixers.selection import Window, copy_count, empty_histogram, fill_window, find_window
from mixers.table import SampledMix, format_sampled_mix, sampled_mix
from mixers.weights import MixStatement
from pipeline.accounting import sum_pairs
from pipeline.hashing import stable_hash
from pipeline.spill import SpillPaths, read_records

LOG = logging.getLogger("tokenmill")


def mix_hash(seed: int, doc_id: str) -> int:
    return stable_hash(seed, "mix", doc_id)


@dataclass(frozen=True)
class _StagePlan:
    mix: MixPlan
    windows: dict[str, Optional[Window]]


class _DenseHistogramFn(beam.CombineFn):
    """Sparse per-split histograms (bucket numbers, documents, tokens) -> one dense histogram per source
    (mixers.selection: 2 x 65,536 counts, 1 MiB, whatever the input)."""

    def create_accumulator(self):
        return empty_histogram()

    def add_input(self, hist, sparse):
        buckets, docs, tokens = sparse
        np.add.at(hist[0], buckets, docs)
        np.add.at(hist[1], buckets, tokens)
        return hist

    def merge_accumulators(self, hists):
        hists = iter(hists)
        total = next(hists)
        for h in hists:
            total += h
        return total

    def extract_output(self, hist):
        return hist


def _plan_stage(histograms, statement: MixStatement) -> _StagePlan:
    hists = dict(histograms)
    plan = plan_mix(
        statement,
        tokens={name: int(h[1].sum()) for name, h in hists.items()},
        documents={name: int(h[0].sum()) for name, h in hists.items()},
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


def _window_entries(number, spill: SpillPaths, plan: _StagePlan):
    """(source, (hash, id, tokens)) of the split's documents inside their source's window."""
    if not any(plan.windows.values()):
        return
    for doc_id, source, doc_hash, _, n in read_records(spill.token_index(number)):
        window = plan.windows[source]
        if window is not None and window.contains(doc_hash):
            yield source, (doc_hash, doc_id, n)


def _fill(source_entries, plan: _StagePlan):
    source, entries = source_entries
    window = plan.windows[source]
    return source, fill_window(entries, window.need, window.limit)


def copies_of(doc_hash: int, doc_id: str, source: str, plan: _StagePlan, chosen: dict) -> int:
    src = plan.mix.sources[source]
    return copy_count(doc_hash, doc_id, src.whole_repeats, plan.windows[source], chosen.get(source, frozenset()))


def _sampled_mix(sampled: dict, plan: _StagePlan) -> dict[str, SampledMix]:
    rows = sampled_mix(plan.mix, sampled)
    LOG.info("mix: realized versus target\n%s", format_sampled_mix(rows))
    return rows


class PlanMixFromHistograms(beam.PTransform):
    """Sparse histograms per (source) in; the mix plan (one _StagePlan) out. The statement comes checked from
    the config (pipeline.config.mix_statement)."""

    def __init__(self, statement: MixStatement):
        super().__init__()
        self.statement = statement

    def expand(self, histograms):
        return (histograms
                | "HistogramPerSource" >> beam.CombinePerKey(_DenseHistogramFn())
                | "AllHistograms" >> beam.combiners.ToList()
                | "PlanMix" >> beam.Map(_plan_stage, self.statement))


class ChooseInWindows(beam.PTransform):
    """Split numbers (once their token index is written) in; {source: ids taken once more} as a PCollection
    of (source, frozenset) for an AsDict side input. One worker per source holds its window (WINDOW_DOCS +
    ~documents/2^16 small tuples)."""

    def __init__(self, spill: SpillPaths, plan):
        super().__init__()
        self.spill, self.plan = spill, plan

    def expand(self, numbers):
        plan = AsSingleton(self.plan)
        return (numbers
                | "WindowDocs" >> beam.FlatMap(_window_entries, spill=self.spill, plan=plan)
                | "GroupWindow" >> beam.GroupByKey()
                | "FillWindow" >> beam.Map(_fill, plan=plan))


class CountSampledMix(beam.PTransform):
    """(source, (copies, tokens)) per split in; one {source: SampledMix} out: what the mix wrote per source
    against its targets."""

    def __init__(self, plan):
        super().__init__()
        self.plan = plan

    def expand(self, sampled):
        return (sampled
                | "SampledPerSource" >> beam.CombinePerKey(sum_pairs)
                | "AllSampled" >> beam.combiners.ToDict()
                | "MixTable" >> beam.Map(_sampled_mix, plan=AsSingleton(self.plan)))
