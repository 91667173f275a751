"""CommitRun: the job's last step. Once every shard, count and side output is written, it builds the
report and the manifest, moves the shards out of OUT/.tmp/ and writes manifest.json last.

The commit runs inside the job rather than in the driver after it, so a job whose driver is gone (a
Dataflow Flex Template, whose launcher exits once the job is submitted; a detached Flink submission)
still ends with a committed dataset; the driver only reads report.json afterwards. It runs once, on one
worker, with small inputs (one count per (kind, source, stage, reason), one stat per shard), and it is
idempotent: a runner that retries it after a partial commit finishes the same commit.

A run that must not be committed (too many unreadable records, a broken accounting identity) writes
report.json with its `failed` problems and raises CommitRefused, which fails the job.
"""
from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from pipeline.accounting import build_source_report, error_fraction_problems, totals
from pipeline.config import PipelineConfig
from pipeline.manifest import build_manifest
from pipeline.tokenize import DocumentTokenizer, sha256_hex
from pipeline.transforms.fileio import join, read_bytes, write_bytes, write_json


class CommitRefused(RuntimeError):
    """The job ran but its result must not be committed; the message says why."""


class RunPaths:
    """OUT/... for committed files, OUT/.tmp/... while the job runs."""

    def __init__(self, output: str):
        self.output = output

    @property
    def tmp(self) -> str:
        return join(self.output, ".tmp")

    def tmp_file(self, name: str) -> str:
        return join(self.tmp, name)

    def final(self, rel: str) -> str:
        return join(self.output, rel)


def _move_shards(paths: RunPaths, shard_stats: list[dict]) -> None:
    for folder in sorted({s["path"].split("/")[0] for s in shard_stats}):
        if not FileSystems.exists(paths.final(folder)):
            FileSystems.mkdirs(paths.final(folder))  # needed locally; a no-op on object stores
    # Only what is still in .tmp: a retried commit skips the shards a first attempt already moved.
    pending = [s["path"] for s in shard_stats if FileSystems.exists(paths.tmp_file(s["path"]))]
    if pending:
        FileSystems.rename([paths.tmp_file(p) for p in pending], [paths.final(p) for p in pending])


def _move_side_outputs(paths: RunPaths, written: list[str]) -> None:
    """Rejects, errors and curated files the passes wrote under OUT/.tmp/out/ go to OUT/ (a retried commit
    skips those already moved)."""
    written = sorted(set(written or []))
    for folder in sorted({rel.split("/")[0] for rel in written}):
        if not FileSystems.exists(paths.final(folder)):
            FileSystems.mkdirs(paths.final(folder))
    pending = [rel for rel in written if FileSystems.exists(paths.tmp_file(join("out", rel)))]
    if pending:
        FileSystems.rename([paths.tmp_file(join("out", rel)) for rel in pending], [paths.final(rel) for rel in pending])


def _write_html_report(paths: RunPaths, report: dict) -> None:
    from pipeline.report_html import render_report_html

    write_bytes(paths.final("report.html"), render_report_html(report).encode("utf-8"))


def shuffle_report(shuffle: list, input_bytes: int) -> dict:
    """{"<stage>": bytes, ..., "total": bytes, "per_input_byte": ratio}: what crossed Beam's shuffles and
    side inputs (pickled size), against the bytes of the input files."""
    out = {stage: int(n) for stage, n in sorted(shuffle)}
    total = sum(out.values())
    return {**out, "total": total, "input_bytes": int(input_bytes),
            "per_input_byte": round(total / input_bytes, 6) if input_bytes else 0.0}


def commit_run(cfg: PipelineConfig, counts: list, shard_stats: list[dict], mix_table: dict | None,
               started: float, written: list[str] | None = None, shuffle: dict | None = None) -> dict:
    """Report, shards, tokenizer copy, manifest (last). Returns the report; raises CommitRefused."""
    paths = RunPaths(cfg.output)
    sources = build_source_report([(tuple(k), tuple(v)) for k, v in counts], [s.name for s in cfg.sources])
    problems = error_fraction_problems(sources, cfg.max_error_fraction)
    if problems:
        write_json(paths.final("report.json"), {"sources": sources, "totals": totals(sources), "failed": problems})
        raise CommitRefused("too many unreadable records:\n  " + "\n  ".join(problems))
    if not all(s["identity_holds"] for s in sources.values()):
        raise CommitRefused(f"accounting identity broken (a bug): {sources}")

    tokenizer_json = read_bytes(cfg.tokenizer.path)
    tokenizer = DocumentTokenizer(tokenizer_json.decode("utf-8"), cfg.tokenizer.eos, cfg.tokenizer.max_chunk_chars)
    shard_stats = sorted(shard_stats, key=lambda s: s["path"])
    _move_shards(paths, shard_stats)
    _move_side_outputs(paths, written)
    write_bytes(paths.final("tokenizer.json"), tokenizer_json)
    manifest = build_manifest(cfg, tokenizer, sha256_hex(tokenizer_json), shard_stats, sources, mix_table)
    report = {"output": cfg.output, "sources": sources, "totals": totals(sources), "splits": {
        name: {k: v for k, v in split.items() if k != "shards"} for name, split in manifest["splits"].items()},
        "mix": manifest["sources"], "wall_seconds": round(time.time() - started, 2),
        **({"shuffle": shuffle} if shuffle is not None else {}),
        "config": cfg.model_dump(mode="json")}
    write_json(paths.final("report.json"), report)
    _write_html_report(paths, report)
    write_json(paths.final("manifest.json"), manifest)  # last: the commit point
    if FileSystems.exists(paths.tmp):
        FileSystems.delete([paths.tmp])
    return report


def _commit(_, counts, shard_stats, mix_table, written, shuffle, plan, cfg, started):
    # `written`: the side outputs' names under OUT/.tmp/out/, moved into place before the manifest.
    shuffled = shuffle_report(shuffle, plan.input_bytes) if shuffle is not None and plan is not None else None
    commit_run(cfg, counts, shard_stats, mix_table, started, written, shuffled)
    return cfg.output


class CommitRun(beam.PTransform):
    """Takes counts ((kind, source, stage, reason), (documents, size)), shard_stats (one dict per
    shard), mix_table (one dict, or absent), and `written` (the side outputs' file names, or absent):
    all must be complete before the manifest appears. Side inputs make the step wait for all of them."""

    def __init__(self, cfg: PipelineConfig, started: float):
        super().__init__()
        self.cfg, self.started = cfg, started

    def expand(self, inputs):
        mix, written = inputs.get("mix_table"), inputs.get("written")
        shuffle, plan = inputs.get("shuffle"), inputs.get("plan")
        return (
            inputs["shard_stats"].pipeline
            | "Once" >> beam.Create([None])
            | "Commit" >> beam.Map(
                _commit, beam.pvalue.AsList(inputs["counts"]), beam.pvalue.AsList(inputs["shard_stats"]),
                beam.pvalue.AsSingleton(mix) if mix is not None else None,
                beam.pvalue.AsList(written) if written is not None else None,
                beam.pvalue.AsList(shuffle) if shuffle is not None else None,
                beam.pvalue.AsSingleton(plan) if plan is not None else None, cfg=self.cfg, started=self.started)
        )
