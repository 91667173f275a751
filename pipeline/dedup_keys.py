"""Exact-duplicate keys and survivor choice (pure)."""
from __future__ import annotations

import re
import unicodedata

from pipeline.hashing import text_digest

_SPACE = re.compile(r"\s+")


def normalize_for_exact_dedup(text: str) -> str:
    """NFC, lower-case, whitespace runs collapsed: documents differing only in case or spacing are
    duplicates."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()


def exact_key(text: str) -> str:
    return text_digest(normalize_for_exact_dedup(text))


def survivor_rank(doc) -> tuple:
    """The smallest rank survives: the smallest id, then the text itself, never arrival order."""
    return (doc.id, doc.source, doc.text)
