"""`tokenmill run`: build the Beam pipeline from a validated config, run it, then commit the output.

Order of stages: read -> URL dedup -> exact dedup -> repeated-line removal -> curation filters ->
near-duplicate removal -> tokenize -> mix -> shard (global shuffle + packing). Cheap, exact stages run
first so the expensive ones see fewer documents; line removal runs before the quality filters so they
judge text without boilerplate.

Commit protocol: shards are written under OUT/.tmp/ and moved into place only after the pipeline
succeeded; manifest.json is written last, so a directory without it is an incomplete run. Starting a
run first deletes the previous manifest, then the previous outputs.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, TestOptions

from pipeline.accounting import build_source_report, error_fraction_problems, totals
from pipeline.config import ConfigError, PipelineConfig
from pipeline.manifest import build_manifest
from pipeline.shard_layout import ShardLayout
from pipeline.tokenize import DocumentTokenizer, sha256_hex
from pipeline.transforms.accounting import CountOutcomes
from pipeline.transforms.dedup_exact import DedupExact
from pipeline.transforms.fileio import join, read_bytes, read_json, write_bytes, write_json
from pipeline.transforms.outputs import WriteCurated, WriteErrors, WriteRejects
from pipeline.transforms.read import ReadSource
from pipeline.transforms.tokenize import TokenizeDocuments
from pipeline.transforms.write_shards import WriteShards

LOG = logging.getLogger("tokenmill")
OUTPUT_ENTRIES = ("manifest.json", "report.json", "report.html", "tokenizer.json", "train", "validation",
                  "curated", "rejects", "errors", ".tmp")
# Runners that run in this process without downloading anything. Beam's "DirectRunner" would first try
# to download and start the Prism runner, so it is served by the FnApiRunner it falls back to anyway.
IN_PROCESS_RUNNERS = (None, "DirectRunner", "direct", "FnApiRunner")


class RunFailed(RuntimeError):
    """The pipeline ran but its result must not be committed (exit code 1)."""


@dataclass
class RunPaths:
    output: str

    @property
    def tmp(self) -> str:
        return join(self.output, ".tmp")

    def tmp_file(self, name: str) -> str:
        return join(self.tmp, name)

    def final(self, rel: str) -> str:
        return join(self.output, rel)


def pipeline_options(beam_args: list[str]) -> PipelineOptions:
    options = PipelineOptions(beam_args)
    std = options.view_as(StandardOptions)
    if std.runner in IN_PROCESS_RUNNERS:
        std.runner = "FnApiRunner"
    return options


def _stage(docs, label: str, transform, rejected: list):
    out = docs | label >> transform
    rejected.append(out["rejected"])
    return out["kept"]


def build_pipeline(p: beam.Pipeline, cfg: PipelineConfig, paths: RunPaths, dtype: str) -> None:
    reads = [p | f"Read[{s.name}]" >> ReadSource(s) for s in cfg.sources]
    docs = [r["docs"] for r in reads] | "AllDocuments" >> beam.Flatten()
    errors = [r["errors"] for r in reads] | "AllReadErrors" >> beam.Flatten()
    rejected = [[r["rejected"] for r in reads] | "EmptyDocuments" >> beam.Flatten()]
    read_docs = (docs, rejected[0] | "EmptyDocs" >> beam.Map(lambda r: r.doc)) | "AllReadDocuments" >> beam.Flatten()

    kept = docs
    line_stats = []
    if cfg.dedup.url:
        from pipeline.transforms.dedup_url import DedupUrl

        kept = _stage(kept, "DedupUrl", DedupUrl(cfg.seed), rejected)
    if cfg.dedup.exact:
        kept = _stage(kept, "DedupExact", DedupExact(), rejected)
    if cfg.dedup.lines:
        from pipeline.transforms.dedup_lines import DedupLines

        lines_out = kept | "DedupLines" >> DedupLines(cfg.dedup.lines)
        rejected.append(lines_out["rejected"])
        line_stats.append(lines_out["line_stats"])
        kept = lines_out["kept"]
    filters_by_source = {s.name: cfg.filters_for(s) for s in cfg.sources}
    if any(filters_by_source.values()):
        from pipeline.transforms.curate import ApplyFilters

        kept = _stage(kept, "Curate", ApplyFilters(filters_by_source), rejected)
    if cfg.dedup.near:
        from pipeline.transforms.dedup_near import DedupNear

        kept = _stage(kept, "DedupNear", DedupNear(cfg.dedup.near, cfg.seed), rejected)

    tokenized = kept | "Tokenize" >> TokenizeDocuments(cfg.tokenizer)
    if mixing_requested(cfg):
        from pipeline.transforms.mix import MixSources

        mixed = tokenized | "Mix" >> MixSources(cfg.sources, cfg.mix, cfg.seed)
        copies = mixed["copies"]
        _ = mixed["table"] | "WriteMixTable" >> beam.Map(lambda t: write_json(paths.tmp_file("mix.json"), t))
    else:
        copies = tokenized | "OneCopyEach" >> beam.Map(lambda t: (t, 0))

    layout = ShardLayout(cfg.seed, cfg.validation_fraction, cfg.shards.train, cfg.shards.validation)
    stats = copies | "Shard" >> WriteShards(layout, cfg.seq_len, dtype, paths.tmp)
    _ = (stats | "AllShardStats" >> beam.combiners.ToList()
         | "WriteShardStats" >> beam.Map(lambda s: write_json(paths.tmp_file("shards.json"), s)))

    all_rejected = rejected | "AllRejections" >> beam.Flatten()
    outcomes = {"read_docs": read_docs, "errors": errors, "rejected": all_rejected, "kept": tokenized}
    if line_stats:
        outcomes["line_stats"] = line_stats[0]
    _ = outcomes | "Account" >> CountOutcomes(paths.tmp_file("counts.json"), cfg.tokenizer)
    _ = all_rejected | "WriteRejects" >> WriteRejects(paths.final("rejects/rejects"), cfg.seed, cfg.rejects_text_fraction)
    _ = errors | "WriteErrors" >> WriteErrors(paths.final("errors/errors"))
    if cfg.write_curated:
        _ = kept | "WriteCurated" >> WriteCurated(paths.final("curated/curated"))


def mixing_requested(cfg: PipelineConfig) -> bool:
    return (cfg.mix.temperature is not None or cfg.mix.total_tokens is not None
            or any(s.weight is not None for s in cfg.sources))


def _clear_previous_output(paths: RunPaths) -> None:
    # The manifest goes first: from here on the directory reads as incomplete.
    for entry in OUTPUT_ENTRIES:
        target = paths.final(entry)
        if FileSystems.exists(target):
            FileSystems.delete([target])


def _commit(paths: RunPaths, shard_stats: list[dict]) -> None:
    for folder in sorted({s["path"].split("/")[0] for s in shard_stats}):
        if not FileSystems.exists(paths.final(folder)):
            FileSystems.mkdirs(paths.final(folder))  # needed locally; a no-op on object stores
    sources = [paths.tmp_file(s["path"]) for s in shard_stats]
    FileSystems.rename(sources, [paths.final(s["path"]) for s in shard_stats])


def run(cfg: PipelineConfig, beam_args: list[str]) -> dict:
    """Runs the whole job; returns the report. Raises ConfigError (exit 2) or RunFailed (exit 1)."""
    started = time.time()
    tokenizer_json = read_bytes(cfg.tokenizer.path)
    try:
        tokenizer = DocumentTokenizer(tokenizer_json.decode("utf-8"), cfg.tokenizer.eos, cfg.tokenizer.max_chunk_chars)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    except Exception as e:
        raise ConfigError(f"tokenizer.path: cannot load {cfg.tokenizer.path}: {e}") from None

    paths = RunPaths(cfg.output)
    options = pipeline_options(beam_args)
    if options.view_as(TestOptions).dry_run:
        return _dry_run(cfg, paths, options, tokenizer.dtype.name, started)
    _clear_previous_output(paths)
    LOG.info("running %d source(s) into %s", len(cfg.sources), cfg.output)
    try:
        with _new_pipeline(options) as p:
            build_pipeline(p, cfg, paths, tokenizer.dtype.name)
    except (ConfigError, KeyboardInterrupt):
        raise
    except Exception as e:
        # A mix that the data cannot meet is only known once tokens are counted; say so plainly.
        text, marker = str(e), "MixShortfallError:"
        if marker in text:
            message = text[text.rfind(marker) + len(marker):].split(" [while running")[0].strip()
            raise RunFailed(message) from None
        raise

    counts = [((tuple(k)), tuple(v)) for k, v in read_json(paths.tmp_file("counts.json"))]
    sources = build_source_report(counts, [s.name for s in cfg.sources])
    problems = error_fraction_problems(sources, cfg.max_error_fraction)
    if problems:
        write_json(paths.final("report.json"), {"sources": sources, "totals": totals(sources), "failed": problems})
        raise RunFailed("too many unreadable records:\n  " + "\n  ".join(problems))
    if not all(s["identity_holds"] for s in sources.values()):
        raise RunFailed(f"accounting identity broken (a bug): {sources}")

    shard_stats = sorted(read_json(paths.tmp_file("shards.json")), key=lambda s: s["path"])
    mix_table = read_json(paths.tmp_file("mix.json")) if mixing_requested(cfg) else None
    _commit(paths, shard_stats)
    write_bytes(paths.final("tokenizer.json"), tokenizer_json)
    manifest = build_manifest(cfg, tokenizer, sha256_hex(tokenizer_json), shard_stats, sources, mix_table)
    report = {"output": cfg.output, "sources": sources, "totals": totals(sources), "splits": {
        name: {k: v for k, v in split.items() if k != "shards"} for name, split in manifest["splits"].items()},
        "mix": manifest["sources"], "wall_seconds": round(time.time() - started, 2),
        "config": cfg.model_dump(mode="json")}
    write_json(paths.final("report.json"), report)
    _write_html_report(paths, report)
    write_json(paths.final("manifest.json"), manifest)  # last: the commit point
    FileSystems.delete([paths.tmp])
    return report


def _new_pipeline(options: PipelineOptions) -> beam.Pipeline:
    try:
        return beam.Pipeline(options=options)
    except ValueError as e:  # an unknown runner name, a malformed option value
        raise ConfigError(f"Beam options: {e}") from None


def _dry_run(cfg: PipelineConfig, paths: RunPaths, options: PipelineOptions, dtype: str, started: float) -> dict:
    """`--dry_run=True`: build the job and translate it, touch no output. On Dataflow the runner builds
    the job request without submitting it (no credentials needed); other runners only translate the
    graph to Beam's portable form, which is what they would be sent."""
    p = _new_pipeline(options)
    build_pipeline(p, cfg, paths, dtype)
    runner = options.view_as(StandardOptions).runner
    if runner in ("DataflowRunner", "dataflow"):
        p.run()
    proto = p.to_runner_api()
    LOG.info("dry run: %d transforms translated for %s; nothing ran", len(proto.components.transforms), runner)
    return {"dry_run": True, "runner": runner, "output": cfg.output,
            "transforms": len(proto.components.transforms), "wall_seconds": round(time.time() - started, 2)}


def _write_html_report(paths: RunPaths, report: dict) -> None:
    try:
        from pipeline.report_html import render_report_html
    except ImportError:
        return
    write_bytes(paths.final("report.html"), render_report_html(report).encode("utf-8"))
