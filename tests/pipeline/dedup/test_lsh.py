import itertools
import random

import numpy as np
import pytest

from pipeline.config import NearDedupConfig
from pipeline.dedup.lsh import (ANCHORS, LshParams, band_keys, bucket_pairs, choose_bands_rows,
                                collision_probability, min_verified_estimate)
from pipeline.dedup.minhash import MinHasher
from pipeline.dedup.shingles import shingle_hashes

from .real_docs import replace_words, speeches


def test_default_threshold_gives_fourteen_bands_of_eight_rows():
    assert choose_bands_rows(0.8, 112) == (14, 8)
    assert LshParams.from_config(NearDedupConfig()) == LshParams(112, 14, 8, pytest.approx(0.7244, abs=1e-3))


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
@pytest.mark.parametrize("num_perm", [64, 112, 256])
def test_chosen_bands_reach_the_threshold_with_the_most_rows(threshold, num_perm):
    bands, rows = choose_bands_rows(threshold, num_perm)
    assert bands * rows <= num_perm
    assert collision_probability(threshold, bands, rows) >= 0.9
    more = rows + 1
    assert more > num_perm or collision_probability(threshold, num_perm // more, more) < 0.9


def test_configured_bands_and_rows_win():
    assert LshParams.from_config(NearDedupConfig(num_perm=128, bands=16, rows=8)).bands == 16


def test_verification_bound_sits_two_standard_errors_below_the_threshold():
    assert min_verified_estimate(0.8, 112) == pytest.approx(0.8 - 2 * (0.8 * 0.2 / 112) ** 0.5)


def test_band_keys_match_exactly_where_bands_are_equal():
    sig = np.arange(112, dtype=np.uint64)
    other = sig.copy()
    other[8 * 3 + 2] += 1  # change one row of band 3
    a, b = band_keys(sig, 14, 8), band_keys(other, 14, 8)
    assert [i for i, _ in a] == list(range(14))
    assert [x == y for x, y in zip(a, b)] == [i != 3 for i in range(14)]
    assert len({h for _, h in a}) == 14


def test_near_copies_share_a_band_and_unrelated_documents_do_not():
    hasher = MinHasher(112, seed=0)
    docs = speeches()[:30]
    keys = [set(band_keys(hasher.signature(shingle_hashes(d.text, 5)), 14, 8)) for d in docs]
    assert all(not (a & b) for a, b in itertools.combinations(keys, 2))
    copy = set(band_keys(hasher.signature(shingle_hashes(replace_words(docs[0].text, 0.01, 0), 5)), 14, 8))
    assert copy & keys[0]


def _members(n, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 1 << 32, 64, dtype=np.uint32)
    out = []
    for i in range(n):
        sig = base.copy()
        sig[: i % 40] = rng.integers(0, 1 << 32, i % 40, dtype=np.uint32)  # agreement 1 - (i % 40) / 64
        out.append((f"n{i:03d}", sig))
    return out


def test_bucket_pairs_compare_every_member_with_each_smaller_anchor():
    members = _members(10, seed=1)
    pairs = list(bucket_pairs(members, min_estimate=0.0))
    anchors = sorted(m[0] for m in members)[:ANCHORS]
    expected = {(m, a) for m, _ in members for a in anchors if a < m}
    assert {(m, a) for m, a, _ in pairs} == expected and len(pairs) == len(expected)
    assert all(accepted for *_, accepted in pairs)


def test_bucket_pairs_ignore_arrival_order_and_apply_the_verification():
    members = _members(30, seed=2)
    pairs = list(bucket_pairs(members, min_estimate=0.7))
    shuffled = members[:]
    random.Random(0).shuffle(shuffled)
    assert sorted(bucket_pairs(shuffled, 0.7)) == sorted(pairs)
    for node, anchor, accepted in pairs:
        sig, anchor_sig = dict(members)[node], dict(members)[anchor]
        assert accepted == (np.mean(sig == anchor_sig) >= 0.7)
    assert any(a for *_, a in pairs) and not all(a for *_, a in pairs)
