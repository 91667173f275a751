"""The text a quality classifier sees, identical at training and at prediction time: lower-cased,
words and punctuation marks as separate tokens, whitespace collapsed, cut to a bounded length."""
from __future__ import annotations

import re

POSITIVE_LABEL = "hq"
NEGATIVE_LABEL = "lq"
MAX_CHARS = 20_000  # bounds predict time per document; quality shows long before that

_TOKEN = re.compile(r"\w+|[^\w\s]")


def quality_text(text: str) -> str:
    return " ".join(_TOKEN.findall(text[:MAX_CHARS].lower()))
