"""`tokenmill run` with every dedup stage and a FineWeb-like filter chain on part of the bundled sample:
the report explains every removed document by stage and reason, rejects/ and curated/ agree with it."""
import collections
import json
import re

import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.cli import main

pytestmark = pytest.mark.slow

FILTERS = [
    {"name": "url_blocklist"},
    {"name": "language", "languages": ["en"], "threshold": 0.65},
    {"name": "gopher_repetition"},
    {"name": "gopher_quality"},
    {"name": "fineweb_quality"},
    {"name": "pii"},
]


@pytest.fixture(scope="module")
def curated_run(tmp_path_factory):
    from pathlib import Path

    from tests.conftest import SAMPLE_DATA, TOKENIZER_JSON

    tmp, data = tmp_path_factory.mktemp("curation"), Path(SAMPLE_DATA)
    cfg = {
        "output": str(tmp / "out"), "seed": 7, "seq_len": 256,
        "tokenizer": {"path": TOKENIZER_JSON},
        "shards": {"train": 2, "validation": 1},
        "sources": [
            {"name": "web", "paths": [str(data / "web" / "*.jsonl.gz")], "id_field": "id"},
            {"name": "warc", "paths": [str(data / "web" / "warc" / "*.warc.gz")], "format": "warc"},
            {"name": "forum", "paths": [str(data / "forum" / "*.jsonl.gz")], "id_field": "id",
             "filters": [{"name": "doc_length", "min_words": 30}, {"name": "pii"}]},
        ],
        "filters": FILTERS,
        "dedup": {"url": True, "exact": True, "lines": True, "near": True},
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["run", str(path)]) == 0
    out = tmp / "out"
    return out, json.loads((out / "report.json").read_text())


def read_parquet_dir(folder):
    tables = [pq.read_table(p) for p in sorted(folder.glob("*.parquet"))]
    return [row for t in tables for row in t.to_pylist()]


def test_every_removed_document_is_explained_by_stage_and_reason(curated_run):
    out, report = curated_run
    assert report["totals"]["identity_holds"]
    rejects = read_parquet_dir(out / "rejects")
    for name, s in report["sources"].items():
        assert s["read"] == s["kept"] + s["rejected"] + s["duplicates"] + s["unreadable"]
        mine = [r for r in rejects if r["source"] == name]
        assert len(mine) == s["rejected"] + s["duplicates"]
        by_stage = collections.Counter((r["stage"], r["reason"]) for r in mine if not r["stage"].startswith("dedup"))
        assert by_stage == collections.Counter({(stage, reason): n for stage, reasons in s["rejected_by_stage"].items()
                                                for reason, n in reasons.items()})
    web = report["sources"]["web"]
    assert set(web["rejected_by_stage"]) <= {f"filter:{f['name']}" for f in FILTERS}
    assert web["rejected_by_stage"]["filter:language"]["language_low_score"] > 0
    assert web["duplicates_by_reason"]["dedup_url:url_duplicate"] == 1  # two records of one Common Crawl URL
    assert web["lines_removed"] > 0 and web["line_chars_removed"] > web["lines_removed"]
    assert set(report["sources"]["forum"]["rejected_by_stage"]) == {"filter:doc_length"}  # its own chain


def test_rejects_carry_scores_and_duplicates_name_their_survivor(curated_run):
    out, _ = curated_run
    rejects = read_parquet_dir(out / "rejects")
    low = [r for r in rejects if r["reason"] == "language_low_score"]
    assert low and all(r["score"] is not None and r["score"] < 0.65 for r in low)
    dups = [r for r in rejects if r["stage"] == "dedup_url"]
    assert dups and all(r["duplicate_of"] and r["duplicate_of"] != r["id"] for r in dups)


def test_curated_documents_carry_signals_and_redacted_text(curated_run):
    out, report = curated_run
    curated = read_parquet_dir(out / "curated")
    assert len(curated) == report["totals"]["kept"]
    web = [d for d in curated if d["source"] in ("web", "warc")]
    assert web and all(d["language"] == "en" and d["language_score"] >= 0.65 for d in web)
    email = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
    assert not any(email.search(d["text"]) for d in curated)
    manifest = json.loads((out / "manifest.json").read_text())
    assert sum(s["documents"] for s in manifest["splits"].values()) == report["totals"]["kept"]
    assert "language_low_score" in (out / "report.html").read_text()
