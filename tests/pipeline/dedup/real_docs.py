"""Real documents from the bundled sample corpus, and deterministic edits of them, for the dedup tests."""
import functools
import gzip
import json
import os
import random

from pipeline.document import Document

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "data")


@functools.lru_cache(maxsize=None)
def _load(rel_path: str) -> tuple:
    with gzip.open(os.path.join(SAMPLE, rel_path), "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return tuple(Document(r["id"], r.get("source", "web"), r["text"], r.get("url")) for r in rows)


def pydocs() -> list[Document]:
    """Python documentation pages with their navigation boilerplate (120, with URLs)."""
    return list(_load("web/pydocs_sample.jsonl.gz"))


def speeches(max_words: int = 0) -> list[Document]:
    """State of the Union and inaugural addresses: long, distinct prose (cut to their first
    `max_words` words when given, to keep Beam tests quick)."""
    docs = list(_load("books/speeches.jsonl.gz"))
    if max_words:
        docs = [Document(d.id, d.source, " ".join(d.text.split()[:max_words]), d.url) for d in docs]
    return docs


def replace_words(text: str, fraction: float, seed: int) -> str:
    """The text with `fraction` of its words replaced by fresh tokens at random positions."""
    words = text.split()
    rng = random.Random(seed)
    for i in rng.sample(range(len(words)), int(len(words) * fraction)):
        words[i] = f"zq{rng.randrange(10**9)}"
    return " ".join(words)
