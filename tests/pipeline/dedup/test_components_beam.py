"""ConnectedComponents on the in-process Beam runner, against a reference union-find."""
import random

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.util import assert_that, equal_to

from pipeline.transforms.components import ConnectedComponents

from .test_components import chain, union_find_labels


def _counter(result, name):
    return sum(m.committed for m in result.metrics().query(MetricsFilter().with_name(name))["counters"])


def _graphs():
    rng = random.Random(7)
    parts = [
        chain(64),                                              # chain in order
        chain(40, list(range(39, -1, -1))),                     # chain in reverse order
        chain(50, rng.sample(range(50), 50)),                   # chain in random order
        [(0, i) for i in range(1, 30)],                         # star around the minimum
        [(29, i) for i in range(29)],                           # star around the maximum
        chain(25) + [(24, 0)],                                  # cycle
        [(rng.randrange(80), rng.randrange(80)) for _ in range(90)],  # random graph
    ]
    edges = []
    for k, part in enumerate(parts):  # disjoint node ranges, one graph
        edges += [(1000 * k + a, 1000 * k + b) for a, b in part]
    return edges


def test_components_match_union_find_on_chains_stars_cycles_and_random_graphs(beam_pipeline):
    edges = _graphs()
    expected = union_find_labels([e for e in edges if e[0] != e[1]])
    p = beam_pipeline()
    labels = p | beam.Create(edges) | ConnectedComponents(max_rounds=12)
    assert_that(labels, equal_to(sorted(expected.items())))
    result = p.run()
    result.wait_until_finish()
    assert 0 < _counter(result, "round00_unsettled_nodes")
    assert _counter(result, "round11_unsettled_nodes") == 0


def test_rounds_after_convergence_receive_no_edges(beam_pipeline):
    stars = [(0, i) for i in range(1, 20)] + [(100, 150), (100, 120)]
    p = beam_pipeline()
    labels = p | beam.Create(stars) | ConnectedComponents(max_rounds=6)
    assert_that(labels, equal_to([(i, 0) for i in range(20)] + [(100, 100), (120, 100), (150, 100)]))
    result = p.run()
    result.wait_until_finish()
    assert _counter(result, "edges_into_later_rounds") == 0


def test_tuple_node_keys(beam_pipeline):
    edges = [(("b", "s", 2), ("a", "s", 1)), (("c", "s", 3), ("b", "s", 2)), (("x", "t", 0), ("y", "t", 0))]
    with beam_pipeline() as p:
        labels = p | beam.Create(edges) | ConnectedComponents(max_rounds=4)
        a, x = ("a", "s", 1), ("x", "t", 0)
        assert_that(labels, equal_to([(a, a), (("b", "s", 2), a), (("c", "s", 3), a), (x, x), (("y", "t", 0), x)]))


def test_not_converging_within_max_rounds_fails_the_pipeline(beam_pipeline):
    with pytest.raises(Exception, match="did not converge within max_rounds=2"):
        with beam_pipeline() as p:
            _ = p | beam.Create(chain(300)) | ConnectedComponents(max_rounds=2)


def test_max_rounds_must_be_positive():
    with pytest.raises(ValueError, match="max_rounds"):
        ConnectedComponents(0)
