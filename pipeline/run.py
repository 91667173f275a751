"""`tokenmill run`: check everything, run the job (pipeline.job_graph builds it), read back its report.

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

from pipeline.config import PipelineConfig
from pipeline.config_base import ConfigError
from pipeline.fileio import read_json, write_json
from pipeline.job_graph import build_pipeline
from pipeline.output_safety import check_output, clear_staging
from pipeline.preflight import check_beam_options
from pipeline.progress_report import ProgressReport
from pipeline.run_report import RunReport
from pipeline.spill import SpillPaths
from pipeline.transforms.commit import RunPaths, write_html_report
from pipeline.transforms.split_pass import load_tokenizer

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


def _clear_previous_output(paths: RunPaths) -> None:
    # Only the staging area: the previous dataset's files go in the commit step (pipeline.output_safety).
    clear_staging(paths.output)


def run(cfg: PipelineConfig, beam_args: list[str], workers: int = 1) -> dict:
    """Runs the whole job; returns the report. Raises ConfigError (exit 2) or RunFailed (exit 1)."""
    started = time.time()
    try:
        tokenizer = load_tokenizer(cfg.tokenizer)
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

