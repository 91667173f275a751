"""CommitRun: the job's last step. Once every shard, count and side output is written to OUT/.tmp/, it
builds the report and the manifest, retires the previous run's files (pipeline.output_safety), moves the
new ones out of OUT/.tmp/, records them in OUT/.tokenmill-files.json and writes manifest.json last.

The commit runs inside the job rather than in the driver after it, so a job whose driver is gone (a
Dataflow Flex Template, whose launcher exits once the job is submitted; a detached Flink submission)
still ends with a committed dataset; the driver only reads report.json afterwards. It runs once, on one
worker, with small inputs (one count per (kind, source, stage, reason), one stat per shard), and it is
idempotent: a runner that retries it after a partial commit finishes the same commit.

A run that must not be committed (too many unreadable records, a train split without a complete row,
a broken accounting identity) writes OUT/.tmp/report.json with its `failed` problems and raises
CommitRefused, which fails the job; the previous dataset in OUT is left as it was.
"""
from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from mixers.table import SampledMix
from pipeline.accounting import build_source_report, error_fraction_problems
from pipeline.capacity import manifest_capacity
from pipeline.config import PipelineConfig
from pipeline.dataset.shard_stats import ShardStats
from pipeline.decontam.report import decontamination_report
from pipeline.fileio import join, read_bytes, write_bytes, write_json
from pipeline.output_safety import FIXED_FILES, retire_previous_run, staged_name, write_file_list
from pipeline.report_data import report_sections, shard_summary
from pipeline.run_manifest import build_manifest, empty_train_problem
from pipeline.run_report import RunReport, SplitSummary, Totals
from pipeline.tokenize import DocumentTokenizer, sha256_hex
from pipeline.transforms.tags import (
    COUNTS, DECONTAM_SETS, FOUND, PLAN, REPORT_PARTS, SAMPLED_MIX, SHARD_STATS, SHUFFLE, WRITTEN,
)


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


def _move_staged(paths: RunPaths, names: list[str]) -> None:
    """Moves OUT/.tmp/<name> to OUT/<name> for every name (`train/shard-00000-of-00008.arrow`)."""
    for folder in sorted({name.split("/")[0] for name in names if "/" in name}):
        if not FileSystems.exists(paths.final(folder)):
            FileSystems.mkdirs(paths.final(folder))  # needed locally; a no-op on object stores
    # Only what is still in .tmp: a retried commit skips the files a first attempt already moved.
    pending = [name for name in names if FileSystems.exists(paths.tmp_file(name))]
    if pending:
        FileSystems.rename([paths.tmp_file(p) for p in pending], [paths.final(p) for p in pending])


def _refuse(paths: RunPaths, report: RunReport, message: str):
    """Writes the failed run's report next to its staged files and raises CommitRefused."""
    write_json(paths.tmp_file("report.json"), report.to_json())
    raise CommitRefused(f"{message}\n(this run's report and unreadable records: {paths.tmp}/report.json, "
                        f"{paths.tmp}/errors/; the output's previous content, if any, is unchanged)")


def write_html_report(paths: RunPaths, report: dict) -> None:
    from pipeline.report_html import render_report_html

    write_bytes(paths.final("report.html"), render_report_html(report).encode("utf-8"))


def shuffle_report(shuffle: list, input_bytes: int) -> dict:
    """{"<stage>": bytes, ..., "total": bytes, "per_input_byte": ratio}: what crossed Beam's shuffles and
    side inputs (pickled size), against the bytes of the input files."""
    out = {stage: int(n) for stage, n in sorted(shuffle)}
    total = sum(out.values())
    return {**out, "total": total, "input_bytes": int(input_bytes),
            "per_input_byte": round(total / input_bytes, 6) if input_bytes else 0.0}


