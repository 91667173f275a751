"""`tokenmill run`: build the Beam pipeline from a validated config, run it, then commit the output.

Order of stages: read -> URL dedup -> exact dedup -> decontamination (optional) -> repeated-line removal ->
curation filters -> near-duplicate removal -> tokenize -> mix -> shard (global shuffle + packing). Cheap,
exact stages run first so the expensive ones see fewer documents; line removal runs before the quality
filters so they judge text without boilerplate.

How they run: documents stay in files, and only decisions cross Beam's shuffles (pipeline.spill). Each
input split is read once and spilled; per-split passes (read, count lines, curate, tokenize, route) each
read one split's file and write the next, and per-bucket reducers between them turn keys into decisions
(this URL's survivor, these lines are frequent, these documents are near duplicates, this many copies),
which go back keyed by split. Shard writers read their documents' tokens by reference. Memory per worker
is bounded by one split and one key bucket, whatever the corpus size.

Commit protocol: shards and side outputs are written under OUT/.tmp/ and moved into place by the job's
last step once everything else is written (pipeline.transforms.commit); manifest.json is written last, so
a directory without it is an incomplete run. Everything that can be checked (config, Beam options,
runner, inputs outside the output, no foreign files in the way: pipeline.preflight,
pipeline.output_safety) is checked before the output is touched; a run then deletes only OUT/.tmp/, and
the previous dataset stays readable until the commit step replaces it. The driver reads report.json when
the job is done.
"""
from __future__ import annotations

import contextlib
import logging
import time

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions, TestOptions

from pipeline.accounting import sum_pairs
from pipeline.config import ConfigError, PipelineConfig
from pipeline.output_safety import check_output, clear_staging
from pipeline.preflight import check_beam_options
from pipeline.progress_report import ProgressReport
from pipeline.run_report import RunReport
from pipeline.shard_layout import ShardLayout
from pipeline.spill import SpillPaths
from pipeline.tokenize import DocumentTokenizer
from pipeline.transforms.commit import CommitRun, RunPaths, write_html_report
from pipeline.transforms.curate_pass import CurateSplits
from pipeline.transforms.decontam import FOUND, BuildEvalIndex, index_stats
from pipeline.transforms.dedup_docs import DecideDuplicates
from pipeline.transforms.dedup_lines import LINES, CountLines, DecideFrequentLines
from pipeline.transforms.dedup_near import DecideNear
from pipeline.transforms.fileio import read_bytes, read_json, write_json
from pipeline.transforms.mix import ChooseInWindows, CountSampledMix, PlanMixFromHistograms
from pipeline.transforms.report_parts import REPORT, MergeParts
from pipeline.transforms.scan import ScanSplits
from pipeline.transforms.split_pass import ShuffleMeter, bucket_numbers, split_numbers, with_decisions
from pipeline.transforms.splits import PlanSplits
from pipeline.transforms.tokenize_pass import TokenizeSplits
from pipeline.transforms.write_shards import RouteCopies, WriteShards

LOG = logging.getLogger("tokenmill")
# Runners that run in this process without downloading anything. Beam's "DirectRunner" would first try
# to download and start the Prism runner, so it is served by the FnApiRunner it falls back to anyway.
IN_PROCESS_RUNNERS = (None, "DirectRunner", "direct", "FnApiRunner")


# Errors raised inside the job whose message is for the user as it stands (exit code 1, no traceback):
# a mix the data cannot meet is only known once tokens are counted, too many unreadable records once
# all are read, a damaged evaluation set once it is read.
USER_FACING_JOB_ERRORS = ("MixShortfallError", "CommitRefused", "EvalSetUnreadable")


class RunFailed(RuntimeError):
    """The pipeline ran but its result must not be committed (exit code 1)."""


def pipeline_options(beam_args: list[str], workers: int = 1) -> PipelineOptions:
    """Beam options from the arguments after `--`. On the local runner, `workers` > 1 runs that many worker
    processes (Beam's multi_processing mode) unless the arguments choose a running mode themselves."""
    options = PipelineOptions(beam_args)
    std = options.view_as(StandardOptions)
    if std.runner in IN_PROCESS_RUNNERS:
        std.runner = "FnApiRunner"
        chose = any(a.startswith(("--direct_running_mode", "--direct_num_workers")) for a in beam_args)
        if workers > 1 and not chose:
            direct = options.view_as(DirectOptions)
            direct.direct_running_mode = "multi_processing"
            direct.direct_num_workers = workers
    return options


