"""What makes two documents the same to a dedup stage, and which of them survives (pure).

- exact: the hash of the normalized text (`exact_key`); the smallest `exact_survivor_rank` survives;
- URL: `pipeline.dedup.urls.url_dedup_key`; the smallest `url_survivor_rank` survives;
- near: documents are nodes of the near-duplicate graph (`node_key`); a cluster's smallest node survives.

Ranks and node keys hold a hash of the text, not the text, so the key entries a pass writes stay small;
the order they give never depends on arrival order, so retries and worker counts agree.
"""
from __future__ import annotations

import re
import unicodedata

import xxhash

from pipeline.hashing import text_digest

_SPACE = re.compile(r"\s+")


def normalize_for_exact_dedup(text: str) -> str:
    """NFC, lower-case, whitespace runs collapsed: documents differing only in case or spacing are
    duplicates."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()


def exact_key(text: str) -> str:
    return text_digest(normalize_for_exact_dedup(text))


def text_hash(text: str) -> bytes:
    """128-bit hash of the text as it is: the tie-breaker of the survivor ranks."""
    return xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass"))


def exact_survivor_rank(doc) -> tuple:
    """The smallest rank survives among exact duplicates: the smallest id, then source and text."""
    return (doc.id, doc.source, text_hash(doc.text))


def url_survivor_rank(doc) -> tuple:
    """The smallest rank survives among documents with one URL: the longest text, then the smallest id
    (source and text break the remaining ties)."""
    return (-len(doc.text), doc.id, doc.source, text_hash(doc.text))


def node_key(doc) -> tuple[str, str, int]:
    """The document as a node of the near-duplicate graph: (id, source, 64-bit hash of the text).
    Ordering these keys orders by id first, so the smallest id of a cluster is its survivor; source
    and text hash keep documents apart that happen to share an id."""
    return (doc.id, doc.source, xxhash.xxh3_64_intdigest(doc.text.encode("utf-8", "surrogatepass")))
