import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup.minhash import (MERSENNE_61, MinHasher, compact_signature, estimated_jaccard, from_compact,
                                    permute)
from pipeline.dedup.shingles import jaccard, shingle_hashes, word_shingles

from .real_docs import replace_words, speeches

_LOW31 = np.uint64((1 << 31) - 1)
below_p = st.integers(0, MERSENNE_61 - 1)


@settings(max_examples=300, deadline=None)
@given(a=st.integers(1, MERSENNE_61 - 1), b=below_p, x=below_p)
def test_permutation_is_exact_modular_arithmetic(a, b, x):
    arr = lambda v: np.array([v], dtype=np.uint64)
    got = permute(arr(a) >> np.uint64(31), arr(a) & _LOW31, arr(b), arr(x))
    assert int(got[0]) == (a * x + b) % MERSENNE_61


def test_permutation_extremes():
    p = MERSENNE_61
    for a, b, x in [(p - 1, p - 1, p - 1), (1, 0, 0), (p - 1, 0, 1), (1, p - 1, p - 1)]:
        arr = lambda v: np.array([v], dtype=np.uint64)
        assert int(permute(arr(a) >> np.uint64(31), arr(a) & _LOW31, arr(b), arr(x))[0]) == (a * x + b) % p


def test_signature_is_the_minimum_of_each_permutation():
    hasher = MinHasher(16, seed=3)
    hashes = np.array([5, (1 << 64) - 1, 123456789123456789], dtype=np.uint64)
    expected = [min((int(a) * (int(h) % MERSENNE_61) + int(b)) % MERSENNE_61 for h in hashes)
                for a, b in zip(hasher.a[:, 0], hasher.b[:, 0])]
    assert hasher.signature(hashes).tolist() == expected


def test_signature_depends_on_the_seed_only_and_spans_chunks():
    hashes = shingle_hashes(max(speeches(), key=lambda d: len(d.text)).text, 5)
    assert hashes.size > 4096  # more than one chunk
    assert np.array_equal(MinHasher(64, 1).signature(hashes), MinHasher(64, 1).signature(hashes[::-1].copy()))
    assert not np.array_equal(MinHasher(64, 1).signature(hashes), MinHasher(64, 2).signature(hashes))


def test_estimated_jaccard_is_within_the_expected_error_of_the_true_jaccard():
    """Binomial standard error sqrt(J (1 - J) / num_perm): every estimate within 4 of them, the
    average squared error near 1 of them, and no bias."""
    num_perm, hasher = 128, MinHasher(128, seed=11)
    z_scores = []
    for i, doc in enumerate(speeches()[:24]):
        text = " ".join(doc.text.split()[:1500])
        sig = hasher.signature(shingle_hashes(text, 5))
        for fraction in (0.01, 0.03, 0.08, 0.2):
            edited = replace_words(text, fraction, seed=i)
            true = jaccard(word_shingles(text, 5), word_shingles(edited, 5))
            est = estimated_jaccard(sig, hasher.signature(shingle_hashes(edited, 5)))
            se = math.sqrt(max(true * (1 - true), 0.01) / num_perm)
            z_scores.append((est - true) / se)
    z = np.array(z_scores)
    assert np.all(np.abs(z) < 4), z
    assert 0.4 < np.mean(z**2) < 1.8
    assert abs(np.mean(z)) < 3 / math.sqrt(len(z))


def test_identical_sets_agree_everywhere_and_disjoint_ones_almost_nowhere():
    hasher = MinHasher(128, seed=0)
    a, b = speeches()[1].text, speeches()[2].text
    sig_a = hasher.signature(shingle_hashes(a, 5))
    assert estimated_jaccard(sig_a, hasher.signature(shingle_hashes(a.upper(), 5))) == 1.0
    assert estimated_jaccard(sig_a, hasher.signature(shingle_hashes(b, 5))) < 0.05


def test_compact_signature_round_trip_keeps_agreement():
    hasher = MinHasher(112, seed=5)
    text = speeches()[3].text
    sig_a = hasher.signature(shingle_hashes(text, 5))
    sig_b = hasher.signature(shingle_hashes(replace_words(text, 0.05, 1), 5))
    compact_a, compact_b = from_compact(compact_signature(sig_a)), from_compact(compact_signature(sig_b))
    assert len(compact_signature(sig_a)) == 4 * 112
    assert estimated_jaccard(compact_a, compact_b) == estimated_jaccard(sig_a, sig_b)
