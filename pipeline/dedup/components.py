"""Connected components by alternating large-star and small-star rounds (Kiveris et al., "Connected
Components in MapReduce and Beyond", SoCC 2014), as per-node functions a distributed runner applies
after grouping edges by node. Nodes are any totally ordered keys; each component ends up as a star
around its smallest node, which is its label. The rounds converge in O(log^2 n) of them.

Edges are tuples (hi, lo) with hi > lo. Every function reads a node's neighbours as a re-iterable
twice and never copies it, so a node of any degree needs constant memory where the runner pages
grouped values (on runners that materialize groups, memory grows with the largest degree).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Hashable, Iterable, Iterator

Edge = tuple  # (hi, lo), hi > lo


def canonical_edge(a, b):
    """(max, min) of an edge, or None for a self-loop."""
    if a == b:
        return None
    return (a, b) if a > b else (b, a)


def _scan(node, neighbours: Iterable):
    """(smallest of node and neighbours, has a larger neighbour, has two distinct smaller ones)."""
    smallest, first_smaller, two_smaller, has_larger = node, None, False, False
    for v in neighbours:
        if v > node:
            has_larger = True
        elif v < node:
            if first_smaller is None:
                first_smaller = v
            elif v != first_smaller:
                two_smaller = True
            if v < smallest:
                smallest = v
    return smallest, has_larger, two_smaller


def _settled(node, smallest, has_larger: bool, two_smaller: bool) -> bool:
    return not two_smaller and not (smallest < node and has_larger)


def is_settled(node, neighbours: Iterable) -> bool:
    """True when this node already looks like part of a star around its component's minimum: a centre
    (no smaller neighbour) or a leaf (exactly one smaller neighbour and no larger one). When every
    node is settled, the graph is a forest of stars and the rounds have converged."""
    return _settled(node, *_scan(node, neighbours))


def large_star(node, neighbours: Iterable) -> tuple[bool, Iterator[Edge]]:
    """All neighbours of `node` (both directions). Links every larger neighbour to the smallest node of
    the closed neighbourhood. Returns (node is settled, edges to emit)."""
    smallest, has_larger, two_smaller = _scan(node, neighbours)
    return _settled(node, smallest, has_larger, two_smaller), ((v, smallest) for v in neighbours if v > node)


def small_star(node, smaller: Iterable) -> Iterator[Edge]:
    """The smaller neighbours of `node`. Links them and the node itself to the smallest of them."""
    smallest = min(smaller, default=node)
    if smallest == node:
        return
    yield node, smallest
    for v in smaller:
        if v != smallest:
            yield v, smallest


def star_labels(edge: Edge) -> Iterator[tuple[Hashable, Hashable]]:
    """(node, label) pairs from one edge of a converged star forest: the leaf takes the centre as its
    label and the centre labels itself. A node gets the same label from each of its edges."""
    hi, lo = edge
    yield hi, lo
    yield lo, lo


def components_in_memory(edges: Iterable[tuple], max_rounds: int = 64) -> tuple[dict, int]:
    """The same rounds run on one machine (tests and small inputs): ({node: label}, rounds used).
    Raises RuntimeError when the graph is not a star forest after max_rounds rounds."""
    current = [e for e in (canonical_edge(a, b) for a, b in edges) if e is not None]
    for rounds in range(max_rounds + 1):
        both = defaultdict(list)
        for hi, lo in current:
            both[hi].append(lo)
            both[lo].append(hi)
        outputs = [large_star(node, nbrs) for node, nbrs in both.items()]
        if all(settled for settled, _ in outputs):
            return {node: label for edge in current for node, label in star_labels(edge)}, rounds
        if rounds == max_rounds:
            break
        smaller = defaultdict(list)
        for _, emitted in outputs:
            for hi, lo in emitted:
                smaller[hi].append(lo)
        current = [e for node, lows in smaller.items() for e in small_star(node, lows)]
    raise RuntimeError(f"connected components did not converge within {max_rounds} rounds")
