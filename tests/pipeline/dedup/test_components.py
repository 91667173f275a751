"""The star rounds (pure) against a reference union-find."""
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup.components import (canonical_edge, components_in_memory, is_settled, large_star, small_star,
                                        star_labels)


def union_find_labels(edges):
    """Reference: {node: smallest node of its component} for every node on an edge."""
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}


def chain(n, order=None):
    order = order or list(range(n))
    return [(order[i], order[i + 1]) for i in range(n - 1)]


def test_canonical_edge():
    assert canonical_edge(1, 5) == canonical_edge(5, 1) == (5, 1)
    assert canonical_edge(3, 3) is None


def test_large_star_links_larger_neighbours_to_the_neighbourhood_minimum():
    settled, edges = large_star(5, [7, 2, 9, 4])
    assert sorted(edges) == [(7, 2), (9, 2)] and not settled
    settled, edges = large_star(1, [7, 2, 9])
    assert sorted(edges) == [(2, 1), (7, 1), (9, 1)] and settled


def test_small_star_links_the_node_and_its_smaller_neighbours_to_their_minimum():
    assert sorted(small_star(9, [4, 2, 7])) == [(4, 2), (7, 2), (9, 2)]
    assert list(small_star(3, [])) == []


def test_settled_means_star_centre_or_leaf():
    assert is_settled(1, [5, 6, 7])      # centre
    assert is_settled(5, [1, 1])         # leaf, a duplicated edge
    assert not is_settled(5, [1, 2])     # two smaller neighbours
    assert not is_settled(5, [1, 8])     # a leaf with a larger neighbour


def test_star_labels():
    assert list(star_labels((9, 2))) == [(9, 2), (2, 2)]


@pytest.mark.parametrize("edges", [
    chain(50),
    chain(50, list(range(49, -1, -1))),
    chain(60, random.Random(1).sample(range(60), 60)),
    [(0, i) for i in range(1, 40)],                       # star around the minimum
    [(39, i) for i in range(39)],                         # star around the maximum
    chain(30) + [(29, 0)],                                # cycle
    chain(10) + [(a + 100, b + 100) for a, b in chain(20)] + [(500, 501)],  # several components
    [(1, 2), (2, 1), (1, 2), (3, 3)],                     # duplicates and a self-loop
])
def test_rounds_match_union_find_on_chains_stars_and_cycles(edges):
    labels, rounds = components_in_memory(edges)
    assert labels == {n: l for n, l in union_find_labels(edges).items() if any(n in e for e in edges if e[0] != e[1])}
    assert rounds <= 16


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=120))
def test_rounds_match_union_find_on_random_graphs(edges):
    labels, _ = components_in_memory(edges)
    expected = union_find_labels([e for e in edges if e[0] != e[1]])
    assert labels == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.text("abc", max_size=3), st.text("abc", max_size=3)), max_size=40))
def test_rounds_work_on_any_ordered_node_keys(edges):
    labels, _ = components_in_memory(edges)
    assert labels == union_find_labels([e for e in edges if e[0] != e[1]])


def test_long_chain_converges_in_logarithmic_rounds():
    _, rounds = components_in_memory(chain(4096))
    assert rounds <= 14


def test_not_converging_within_max_rounds_is_an_error():
    with pytest.raises(RuntimeError, match="did not converge within 2 rounds"):
        components_in_memory(chain(200), max_rounds=2)
