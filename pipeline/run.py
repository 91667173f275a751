"""`tokenmill run`: build the Beam pipeline from a validated config, run it, then commit the output.

Order of stages: read -> URL dedup -> exact dedup -> repeated-line removal -> curation filters ->
near-duplicate removal -> tokenize -> mix -> shard (global shuffle + packing). Cheap, exact stages run
first so the expensive ones see fewer documents; line removal runs before the quality filters so they
judge text without boilerplate.

Commit protocol: shards and side outputs are written under OUT/.tmp/ and moved into place by the job's
last step once everything else is written (pipeline.transforms.commit); manifest.json is written last, so
a directory without it is an incomplete run. Everything that can be checked (config, Beam options,
runner, inputs outside the output, no foreign files in the way: pipeline.preflight,
pipeline.output_safety) is checked before the output is touched; a run then deletes only OUT/.tmp/, and
the previous dataset stays readable until the commit step replaces it. The driver reads report.json when
the job is done.
"""
from __future__ import annotations

import logging
import time

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, TestOptions

from pipeline.config import ConfigError, PipelineConfig
from pipeline.output_safety import check_output, clear_staging
from pipeline.preflight import check_beam_options
from pipeline.shard_layout import ShardLayout
from pipeline.tokenize import DocumentTokenizer
from pipeline.transforms.accounting import CountOutcomes
from pipeline.transforms.commit import CommitRun, RunPaths
from pipeline.transforms.dedup_exact import DedupExact
from pipeline.transforms.fileio import read_bytes, read_json
from pipeline.transforms.outputs import WriteCurated, WriteErrors, WriteRejects
from pipeline.transforms.read import ReadSource
from pipeline.transforms.tokenize import TokenizeDocuments
from pipeline.transforms.write_shards import WriteShards

LOG = logging.getLogger("tokenmill")
# Runners that run in this process without downloading anything. Beam's "DirectRunner" would first try
# to download and start the Prism runner, so it is served by the FnApiRunner it falls back to anyway.
IN_PROCESS_RUNNERS = (None, "DirectRunner", "direct", "FnApiRunner")


# Errors raised inside the job whose message is for the user as it stands (exit code 1, no traceback):
# a mix the data cannot meet is only known once tokens are counted, too many unreadable records once
# all are read.
USER_FACING_JOB_ERRORS = ("MixShortfallError", "CommitRefused")


class RunFailed(RuntimeError):
    """The pipeline ran but its result must not be committed (exit code 1)."""


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


def build_pipeline(p: beam.Pipeline, cfg: PipelineConfig, paths: RunPaths, dtype: str, started: float = 0.0) -> None:
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
        copies, mix_table = mixed["copies"], mixed["table"]
    else:
        copies, mix_table = tokenized | "OneCopyEach" >> beam.Map(lambda t: (t, 0)), None

    layout = ShardLayout(cfg.seed, cfg.validation_fraction, cfg.shards.train, cfg.shards.validation)
    shard_stats = copies | "Shard" >> WriteShards(layout, cfg.seq_len, dtype, paths.tmp)

    all_rejected = rejected | "AllRejections" >> beam.Flatten()
    outcomes = {"read_docs": read_docs, "errors": errors, "rejected": all_rejected, "kept": tokenized}
    if line_stats:
        outcomes["line_stats"] = line_stats[0]
    counts = outcomes | "Account" >> CountOutcomes(cfg.tokenizer)
    written = [
        all_rejected | "WriteRejects" >> WriteRejects(paths.tmp_file("rejects/rejects"), cfg.seed, cfg.rejects_text_fraction),
        errors | "WriteErrors" >> WriteErrors(paths.tmp_file("errors/errors")),
    ]
    if cfg.write_curated:
        written.append(kept | "WriteCurated" >> WriteCurated(paths.tmp_file("curated/curated")))
    commit_inputs = {"counts": counts, "shard_stats": shard_stats,
                     "written": written | "AllOutputFiles" >> beam.Flatten()}
    if mix_table is not None:
        commit_inputs["mix_table"] = mix_table
    _ = commit_inputs | "Commit" >> CommitRun(cfg, started)


def _user_facing_message(error: Exception) -> str | None:
    """The message of a USER_FACING_JOB_ERRORS error, however the runner handed it back: re-raised as
    its own type (in-process runner) or as text naming it (a remote worker's traceback)."""
    text = str(error)
    for name in USER_FACING_JOB_ERRORS:
        if type(error).__name__ == name:
            start = 0
        elif f"{name}: " in text:
            start = text.rfind(f"{name}: ") + len(name) + 2
        else:
            continue
        return text[start:].split(" [while running")[0].strip()
    return None


def mixing_requested(cfg: PipelineConfig) -> bool:
    return (cfg.mix.temperature is not None or cfg.mix.total_tokens is not None
            or any(s.weight is not None for s in cfg.sources))


def _clear_previous_output(paths: RunPaths) -> None:
    # Only the staging area: the previous dataset's files go in the commit step (pipeline.output_safety).
    clear_staging(paths.output)


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
    check_beam_options(beam_args)
    options = pipeline_options(beam_args)
    if options.view_as(TestOptions).dry_run:
        return _dry_run(cfg, paths, options, tokenizer.dtype.name, started)
    p = _new_pipeline(options)  # an unknown runner is refused here, before the output is touched
    check_output(cfg)
    _clear_previous_output(paths)
    LOG.info("running %d source(s) into %s", len(cfg.sources), cfg.output)
    build_pipeline(p, cfg, paths, tokenizer.dtype.name, started)
    try:
        result = p.run()
        result.wait_until_finish()
    except Exception as e:
        message = _user_facing_message(e)
        if message is None:
            raise
        raise RunFailed(message) from None
    if getattr(result, "has_job", True) is False:
        # Dataflow wrote a job file instead of running the job (a Flex Template launch, --template_location):
        # the job commits the output itself when it ends.
        LOG.info("the job was handed to the runner as a template; it commits %s when it ends", cfg.output)
        return {"submitted": True, "runner": options.view_as(StandardOptions).runner, "output": cfg.output,
                "wall_seconds": round(time.time() - started, 2)}
    if not FileSystems.exists(paths.final("manifest.json")):  # e.g. a runner that returned before the end
        raise RunFailed(f"the job ended without committing {cfg.output} (no manifest.json); see the runner's logs")
    return read_json(paths.final("report.json"))


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
    build_pipeline(p, cfg, paths, dtype, started)
    runner = options.view_as(StandardOptions).runner
    if runner in ("DataflowRunner", "dataflow"):
        p.run()
    proto = p.to_runner_api()
    LOG.info("dry run: %d transforms translated for %s; nothing ran", len(proto.components.transforms), runner)
    return {"dry_run": True, "runner": runner, "output": cfg.output,
            "transforms": len(proto.components.transforms), "wall_seconds": round(time.time() - started, 2)}