def commit_run(cfg: PipelineConfig, counts: list, shard_stats: list[ShardStats],
               sampled_mix: dict[str, SampledMix] | None, started: float, written: list[str] = (),
               shuffle: dict | None = None, report_parts: list = (),
               decontamination: tuple[dict, dict] | None = None) -> RunReport:
    """Report, shards and side outputs (`written`: their names under OUT/.tmp/), tokenizer copy, file list,
    manifest (last). `sampled_mix`: what the mix wrote per source, when the run mixed. `decontamination`:
    ({set: index figures}, {set: distinct examples found}) when the run decontaminated. Returns the report;
    raises CommitRefused."""
    paths = RunPaths(cfg.output)
    sources = build_source_report([(tuple(k), tuple(v)) for k, v in counts], [s.name for s in cfg.sources])
    totals = Totals.of(sources)
    problems = error_fraction_problems(sources, cfg.max_error_fraction)
    if problems:
        _refuse(paths, RunReport(sources, totals, failed=problems),
                "too many unreadable records:\n  " + "\n  ".join(problems))
    if not totals.identity_holds:
        counted = {name: s.to_json() for name, s in sources.items()}
        raise CommitRefused(f"accounting identity broken (a bug): {counted}")
    empty = empty_train_problem(shard_stats, cfg.seq_len)
    if empty:
        _refuse(paths, RunReport(sources, totals, failed=[empty]), empty)

    tokenizer_json = read_bytes(cfg.tokenizer.path)
    tokenizer = DocumentTokenizer(tokenizer_json.decode("utf-8"), cfg.tokenizer.eos, cfg.tokenizer.max_chunk_chars)
    shard_stats = sorted(shard_stats, key=lambda s: s.path)
    staged = sorted({n for n in map(staged_name, written) if n} | {s.path for s in shard_stats})
    run_files = set(staged) | set(FIXED_FILES)
    retire_previous_run(cfg.output, run_files)
    _move_staged(paths, staged)
    write_bytes(paths.final("tokenizer.json"), tokenizer_json)
    manifest = build_manifest(cfg, tokenizer, sha256_hex(tokenizer_json), shard_stats, sources, sampled_mix)
    shards = shard_summary(shard_stats)
    config = cfg.model_dump(mode="json")
    report = RunReport(
        sources, totals, output=cfg.output, wall_seconds=round(time.time() - started, 2),
        splits={name: SplitSummary.of(split, **shards.get(name, {})) for name, split in manifest.splits.items()},
        mix=manifest.sources, shuffle=shuffle, chinchilla=manifest_capacity(manifest), config=config,
        decontamination=decontamination_report(counts, *decontamination) if decontamination else None,
        **report_sections(cfg, report_parts, config))
    write_json(paths.final("report.json"), report.to_json())
    write_html_report(paths, report.to_json())
    write_file_list(cfg.output, run_files)
    write_json(paths.final("manifest.json"), manifest.to_json())  # last: the commit point
    if FileSystems.exists(paths.tmp):
        FileSystems.delete([paths.tmp])
    return report


def _commit(_, counts, shard_stats, sampled_mix, written, shuffle, plan, report_parts, decontam_sets, decontam_found,
            cfg, started):
    # `written`: the side outputs' names under OUT/.tmp/, moved into place before the manifest.
    shuffled = shuffle_report(shuffle, plan.input_bytes) if shuffle is not None and plan is not None else None
    decontamination = (decontam_sets, dict(decontam_found or [])) if decontam_sets is not None else None
    stats = [ShardStats.from_json(s) for s in shard_stats]
    commit_run(cfg, counts, stats, sampled_mix, started, written or [], shuffled, report_parts or [], decontamination)
    return cfg.output


class CommitRun(beam.PTransform):
    """Takes counts ((kind, source, stage, reason), (documents, size)), shard_stats (one ShardStats.to_json()
    per shard), sampled_mix (one {source: SampledMix}, or absent), `written` (the side outputs' file names,
    or absent), and with decontamination decontam_sets (one dict of per-set index figures) and
    decontam_found ((set, distinct examples found) pairs): all must be complete before the manifest
    appears. Side inputs make the step wait for all of them."""

    def __init__(self, cfg: PipelineConfig, started: float):
        super().__init__()
        self.cfg, self.started = cfg, started

    def expand(self, inputs):
        mix, written = inputs.get(SAMPLED_MIX), inputs.get(WRITTEN)
        shuffle, plan, parts = inputs.get(SHUFFLE), inputs.get(PLAN), inputs.get(REPORT_PARTS)
        sets, found = inputs.get(DECONTAM_SETS), inputs.get(FOUND)
        return (
            inputs[SHARD_STATS].pipeline
            | "Once" >> beam.Create([None])
            | "Commit" >> beam.Map(
                _commit, beam.pvalue.AsList(inputs[COUNTS]), beam.pvalue.AsList(inputs[SHARD_STATS]),
                beam.pvalue.AsSingleton(mix) if mix is not None else None,
                beam.pvalue.AsList(written) if written is not None else None,
                beam.pvalue.AsList(shuffle) if shuffle is not None else None,
                beam.pvalue.AsSingleton(plan) if plan is not None else None,
                beam.pvalue.AsList(parts) if parts is not None else None,
                beam.pvalue.AsSingleton(sets) if sets is not None else None,
                beam.pvalue.AsList(found) if found is not None else None, cfg=self.cfg, started=self.started)
        )
