"""Locality-sensitive hashing over MinHash signatures: bands x rows, band keys, and the verification
of candidate pairs that share a band.

Two documents with Jaccard similarity s share at least one band with probability
1 - (1 - s^rows)^bands (the S-curve of Leskovec, Rajaraman & Ullman, Mining of Massive Datasets 3.4).
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import xxhash

from pipeline.dedup.minhash import estimated_jaccard

# When bands and rows are not configured: the most rows (fewest chance collisions) that still make a
# pair exactly at the threshold collide with at least this probability. False candidates cost only
# a verification; a missed pair is lost for good.
MIN_COLLISION_AT_THRESHOLD = 0.9
# A candidate pair becomes an edge unless its estimated Jaccard lies more than this many standard
# errors below the threshold: it removes chance band collisions without losing true pairs near it.
VERIFY_Z = 2.0
# Members of a band bucket that every other member is verified against (the smallest node keys).
# Bounds the work of a bucket to ANCHORS x size comparisons and its memory to ANCHORS signatures.
ANCHORS = 4


def collision_probability(similarity: float, bands: int, rows: int) -> float:
    return 1.0 - (1.0 - similarity**rows) ** bands


def choose_bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) with bands x rows <= num_perm: the largest `rows` whose S-curve still reaches
    MIN_COLLISION_AT_THRESHOLD at the threshold (14 x 8 for threshold 0.8 and 112 permutations)."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if collision_probability(threshold, bands, rows) >= MIN_COLLISION_AT_THRESHOLD:
            best = (bands, rows)
    return best


def min_verified_estimate(threshold: float, num_perm: int) -> float:
    """The smallest estimated Jaccard accepted as an edge: the threshold minus VERIFY_Z standard
    errors of the estimator at the threshold (0.724 for 0.8 and 112 permutations)."""
    return threshold - VERIFY_Z * math.sqrt(threshold * (1.0 - threshold) / num_perm)


@dataclass(frozen=True)
class LshParams:
    num_perm: int
    bands: int
    rows: int
    min_estimate: float

    @classmethod
    def from_config(cls, cfg) -> "LshParams":
        """From a NearDedupConfig: its bands and rows when set, else chosen for its threshold."""
        if cfg.bands is not None:
            bands, rows = cfg.bands, cfg.rows
        else:
            bands, rows = choose_bands_rows(cfg.threshold, cfg.num_perm)
        if bands * rows > cfg.num_perm:
            raise ValueError(f"bands x rows ({bands * rows}) exceeds num_perm ({cfg.num_perm})")
        return cls(cfg.num_perm, bands, rows, min_verified_estimate(cfg.threshold, cfg.num_perm))


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[tuple[int, int]]:
    """One (band index, 64-bit hash of the band's rows) per band; equal keys mean equal bands."""
    assert sig.size >= bands * rows
    return [(i, xxhash.xxh3_64_intdigest(sig[i * rows : (i + 1) * rows].tobytes())) for i in range(bands)]


def bucket_pairs(members: Iterable[tuple], min_estimate: float) -> Iterator[tuple[object, object, bool]]:
    """Candidate pairs of one band bucket: each member against each smaller anchor (the ANCHORS
    smallest node keys), as (node, anchor, accepted) with accepted = estimated Jaccard >= min_estimate.

    `members` is a re-iterable of (node, signature) read twice and never copied, so a bucket of any
    size needs memory for ANCHORS signatures only. Anchors are chosen by key, not arrival order, so
    retries give the same pairs."""
    anchors = heapq.nsmallest(ANCHORS, members, key=lambda m: m[0])
    for node, sig in members:
        for anchor, anchor_sig in anchors:
            if anchor >= node:
                break
            yield node, anchor, estimated_jaccard(sig, anchor_sig) >= min_estimate
