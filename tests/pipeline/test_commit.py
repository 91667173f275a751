"""The job's commit step: shards out of .tmp, report, tokenizer copy, manifest last; safe to retry; refuses
a run with too many unreadable records."""
import json

import apache_beam as beam
import pytest

from mixers.table import SampledMix
from pipeline.config import build_config
from pipeline.dataset.shard_stats import ShardStats, SourceShare
from pipeline.transforms.commit import CommitRefused, CommitRun, commit_run
from tests.conftest import TOKENIZER_JSON

SHARDS = ["train/shard-00000-of-00002.arrow", "train/shard-00001-of-00002.arrow",
          "validation/shard-00000-of-00001.arrow"]


def config(tmp_path, **extra):
    raw = {"output": str(tmp_path / "out"), "seq_len": 4, "tokenizer": {"path": TOKENIZER_JSON},
           "shards": {"train": 2, "validation": 1}, "sources": [{"name": "web", "paths": [str(tmp_path)]}]}
    return build_config(raw | extra, check_files=False)


def shard_stat(path, docs):
    return ShardStats(split=path.split("/")[0], index=0, path=path, rows=docs, tokens=5 * docs,
                      dropped_tail_tokens=1, dropped_tail_documents=0, xxh64="0" * 16, documents=docs,
                      sources={"web": SourceShare(documents=docs, tokens=5 * docs)})


COUNTS = [[["read", "web", "", ""], [7, 0]], [["kept", "web", "", ""], [6, 36]],
          [["duplicates", "web", "dedup_exact", "exact_duplicate"], [1, 6]]]


def stage_shards(out):
    for path in SHARDS:
        (out / ".tmp" / path).parent.mkdir(parents=True, exist_ok=True)
        (out / ".tmp" / path).write_bytes(path.encode())


def test_a_retried_commit_finishes_what_a_partial_one_started(tmp_path):
    cfg = config(tmp_path)
    out = tmp_path / "out"
    stage_shards(out)
    (out / "train").mkdir()
    (out / ".tmp" / SHARDS[0]).rename(out / SHARDS[0])  # a first attempt moved one shard, then died
    stats = [shard_stat(p, 2) for p in SHARDS]
    report = commit_run(cfg, COUNTS, stats, None, started=0)
    for path in SHARDS:
        assert (out / path).read_bytes() == path.encode()
    assert not (out / ".tmp").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["path"] for s in manifest["splits"]["train"]["shards"]] == SHARDS[:2]
    assert manifest["splits"]["validation"]["documents"] == 2
    assert report.sources["web"].duplicates == 1 and report.totals.identity_holds
    assert json.loads((out / "report.json").read_text()) == report.to_json()
    assert (out / "tokenizer.json").read_bytes() == open(TOKENIZER_JSON, "rb").read()
    assert "dedup_exact:exact_duplicate" in (out / "report.html").read_text()
    commit_run(cfg, COUNTS, stats, None, started=0)  # and once more: nothing left to move, same result
    assert json.loads((out / "manifest.json").read_text()) == manifest


def test_too_many_unreadable_records_refuse_the_commit(tmp_path):
    cfg = config(tmp_path, max_error_fraction=0.2)
    out = tmp_path / "out"
    stage_shards(out)
    counts = [[["read", "web", "", ""], [4, 0]], [["kept", "web", "", ""], [3, 10]],
              [["unreadable", "web", "read", "unreadable"], [1, 0]]]
    with pytest.raises(CommitRefused, match=r"'web': 1 of 4 records unreadable"):
        commit_run(cfg, counts, [shard_stat(p, 1) for p in SHARDS], None, started=0)
    assert not (out / "manifest.json").exists() and not (out / "train").exists()
    assert json.loads((out / ".tmp" / "report.json").read_text())["failed"]  # the output itself is left as it was


def test_commit_run_waits_for_every_input_and_runs_once(tmp_path, beam_pipeline):
    cfg = config(tmp_path)
    out = tmp_path / "out"
    stage_shards(out)
    with beam_pipeline() as p:
        counts = p | "Counts" >> beam.Create([(tuple(k), tuple(v)) for k, v in COUNTS])
        stats = p | "Stats" >> beam.Create([shard_stat(path, 2).to_json() for path in SHARDS])
        mix = p | "Mix" >> beam.Create([{"web": SampledMix(6, 36, 6, 36, 1.0, 1.0, 1.0, 36)}])
        written = p | "Written" >> beam.Create(["rejects-00000-of-00001.parquet"])
        _ = {"counts": counts, "shard_stats": stats, "sampled_mix": mix, "written": written} | CommitRun(cfg, 0.0)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sources"]["web"]["target_fraction"] == 1.0 and manifest["splits"]["train"]["rows"] == 4
