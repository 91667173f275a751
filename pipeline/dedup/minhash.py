"""MinHash signatures: permutations h(x) = (a*x + b) mod p with p = 2^61 - 1, computed exactly in
numpy uint64 (no wrap-around), the minimum over a document's shingle hashes per permutation.

Pr[two signatures agree in one position] = Jaccard similarity of the shingle sets (Broder 1997), so
the fraction of agreeing positions estimates it with standard error sqrt(J (1 - J) / num_perm).
"""
from __future__ import annotations

import numpy as np

from pipeline.hashing import stable_hash

MERSENNE_61 = (1 << 61) - 1
_P = np.uint64(MERSENNE_61)
_LOW31 = np.uint64((1 << 31) - 1)
_LOW30 = np.uint64((1 << 30) - 1)
_S30, _S31, _S61 = np.uint64(30), np.uint64(31), np.uint64(61)

# Shingles hashed per block; memory of one block is num_perm x CHUNK x 8 bytes per temporary (3.7 MB
# at 112 permutations), whatever the document's length.
CHUNK = 4096


def _fold61(x: np.ndarray) -> np.ndarray:
    """x mod p for any uint64 x (2^61 = 1 mod p)."""
    x = (x & _P) + (x >> _S61)
    return np.minimum(x, x - _P)  # unsigned: x - p wraps to a huge value when x < p


def permute(a1: np.ndarray, a0: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(a x + b) mod (2^61 - 1) element-wise (broadcasting) for a = a1 2^31 + a0 < 2^61, b < 2^61 and
    x < 2^61, exactly, in uint64.

    With x = x1 2^31 + x0: a x = a1 x1 2^62 + (a1 x0 + a0 x1) 2^31 + a0 x0, and mod p 2^62 = 2 while
    the middle term m 2^31, m = mh 2^30 + ml, becomes mh + ml 2^31. The sum of these parts and b stays
    below 2^61 + 2^32 + 2^61 + 2^62 + 2^61 < 2^64, so one fold and one conditional subtraction reduce it."""
    x1, x0 = x >> _S31, x & _LOW31
    mid = a1 * x0
    mid += a0 * x1
    total = a1 * x1
    total <<= np.uint64(1)
    total += mid >> _S30
    mid &= _LOW30
    mid <<= _S31
    total += mid
    total += a0 * x0
    total += b
    low = total & _P
    total >>= _S61
    low += total
    return np.minimum(low, low - _P, out=low)


class MinHasher:
    """num_perm permutations whose coefficients are a pure function of the seed."""

    def __init__(self, num_perm: int, seed: int):
        if num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, got {num_perm}")
        self.num_perm = num_perm
        self.a = np.array([1 + stable_hash(seed, "minhash_a", i) % (MERSENNE_61 - 1) for i in range(num_perm)],
                          dtype=np.uint64)[:, None]
        self.b = np.array([stable_hash(seed, "minhash_b", i) % MERSENNE_61 for i in range(num_perm)],
                          dtype=np.uint64)[:, None]
        self._a1, self._a0 = self.a >> _S31, self.a & _LOW31

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """uint64[num_perm] signature of a non-empty array of 64-bit shingle hashes."""
        assert hashes.size > 0, "a signature needs at least one shingle"
        x = _fold61(np.asarray(hashes, dtype=np.uint64))
        sig = np.full(self.num_perm, MERSENNE_61, dtype=np.uint64)
        for start in range(0, x.size, CHUNK):
            block = x[None, start : start + CHUNK]
            permuted = permute(self._a1, self._a0, self.b, block)
            np.minimum(sig, permuted.min(axis=1), out=sig)
        return sig


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    assert sig_a.shape == sig_b.shape
    return float(np.count_nonzero(sig_a == sig_b)) / sig_a.size


def compact_signature(sig: np.ndarray) -> bytes:
    """The low 32 bits of each position as bytes: what travels through the shuffle for verification.
    Agreement of two truncated values differs from agreement of the full ones with probability
    2^-32 per position, far below the estimator's own error."""
    return sig.astype("<u4").tobytes()


def from_compact(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4")
