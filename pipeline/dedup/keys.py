"""Keys that identify one document inside a dedup stage, and the near-duplicate survivor rule."""
from __future__ import annotations

import xxhash


def node_key(doc) -> tuple[str, str, int]:
    """The document as a node of the near-duplicate graph: (id, source, 64-bit hash of the text).
    Ordering these keys orders by id first, so the smallest id of a cluster is its survivor; source
    and text hash keep documents apart that happen to share an id."""
    return (doc.id, doc.source, xxhash.xxh3_64_intdigest(doc.text.encode("utf-8", "surrogatepass")))


def doc_join_key(doc) -> int:
    """64-bit key joining a document with the frequent lines found in it. Two documents sharing a key
    would only pool their sets of frequent lines, and each removes only lines it contains, which are
    frequent either way: a collision cannot change the result."""
    return xxhash.xxh3_64_intdigest("\x1f".join((doc.source, doc.id, doc.text)).encode("utf-8", "surrogatepass"))
