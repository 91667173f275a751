"""`tokenmill plan train TRAIN.yaml ...` and `tokenmill plan build CONFIG.yaml ...`: what a training run or a
data build will cost, before paying for it. Exit codes: 0 done; 2 bad config or usage; 1 a build sample failed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from pipeline.cli_common import FAILED, USAGE_ERROR, positive_int


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def parser() -> argparse.ArgumentParser:
    from trainer.hardware import BY_KEY

    p = argparse.ArgumentParser(prog="tokenmill plan", description="What a training run or a data build will cost.")
    sub = p.add_subparsers(dest="what", required=True)
    t = sub.add_parser("train", help="parameters, FLOPs, tokens vs the dataset and Chinchilla, GPU hours, memory")
    t.add_argument("config", help="trainer config (YAML); its `data:` must be a built dataset")
    t.add_argument("--gpus", type=positive_int, default=1, help="data-parallel processes (default 1)")
    t.add_argument("--gpu", choices=sorted(BY_KEY), help="accelerator (default: cpu for device: cpu, else h100)")
    mfu = t.add_mutually_exclusive_group()
    mfu.add_argument("--mfu", type=_fraction, help="model FLOPs utilisation to assume (default 0.4)")
    mfu.add_argument("--metrics", help="use the median `mfu` of a measured run: its metrics.jsonl or out_dir")
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a trainer config key by dotted path (repeatable)")
    t.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    b = sub.add_parser("build", help="run the pipeline on a sample, extrapolate tokens, CPU hours, wall time, disk")
    b.add_argument("config", help="pipeline config (YAML)")
    b.add_argument("--sample-mb", type=_positive_float, default=200.0,
                   help="MB of input text sampled per source (default 200); a half sample is run too")
    b.add_argument("--workers", type=positive_int, default=1, help="worker processes the full build will have")
    b.add_argument("--sample-workers", type=positive_int, default=1,
                   help="local worker processes for the sample runs (default 1: in-process, the steadiest measure)")
    b.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a pipeline config key by dotted path (repeatable)")
    b.add_argument("--work-dir", help="where the samples and their outputs go (default: a temporary folder, removed)")
    b.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:  # argparse already printed the usage error
        return 0 if e.code == 0 else USAGE_ERROR
    from pipeline.config_base import ConfigError
    from pipeline.plan.measure import SampleFailed

    try:
        if args.what == "train":
            plan, text = plan_train(args)
        else:
            from pipeline.plan.build_cli import plan_build

            plan, text = plan_build(args)
    except ConfigError as e:
        print(f"tokenmill plan {args.what}: {e}", file=sys.stderr)
        return USAGE_ERROR
    except SampleFailed as e:
        print(f"tokenmill plan {args.what}: failed: {e}", file=sys.stderr)
        return FAILED
    print(json.dumps(plan, indent=2, sort_keys=True) if args.json else text)
    return 0


def metrics_calibration(path: str) -> tuple[float, float | None]:
    """(median mfu, median peak FLOP/s it was measured against, if logged) of a run's metrics.jsonl."""
    from pipeline.config_base import ConfigError
    from pipeline.plan.train_plan import mfu_from_metrics
    from trainer.metrics import METRICS_FILE, read_metrics

    file = os.path.join(path, METRICS_FILE) if os.path.isdir(path) else path
    if not os.path.isfile(file):
        raise ConfigError(f"--metrics: no such file: {file}")
    records = read_metrics(file)
    mfu = mfu_from_metrics(records)
    if mfu is None or mfu <= 0:
        raise ConfigError(f"--metrics: {file} has no `mfu` values (a run without a known peak FLOP/s)")
    peaks = sorted(r["peak_flops"] for r in records if isinstance(r.get("peak_flops"), (int, float)))
    return mfu, (peaks[len(peaks) // 2] if peaks else None)


def host_memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def plan_train(args) -> tuple[dict, str]:
    from pipeline.config_base import ConfigError
    from pipeline.dataset.manifest import DatasetError, read_manifest
    from pipeline.plan.render import render_train
    from pipeline.plan.train_plan import DEFAULT_MFU, DatasetFacts, Hardware, plan_training
    from trainer.config import load_train_config
    from trainer.hardware import accelerator

    cfg = load_train_config(args.config, args.overrides)
    try:
        manifest = read_manifest(cfg.data)
    except DatasetError as e:
        raise ConfigError(f"data: {e}") from None
    data = DatasetFacts(seq_len=manifest.seq_len, vocab_size=manifest.vocab_size, train_rows=manifest.rows("train"),
                        validation_rows=manifest.rows("validation"),
                        source_repeats={n: float(row.repeats or 0.0) for n, row in manifest.sources.items()})
    acc = accelerator(args.gpu or ("cpu" if cfg.device == "cpu" else "h100"))
    peak = cfg.peak_tflops * 1e12 if cfg.peak_tflops else acc.peak_flops
    if args.mfu is not None:
        mfu, source = args.mfu, "--mfu"
    elif args.metrics:
        mfu, run_peak = metrics_calibration(args.metrics)
        source = f"measured in {args.metrics}"
        if peak is None and run_peak:
            # A CPU's peak is itself a measurement (a matmul probe) that moves with the machine's load: with
            # the calibrating run's own figure, peak x MFU is exactly the FLOP/s that run achieved.
            peak, source = run_peak, source + ", against its own peak"
    else:
        mfu, source = DEFAULT_MFU, "default"
    if peak is None:
        from trainer.metrics import cpu_peak_flops  # imports torch: CPUs publish no peak, it is measured

        peak = cpu_peak_flops()
    hw = Hardware(accelerator=acc, gpus=args.gpus, peak_flops=peak, memory_bytes=acc.memory_bytes or host_memory_bytes(),
                  mfu=mfu, mfu_source=source)
    plan = plan_training(cfg, data, hw)
    return plan, render_train(plan, args.config, cfg.data)
