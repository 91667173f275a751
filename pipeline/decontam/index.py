"""The evaluation n-gram index and the matcher (pure: no Beam, no torch).

`EvalIndex.build` turns evaluation examples into two parallel arrays sorted by key: `keys` (uint64 n-gram
keys, pipeline.decontam.ngrams) and `owners` (uint32: the example that holds the n-gram, numbered across
all sets), plus each example's set and id. A key that several examples share appears once per example.
Memory: 12 bytes per (n-gram, example) entry in the arrays plus a 2-byte-per-key bitmap prefilter, so
~14 MB per million eval n-grams (a Python set of the same keys takes ~45 MB, datatrove's dict of key ->
task ~56 MB: bench/bench_decontam.py), whatever the training corpus size.

An example of at least `ngram` words contributes its n-grams; one of `min_words` to `ngram - 1` words
contributes one key for its whole text; a shorter one ("the answer is 5") contributes nothing and is
counted as too short. `Matcher.find` looks up every window of a document of each length the index
holds: a bitmap of the keys' top bits rules out most windows, a binary search checks the rest.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from pipeline.decontam.ngrams import text_keys, window_keys, word_bytes, word_hashes

BITMAP_BITS_PER_KEY = 16  # the prefilter's size: ~6% of a clean document's windows get past it


@dataclass
class EvalSetStats:
    examples: int = 0  # records read from the set's files
    indexed: int = 0  # examples with at least min_words words
    too_short: int = 0
    ngrams: int = 0  # (n-gram, example) entries in the index


@dataclass
class EvalIndex:
    ngram: int
    keys: np.ndarray  # uint64, sorted
    owners: np.ndarray  # uint32, the example of each key
    lengths: tuple[int, ...]  # window lengths the keys were made from
    example_set: np.ndarray  # uint16: the set of each example
    example_ids: list[str]
    set_names: list[str]
    stats: dict[str, EvalSetStats] = field(default_factory=dict)

    @classmethod
    def build(cls, examples: Iterable[tuple[str, str, str]], set_names: list[str], ngram: int,
              min_words: int) -> "EvalIndex":
        """examples: (set name, example id, text), in a stable order."""
        set_number = {name: i for i, name in enumerate(set_names)}
        stats = {name: EvalSetStats() for name in set_names}
        key_parts, owner_parts, sets, ids, lengths = [], [], [], [], set()
        for set_name, example_id, text in examples:
            s = stats[set_name]
            s.examples += 1
            n_words = len(word_bytes(text))
            if n_words < min_words:
                s.too_short += 1
                continue
            keys = np.unique(text_keys(text, ngram))
            lengths.add(min(ngram, n_words))
            key_parts.append(keys)
            owner_parts.append(np.full(keys.size, len(ids), dtype=np.uint32))
            sets.append(set_number[set_name])
            ids.append(example_id)
            s.indexed += 1
            s.ngrams += keys.size
        keys = np.concatenate(key_parts + [np.empty(0, np.uint64)])
        owners = np.concatenate(owner_parts + [np.empty(0, np.uint32)])
        order = np.argsort(keys, kind="stable")
        return cls(ngram, keys[order], owners[order], tuple(sorted(lengths)), np.array(sets, dtype=np.uint16),
                   ids, list(set_names), stats)

    def __post_init__(self):
        # A bitmap of the keys' top bits, BITMAP_BITS_PER_KEY bits per key (a power of two, at least 2**16):
        # most windows of a clean document stop at one lookup in it, before any binary search.
        self.bitmap_shift = 64 - max(16, int(np.ceil(np.log2(max(1, self.keys.size) * BITMAP_BITS_PER_KEY))))
        slots = (self.keys >> np.uint64(self.bitmap_shift)).astype(np.int64)
        bitmap = np.zeros(1 << (64 - self.bitmap_shift), dtype=bool)
        bitmap[slots] = True
        self.bitmap = np.packbits(bitmap, bitorder="little")

    def maybe(self, keys: np.ndarray) -> np.ndarray:
        """Where `keys` may be in the index (no false negatives)."""
        slots = keys >> np.uint64(self.bitmap_shift)
        return (self.bitmap[slots >> np.uint64(3)] >> (slots & np.uint64(7)).astype(np.uint8)) & 1 == 1

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.owners.nbytes + self.example_set.nbytes + self.bitmap.nbytes


@dataclass(frozen=True)
class Hit:
    """An example found in a document: its number in the index and the document's word windows (start
    word, length) that matched its keys."""

    example: int
    windows: tuple[tuple[int, int], ...]


class Matcher:
    """Finds a document's evaluation examples. Built once per worker from an EvalIndex."""

    def __init__(self, index: EvalIndex):
        self.index = index

    def find(self, text: str) -> list[Hit]:
        """The examples whose n-grams (or whole short text) the document holds, by example number. A key
        several examples share goes to the one with the most matched keys in this document (then the
        lowest number), so shared boilerplate does not count as many examples found."""
        index = self.index
        if index.keys.size == 0:
            return []
        hashes = word_hashes(word_bytes(text))
        matched: list[tuple[int, int, int, int]] = []  # (start word, length, lo, hi) in the sorted keys
        for k, keys in window_keys(hashes, index.lengths).items():
            starts = np.flatnonzero(index.maybe(keys))
            if starts.size == 0:
                continue
            lo = np.searchsorted(index.keys, keys[starts])
            hi = np.searchsorted(index.keys, keys[starts], side="right")
            matched += [(int(s), k, int(a), int(b)) for s, a, b in zip(starts, lo, hi) if b > a]
        if not matched:
            return []
        votes = Counter(int(o) for _, _, lo, hi in matched for o in index.owners[lo:hi])
        windows: dict[int, list[tuple[int, int]]] = {}
        for start, k, lo, hi in matched:
            owner = min((int(o) for o in index.owners[lo:hi]), key=lambda o: (-votes[o], o))
            windows.setdefault(owner, []).append((start, k))
        return [Hit(e, tuple(sorted(w))) for e, w in sorted(windows.items())]

    def set_of(self, hit: Hit) -> str:
        return self.index.set_names[int(self.index.example_set[hit.example])]

    def example_id(self, hit: Hit) -> str:
        return self.index.example_ids[hit.example]
