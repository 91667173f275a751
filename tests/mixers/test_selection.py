import random

import numpy as np
from hypothesis import given, settings, strategies as st

from mixers.selection import (
    NUM_BUCKETS, add_to_histogram, bucket_of, empty_histogram, fill_window, find_window, select_copies,
)


@st.composite
def sources(draw, max_tokens=2000):
    """(hash, id, tokens) per document and an extra-token target below the source's size. Sizes come
    from hypothesis; hashes from a drawn seed (drawing hundreds of 64-bit ints is slow)."""
    sizes = draw(st.lists(st.integers(1, max_tokens), min_size=1, max_size=300))
    rng = random.Random(draw(st.integers(0, 2**32)))
    docs = [(rng.getrandbits(64), f"doc{i}", size) for i, size in enumerate(sizes)]
    total = sum(sizes)
    extra = draw(st.integers(0, total - 1))
    return docs, extra


def taken_tokens(docs, copies, whole):
    return sum(n for _, doc_id, n in docs if copies[doc_id] == whole + 1)


@settings(max_examples=200)
@given(sources(), st.integers(0, 3), st.sampled_from([1, 4, 256]))
def test_selection_takes_the_extra_tokens_to_within_half_a_document(src, whole, window_docs):
    docs, extra = src
    copies = select_copies(docs, whole, extra, window_docs=window_docs)
    assert set(copies.values()) <= {whole, whole + 1}
    taken = taken_tokens(docs, copies, whole)
    assert abs(taken - extra) <= max(n for _, _, n in docs) / 2


@given(sources(max_tokens=10))
def test_selection_is_nearly_exact_when_documents_are_small(src):
    docs, extra = src
    taken = taken_tokens(docs, select_copies(docs, 0, extra, window_docs=8), 0)
    assert abs(taken - extra) <= 5


@given(sources(), st.data())
def test_selection_never_exceeds_the_cap(src, data):
    docs, extra = src
    limit = data.draw(st.integers(extra, extra + 50))
    taken = taken_tokens(docs, select_copies(docs, 1, extra, extra_limit=limit, window_docs=4), 1)
    assert taken <= limit


@given(sources(), st.randoms(use_true_random=False))
def test_selection_does_not_depend_on_input_order(src, rnd):
    docs, extra = src
    shuffled = list(docs)
    rnd.shuffle(shuffled)
    assert select_copies(docs, 1, extra, window_docs=4) == select_copies(shuffled, 1, extra, window_docs=4)


def test_documents_before_the_window_are_all_taken_and_after_it_none():
    rng = random.Random(0)
    docs = [(rng.getrandbits(64), f"d{i}", 10) for i in range(20_000)]
    copies = select_copies(docs, 0, 100_000, window_docs=16)
    taken = sorted(h for h, doc_id, _ in docs if copies[doc_id])
    assert sum(copies.values()) * 10 == 100_000
    # Hash order: the taken documents are a prefix up to a narrow window around the cut-off.
    last_taken = max(bucket_of(h) for h in taken)
    first_left = min(bucket_of(h) for h, doc_id, _ in docs if not copies[doc_id])
    assert last_taken - first_left < NUM_BUCKETS // 100


def test_window_holds_enough_documents_on_each_side():
    rng = random.Random(1)
    hist = empty_histogram()
    hashes = [rng.getrandbits(64) for _ in range(5000)]
    for h in hashes:
        add_to_histogram(hist, h, 7)
    w = find_window(hist, 7 * 2500 + 3, window_docs=100)
    inside = [h for h in hashes if w.contains(h)]
    before = sum(1 for h in hashes if bucket_of(h) < w.lo)
    assert len(inside) >= 200
    assert 7 * before + w.need == 7 * 2500 + 3
    assert sum(hist[1][w.lo:w.hi]) >= w.need


def test_no_extra_tokens_means_no_window():
    assert find_window(empty_histogram(), 0) is None


def test_fill_window_prefers_a_small_overshoot_to_a_large_undershoot():
    entries = [(1, "a", 50), (2, "b", 60), (3, "c", 12)]
    # Greedy takes a (50) and passes over b and c; adding c (62) then misses by less, unless capped.
    assert fill_window(entries, 55) == frozenset({"a"})  # 50 misses by 5, 62 by 7
    assert fill_window(entries, 57) == frozenset({"a", "c"})  # 50 misses by 7, 62 by 5
    assert fill_window(entries, 57, limit=61) == frozenset({"a"})
    assert fill_window(entries, 122) == frozenset({"a", "b", "c"})


def test_histogram_counts_documents_and_tokens_per_bucket():
    hist = empty_histogram()
    add_to_histogram(hist, 0, 5)
    add_to_histogram(hist, 2**64 - 1, 7)
    add_to_histogram(hist, 1, 1)
    assert hist[0, 0] == 2 and hist[1, 0] == 6
    assert hist[0, NUM_BUCKETS - 1] == 1 and hist[1, NUM_BUCKETS - 1] == 7
    assert int(np.sum(hist)) == 3 + 13