def build_pipeline(p: beam.Pipeline, cfg: PipelineConfig, paths: RunPaths, dtype: str, started: float = 0.0) -> None:
    """The passes (see pipeline.spill for the files they share). Per split, in order: read and spill; count
    lines; dedup + decontamination + filters; tokenize; route copies. Between them, per key bucket: URL and
    exact duplicates, frequent lines, near duplicates; the mix plan. Only decisions, counts and the eval
    sets' n-gram index (a side input of the curate pass) cross Beam's shuffles."""
    spill = SpillPaths(paths.tmp)
    meter = ShuffleMeter()
    planned = p | "Plan" >> PlanSplits(cfg.sources)
    splits, plan = meter("splits", planned["splits"]), planned["plan"]
    scanned = splits | "Scan" >> ScanSplits(cfg, spill, plan)
    events, written, reports = [scanned["events"]], [scanned["written"]], [scanned[REPORT]]
    empty = p | "NoDecisions" >> beam.Create([])

    dups = empty
    if cfg.dedup.url or cfg.dedup.exact:
        dups = (bucket_numbers("DupBuckets", p, plan, scanned["done"])
                | "DedupDocs" >> DecideDuplicates(spill, plan, cfg.dedup.url, cfg.dedup.exact, meter))
        dups = meter("dedup_decisions", dups)
    lines = empty
    if cfg.dedup.lines:
        counted = with_decisions("WithDups", splits, {"dups": dups}) | "CountLines" >> CountLines(spill, plan)
        lines = bucket_numbers("LineBuckets", p, plan, counted) | "DedupLines" >> DecideFrequentLines(spill, plan, cfg.dedup.lines)
        lines = meter("line_decisions", lines)
    eval_index = None
    if cfg.decontaminate:
        eval_index = meter("decontam_index", p | "EvalIndex" >> BuildEvalIndex(cfg.decontaminate))
    curated = (with_decisions("WithDupsAndLines", splits, {"dups": dups, LINES: lines, "done": scanned["done"]})
               | "Curate" >> CurateSplits(cfg, spill, plan, eval_index))
    events.append(curated["events"])
    written.append(curated["written"])
    reports.append(curated[REPORT])

    near = empty
    if cfg.dedup.near:
        near = bucket_numbers("BandBuckets", p, plan, curated["events"]) | "DedupNear" >> DecideNear(spill, plan, cfg.dedup.near, meter, cfg.report.samples > 0)
        near = meter("near_decisions", near)
    mixing = mixing_requested(cfg)
    tokenized = (with_decisions("WithNear", splits, {"near": near, "curated": split_numbers("Curated", p, planned["numbered"], curated["events"])})
                 | "Tokenize" >> TokenizeSplits(cfg, spill, plan, mixing))
    events.append(tokenized["events"])
    written.append(tokenized["written"])
    reports.append(tokenized[REPORT])
    token_files = split_numbers("TokenFiles", p, planned["numbered"], tokenized["events"]) | "SplitNumbers" >> beam.Keys()

    mix_plan = chosen = sampled_mix = None
    if mixing:
        mix_plan = meter("mix_histograms", tokenized["histograms"]) | "MixPlan" >> PlanMixFromHistograms(cfg.sources, cfg.mix)
        chosen = token_files | "MixWindows" >> ChooseInWindows(spill, mix_plan)
    layout = ShardLayout(cfg.seed, cfg.validation_fraction, cfg.shards.train, cfg.shards.validation)
    routed = token_files | "Route" >> RouteCopies(layout, spill, mix_plan, chosen)
    if mixing:
        sampled_mix = meter("mix_sampled", routed["sampled"]) | "Mix" >> CountSampledMix(mix_plan)
    shard_stats = meter("shard_stats", routed["routed"] | "Shard" >> WriteShards(layout, cfg.seq_len, dtype, paths.tmp, spill, plan))

    counts = meter("counts", events | "AllEvents" >> beam.Flatten()) | "Account" >> beam.CombinePerKey(sum_pairs)
    written = meter("output_files", written | "AllOutputFiles" >> beam.Flatten())
    report_parts = meter("report_parts", reports | "AllReportParts" >> beam.Flatten()) | "MergeReportParts" >> beam.CombinePerKey(MergeParts())
    commit_inputs = {"counts": counts, "shard_stats": shard_stats, "written": written,
                     "shuffle": meter.totals(p), "plan": plan, "report_parts": report_parts}
    if sampled_mix is not None:
        commit_inputs["sampled_mix"] = sampled_mix
    if eval_index is not None:
        commit_inputs["decontam_sets"] = eval_index | "EvalSetStats" >> beam.Map(index_stats)
        commit_inputs["decontam_found"] = (meter("decontam_found", curated[FOUND]) | "DistinctFound" >> beam.Distinct()
                                           | "FoundPerSet" >> beam.combiners.Count.PerKey())
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


def run(cfg: PipelineConfig, beam_args: list[str], workers: int = 1) -> dict:
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
    options = pipeline_options(beam_args, workers)
    if options.view_as(TestOptions).dry_run:
        return _dry_run(cfg, paths, options, tokenizer.dtype.name, started)
    p = _new_pipeline(options)  # an unknown runner is refused here, before the output is touched
    check_output(cfg)
    _clear_previous_output(paths)
    LOG.info("running %d source(s) into %s", len(cfg.sources), cfg.output)
    build_pipeline(p, cfg, paths, tokenizer.dtype.name, started)
    try:
        with _progress(paths, options):
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
    report = RunReport.from_json(read_json(paths.final("report.json")))
    cpu = _cpu_seconds(result)
    if cpu:  # known once the job is done: added by the driver to the committed report (and its page)
        report.cpu_seconds = cpu
        write_json(paths.final("report.json"), report.to_json())
        write_html_report(paths, report.to_json())
    return report.to_json()


def _cpu_seconds(result) -> dict:
    """{pass: CPU seconds} from the cpu:<pass>_ms counters (pipeline.transforms.progress.CpuClock), where the
    runner reports metrics; {} where it does not."""
    try:
        counters = result.metrics().query(MetricsFilter().with_namespace("cpu"))["counters"]
    except Exception:  # a runner without metrics support
        return {}
    totals: dict[str, float] = {}
    for c in counters:
        name = c.key.metric.name.removesuffix("_ms")
        totals[name] = totals.get(name, 0.0) + (c.committed or c.attempted or 0) / 1000
    return {name: round(v, 2) for name, v in sorted(totals.items())}


def _progress(paths: RunPaths, options: PipelineOptions):
    """The driver's progress line for a local run (pipeline.progress_report); nothing for a remote one."""
    if "://" in paths.output or options.view_as(StandardOptions).runner not in IN_PROCESS_RUNNERS:
        return contextlib.nullcontext()
    return ProgressReport(SpillPaths(paths.tmp).progress)


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

