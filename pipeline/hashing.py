"""Stable hashes behind every random choice: a pure function of (seed, purpose, document id, ...).

Beam may run any bundle twice, on any worker, in any order; because each choice below depends only on
its arguments, retries and different worker counts agree, and the same config gives the same shards.
"""
from __future__ import annotations

import xxhash

_MASK64 = (1 << 64) - 1


def stable_hash(seed: int, purpose: str, *parts: object) -> int:
    """A 64-bit hash of (seed, purpose, parts). `purpose` keeps independent choices independent."""
    key = "\x1f".join([purpose, *map(str, parts)]).encode("utf-8", "surrogatepass")
    return xxhash.xxh3_64_intdigest(key, seed=seed & _MASK64)


def unit_interval(seed: int, purpose: str, *parts: object) -> float:
    """A uniform number in [0, 1) drawn from the stable hash (53 bits, exact in a float)."""
    return (stable_hash(seed, purpose, *parts) >> 11) / float(1 << 53)


def is_validation(seed: int, doc_id: str, validation_fraction: float) -> bool:
    """Held-out by hash of the id alone, so every copy of a document lands on the same side."""
    return unit_interval(seed, "split", doc_id) < validation_fraction


def shard_index(seed: int, doc_id: str, copy: int, num_shards: int) -> int:
    return stable_hash(seed, "shard", doc_id, copy) % num_shards


def order_key(seed: int, doc_id: str, copy: int) -> tuple[int, str, int]:
    """Position of a document copy inside its shard; the id and copy break (astronomically rare) ties."""
    return (stable_hash(seed, "order", doc_id, copy), doc_id, copy)


def text_digest(text: str) -> str:
    """128-bit content hash (hex) used by exact deduplication."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))
