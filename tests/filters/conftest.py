"""Fixtures for the filter tests: sample-corpus documents, read once per session."""
import glob
import gzip
import json
import os

import pytest

from pipeline.document import Document

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE_JSONL = sorted(glob.glob(os.path.join(REPO, "examples", "data", "**", "*.jsonl.gz"), recursive=True))


def read_jsonl(path, limit=None):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for _, line in zip(range(limit or 10**9), f)]
    return [Document(r["id"], os.path.basename(path), r["text"], r.get("url")) for r in records]


def doc(text, url=None, id="d"):
    return Document(id=id, source="test", text=text, url=url)


@pytest.fixture(scope="session")
def sample_docs_by_file():
    return {os.path.relpath(p, REPO): read_jsonl(p) for p in SAMPLE_JSONL}
