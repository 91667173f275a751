"""Token-exact choice of which documents a source repeats once more, without gathering the source.

A source with plan rate = whole_repeats + extra_tokens/tokens gives every document `whole_repeats`
copies, plus one more to a set of documents holding (as nearly as documents allow) `extra_tokens`
tokens. Documents are ranked by a hash of (seed, id) (a uniform, order-free random permutation); the
set is "everything ranked before a cut-off, plus a hand-picked few around it":

1. A histogram of tokens and documents over 2^16 hash buckets (the top 16 bits of the hash) is summed
   across workers: fixed memory, 1 MiB per source, whatever the data size.
2. From it, the boundary bucket where the cumulative tokens reach `extra_tokens`, and a window of
   buckets around it holding at least WINDOW_DOCS documents on each side (`find_window`). Every
   document in a bucket before the window is taken.
3. The window's documents (hash, id, token count only) are gathered on one worker per source and
   filled greedily in hash order up to the remaining need (`fill_window`); the residual is then below
   the smallest document passed over, often 0. Memory there grows with WINDOW_DOCS plus the
   documents in two buckets (about documents / 2^16): ~15k entries per billion documents.

The choice is a pure function of the set of (hash, id, tokens), so retries, input order and worker
counts cannot change it. Ids are unique within a source (pipeline.ids), so an id names one document.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

BUCKET_BITS = 16
NUM_BUCKETS = 1 << BUCKET_BITS
WINDOW_DOCS = 256


def bucket_of(doc_hash: int) -> int:
    """The hash bucket of a 64-bit hash: its top BUCKET_BITS bits, so buckets follow hash order."""
    return doc_hash >> (64 - BUCKET_BITS)


def empty_histogram() -> np.ndarray:
    """Row 0: documents per bucket; row 1: tokens per bucket."""
    return np.zeros((2, NUM_BUCKETS), dtype=np.int64)


def add_to_histogram(hist: np.ndarray, doc_hash: int, num_tokens: int) -> None:
    b = bucket_of(doc_hash)
    hist[0, b] += 1
    hist[1, b] += num_tokens


@dataclass(frozen=True)
class Window:
    lo: int  # first bucket of the window; every document in a bucket below it is taken
    hi: int  # one past the window's last bucket
    need: int  # tokens to take from inside the window
    limit: Optional[int]  # never more than this from inside the window (the max_repeats cap)

    def contains(self, doc_hash: int) -> bool:
        return self.lo <= bucket_of(doc_hash) < self.hi


def find_window(hist: np.ndarray, extra_tokens: int, extra_limit: Optional[int] = None,
                window_docs: int = WINDOW_DOCS) -> Optional[Window]:
    """Where the cut-off for `extra_tokens` falls; None when nothing is to be taken.
    `extra_limit`: the most extra tokens the source's cap allows (None: no cap)."""
    if extra_tokens <= 0:
        return None
    docs_before = np.concatenate([[0], np.cumsum(hist[0])])  # [b] = documents in buckets < b
    tokens_before = np.concatenate([[0], np.cumsum(hist[1])])
    assert extra_tokens < tokens_before[-1], "extra tokens must be fewer than the source holds"
    boundary = int(np.searchsorted(tokens_before, extra_tokens, side="left")) - 1
    lo = max(0, int(np.searchsorted(docs_before, docs_before[boundary] - window_docs, side="right")) - 1)
    hi = min(NUM_BUCKETS, int(np.searchsorted(docs_before, docs_before[boundary + 1] + window_docs, side="left")))
    taken = int(tokens_before[lo])
    assert 0 <= taken < extra_tokens and lo <= boundary < hi
    limit = None if extra_limit is None else extra_limit - taken
    assert limit is None or limit >= extra_tokens - taken
    return Window(lo, hi, extra_tokens - taken, limit)


def fill_window(entries: Iterable[tuple[int, str, int]], need: int, limit: Optional[int] = None) -> frozenset[str]:
    """Ids of window documents (hash, id, tokens) to take once more: greedily in hash order while they
    fit in `need`, then the smallest one passed over if overshooting with it misses by less."""
    chosen, passed_over, total = [], [], 0
    for _, doc_id, n in sorted(entries):
        if total + n <= need:
            chosen.append(doc_id)
            total += n
        else:
            passed_over.append((n, doc_id))
    residual = need - total
    if residual > 0 and passed_over:
        n, doc_id = min(passed_over)
        if n - residual < residual and (limit is None or total + n <= limit):
            chosen.append(doc_id)
    return frozenset(chosen)


def copy_count(doc_hash: int, doc_id: str, whole_repeats: int, window: Optional[Window], chosen: frozenset[str]) -> int:
    if window is None:
        return whole_repeats
    b = bucket_of(doc_hash)
    once_more = b < window.lo or (b < window.hi and doc_id in chosen)
    return whole_repeats + int(once_more)


def select_copies(docs: Iterable[tuple[int, str, int]], whole_repeats: int, extra_tokens: int,
                  extra_limit: Optional[int] = None, window_docs: int = WINDOW_DOCS) -> dict[str, int]:
    """The whole scheme on one machine, for tests and small inputs: (hash, id, tokens) -> copies per id."""
    docs = list(docs)
    hist = empty_histogram()
    for h, _, n in docs:
        add_to_histogram(hist, h, n)
    window = find_window(hist, extra_tokens, extra_limit, window_docs)
    chosen = fill_window([d for d in docs if window.contains(d[0])], window.need, window.limit) if window else frozenset()
    return {doc_id: copy_count(h, doc_id, whole_repeats, window, chosen) for h, doc_id, _ in docs}
