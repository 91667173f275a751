"""Runs Documents through the real pipeline (every pass, on the in-process runner) and reads back what each
stage decided: the documents kept (curated/*.parquet) and the rejections (rejects/*.parquet).

The passes work on files (pipeline.spill), so a stage is tested the way it runs: documents are written as
one JSONL file per source, with their ids and URLs as fields, and `tokenmill run`'s `run()` builds the
dataset. `orderings` runs the same documents in several input orders (the files' record order).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from unittest import mock

import pyarrow.parquet as pq
from apache_beam.metrics.metric import MetricsFilter

import pipeline.run as run_module
from pipeline.config import build_config
from pipeline.run import run
from tests.conftest import TOKENIZER_JSON


@dataclass
class StageOutcome:
    kept: dict  # id -> {"source", "text", "url", ...} as in curated/*.parquet
    rejected: list  # (id, stage, reason, duplicate_of), sorted
    report: dict
    counters: dict  # "namespace/name" -> committed value of the job's Beam metrics counters
    output: str  # the run's output folder


def _read_rows(folder: str) -> list[dict]:
    if not os.path.isdir(folder):
        return []
    rows = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".parquet"):
            rows += pq.read_table(os.path.join(folder, name)).to_pylist()
    return rows


def run_documents(docs, tmp_path, name: str = "run", beam_args: list[str] | None = None,
                  source_settings: dict[str, dict] | None = None, **config) -> StageOutcome:
    """docs: Documents (id, source, text, url). config: top-level keys (dedup, filters, mix, shards, ...).
    source_settings: source name -> extra keys of its `sources` entry (weight, max_repeats, filters, ...);
    the sources it names come first, in its order (the config order matters to a mix), then the others in
    the order their first document appears. A source named there without documents gets an empty file."""
    folder = tmp_path / f"{name}-in"
    folder.mkdir(parents=True, exist_ok=True)
    source_settings = source_settings or {}
    by_source: dict[str, list] = {s: [] for s in source_settings}
    for d in docs:
        by_source.setdefault(d.source, []).append(d)
    sources = []
    for source, items in by_source.items():
        path = folder / f"{source}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for d in items:
                f.write(json.dumps({"id": d.id, "text": d.text, "url": d.url}) + "\n")
        sources.append({"name": source, "paths": [str(path)], "format": "jsonl", "id_field": "id",
                        **source_settings.get(source, {})})
    raw = {"output": str(tmp_path / f"{name}-out"), "seq_len": 16, "tokenizer": {"path": TOKENIZER_JSON},
           "validation_fraction": 0.0, "shards": {"train": 1, "validation": 1}, "sources": sources}
    raw.update(config)
    cfg = build_config(raw)
    report, counters = run_with_counters(cfg, beam_args or [])
    kept = {row["id"]: row for row in _read_rows(os.path.join(cfg.output, "curated"))}
    rejected = sorted((r["id"], r["stage"], r["reason"], r["duplicate_of"])
                      for r in _read_rows(os.path.join(cfg.output, "rejects")))
    return StageOutcome(kept, rejected, report, counters, cfg.output)


def run_with_counters(cfg, beam_args: list[str]) -> tuple[dict, dict]:
    """`run()` as it stands, also returning the job's Beam counters ("namespace/name" -> value), which
    run() itself does not hand back: the pipeline it builds keeps its PipelineResult for us."""
    results = []
    new_pipeline = run_module._new_pipeline

    def recording(options):
        p = new_pipeline(options)
        pipeline_run = p.run

        def run_and_keep(*args, **kwargs):
            results.append(pipeline_run(*args, **kwargs))
            return results[-1]

        p.run = run_and_keep
        return p

    with mock.patch.object(run_module, "_new_pipeline", recording):
        report = run(cfg, beam_args)
    counters = {}
    for result in results:
        for m in result.metrics().query(MetricsFilter())["counters"]:
            key = f"{m.key.metric.namespace}/{m.key.metric.name}"
            counters[key] = counters.get(key, 0) + m.committed
    return report, counters
