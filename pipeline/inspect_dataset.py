"""`tokenmill inspect DIR`: a human summary of a built dataset."""
from __future__ import annotations

import json

import numpy as np

from pipeline.capacity import capacity_text, manifest_capacity
from pipeline.dataset.format import FORMAT
from pipeline.dataset.manifest import Manifest
from pipeline.dataset.paths import inside
from pipeline.dataset.shard_reader import ShardReader
from pipeline.run_report import RunReport
from pipeline.summary import (accounting_table, decontamination_table, format_mix_table, reasons_table,
                              splits_table)


def first_rows(data: bytes, n: int) -> np.ndarray:
    shard = ShardReader.of_bytes(data)
    try:
        return shard.take(np.arange(min(n, shard.rows))) if shard.rows else np.empty((0, 0))
    finally:
        shard.close()


def describe(out_dir: str, manifest: Manifest, read_bytes, join, exists, sample_rows: int = 2, chars: int = 300) -> str:
    parts = [f"Dataset {out_dir}: {FORMAT}, seq_len {manifest.seq_len}, dtype {manifest.dtype}, "
             f"seed {manifest.seed}, tokenizer vocab {manifest.vocab_size:,} (eos id {manifest.eos_id})",
             "Splits:\n" + splits_table(manifest.splits),
             "Mix (target vs realized fraction of output tokens):\n" + format_mix_table(manifest.sources),
             "What can I train on this? (tokenmill plan train sizes a run)\n" + capacity_text(manifest_capacity(manifest))]
    report_path = join(out_dir, "report.json")
    if exists(report_path):
        report = RunReport.from_json(json.loads(read_bytes(report_path)))
        parts.append("Accounting (read = kept + rejected + duplicates + unreadable):\n" + accounting_table(report.sources))
        parts.append("Removed, by reason:\n" + reasons_table(report.sources))
        if report.decontamination:
            parts.append("Decontamination (evaluation examples found):\n" + decontamination_table(report.decontamination))
    tok_path = inside(out_dir, manifest.tokenizer.file or "tokenizer.json", join, "tokenizer.file")
    shards = manifest.shards("train")
    if exists(tok_path) and shards and sample_rows:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_str(read_bytes(tok_path).decode("utf-8"))
        rows = first_rows(read_bytes(inside(out_dir, shards[0].path, join, "shard")), sample_rows)
        for i, row in enumerate(rows):
            text = tok.decode([int(t) for t in row], skip_special_tokens=False)
            parts.append(f"{shards[0].path} row {i} (first {chars} characters):\n{text[:chars]!r}")
    return "\n\n".join(parts)


def write_report_html(out_dir: str, target: str, read_bytes, join, exists, list_names) -> str:
    """Renders report.html from the dataset's report.json (samples from rejects/ and curated/ when the
    report predates them) to `target`; returns `target`."""
    from pipeline.fileio import open_raw, write_bytes
    from pipeline.report_html import render_report_html

    report_path = join(out_dir, "report.json")
    if not exists(report_path):
        raise ValueError(f"{out_dir} has no report.json to render")
    report = RunReport.from_json(json.loads(read_bytes(report_path)))
    if report.samples is None:
        from pipeline.report_backfill import backfill_samples

        config = report.config or {}
        settings = config.get("report") or {}
        report.samples = backfill_samples(
            out_dir, join, list_names, open_raw, int(config.get("seed", 0)), settings.get("samples", 5),
            settings.get("kept_samples", 3), settings.get("excerpt_chars", 2000))
    write_bytes(target, render_report_html(report.to_json()).encode("utf-8"))
    return target
