"""ConnectedComponents: (a, b) edges -> (node, label) for every node on an edge, the label being the
smallest node of its connected component, computed by large-star / small-star rounds in Beam
(pipeline.dedup.components) so that no worker holds the graph.

Beam has no data-dependent loop, so `max_rounds` rounds are unrolled in the graph. Each round's
large-star step counts the nodes not yet in a star; when a round counted none, its input (hence its
output) was already a forest of stars, and every later round forwards its edges to the result and
runs on empty input. If the last round's output is still not a star forest, the pipeline fails with
an error naming max_rounds.

Memory: every step groups edges by node; a worker holds one node's neighbours at a time, read twice
and never copied (paged by runners such as Dataflow), so a hub node costs no more than a leaf. The
convergence signal is one small count per bundle, read as a side input.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.dedup.components import canonical_edge, is_settled, large_star, small_star, star_labels

EDGES, DONE, UNSETTLED = "edges", "done", "unsettled"


def _both_directions(edge):
    hi, lo = edge
    yield hi, lo
    yield lo, hi


def _canonical(edge):
    c = canonical_edge(*edge)
    return [] if c is None else [c]


class _CountUnsettledPerBundle(beam.DoFn):
    """Base for steps that report how many nodes are not yet settled: one count per bundle (never
    per node), emitted on the UNSETTLED output when it is not zero."""

    def __init__(self, counter_name: str):
        self.counter_name = counter_name

    def setup(self):
        self.counter = Metrics.counter("components", self.counter_name)

    def start_bundle(self):
        self.unsettled = 0

    def note(self, settled: bool):
        if not settled:
            self.unsettled += 1
            self.counter.inc()

    def finish_bundle(self):
        if self.unsettled:
            yield beam.pvalue.TaggedOutput(UNSETTLED, WindowedValue(self.unsettled, MIN_TIMESTAMP, [GlobalWindow()]))


class _LargeStarFn(_CountUnsettledPerBundle):
    def process(self, element):
        node, neighbours = element
        settled, edges = large_star(node, neighbours)
        self.note(settled)
        yield from edges


class _CheckSettledFn(_CountUnsettledPerBundle):
    def process(self, element):
        self.note(is_settled(*element))
        return []


class _ForwardUnlessConverged(beam.DoFn):
    """Edges go on to the next round, or to DONE when the previous round counted no unsettled node."""

    def setup(self):
        self.forwarded = Metrics.counter("components", "edges_into_later_rounds")

    def process(self, edge, unsettled_counts):
        if any(unsettled_counts):
            self.forwarded.inc()
            yield edge
        else:
            yield beam.pvalue.TaggedOutput(DONE, edge)


class _StarRound(beam.PTransform):
    """One large-star then one small-star step: {EDGES: edges out, UNSETTLED: per-bundle counts of the
    unsettled nodes of the input}."""

    def __init__(self, round_index: int):
        super().__init__()
        self.round_index = round_index

    def expand(self, edges):
        large = (
            edges
            | "BothDirections" >> beam.FlatMap(_both_directions)
            | "GroupByNode" >> beam.GroupByKey()
            | "LargeStar" >> beam.ParDo(_LargeStarFn(f"round{self.round_index:02d}_unsettled_nodes"))
            .with_outputs(UNSETTLED, main=EDGES)
        )
        out = large[EDGES] | "GroupByLargerNode" >> beam.GroupByKey() | "SmallStar" >> beam.FlatMapTuple(small_star)
        return {EDGES: out, UNSETTLED: large[UNSETTLED]}


def _fail_if_unsettled(unsettled: int, max_rounds: int):
    raise RuntimeError(
        f"connected components did not converge within max_rounds={max_rounds} rounds "
        f"({unsettled} or more nodes not yet in a star); raise dedup.near.max_rounds")


class ConnectedComponents(beam.PTransform):
    def __init__(self, max_rounds: int):
        super().__init__()
        if max_rounds < 1:
            raise ValueError(f"max_rounds must be at least 1, got {max_rounds}")
        self.max_rounds = max_rounds

    def expand(self, edges):
        edges = edges | "Canonical" >> beam.FlatMap(_canonical) | "DistinctEdges" >> beam.Distinct()
        done = []
        for r in range(self.max_rounds):
            if r > 0:
                routed = edges | f"Gate{r:02d}" >> beam.ParDo(
                    _ForwardUnlessConverged(), beam.pvalue.AsIter(unsettled)).with_outputs(DONE, main=EDGES)
                edges = routed[EDGES]
                done.append(routed[DONE])
            result = edges | f"Round{r:02d}" >> _StarRound(r)
            edges, unsettled = result[EDGES], result[UNSETTLED]
        # The last round's output, when not empty, must already be a star forest.
        _ = (
            edges
            | "CheckBothDirections" >> beam.FlatMap(_both_directions)
            | "CheckGroupByNode" >> beam.GroupByKey()
            | "CheckSettled" >> beam.ParDo(_CheckSettledFn("unsettled_after_last_round")).with_outputs(UNSETTLED)
        )[UNSETTLED] | "FailIfNotConverged" >> beam.Map(_fail_if_unsettled, self.max_rounds)
        return (
            (*done, edges)
            | "StarEdges" >> beam.Flatten()
            | "NodeLabels" >> beam.FlatMap(star_labels)
            | "OneLabelPerNode" >> beam.CombinePerKey(min)
        )
