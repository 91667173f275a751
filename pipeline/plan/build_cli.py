"""`tokenmill plan build CONFIG.yaml`: sample each source (pipeline.plan.sample), run the real pipeline on a half
and a full sample (pipeline.plan.measure), list the full input, and extrapolate (pipeline.plan.build_plan)."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile

MB = 10**6
SAMPLE_SHARDS = {"train": 4, "validation": 1}  # at most: a sample's tails and rows stay sensible


def full_input(cfg):
    """Every input file's size, and the splits and key buckets the pipeline will plan for them."""
    from pipeline.fileio import open_raw
    from pipeline.plan.extrapolate import FullInput
    from pipeline.plan.sample import list_inputs
    from pipeline.readers import plan_splits
    from pipeline.readers.streams import is_compressed
    from pipeline.transforms.split_pass import COMPRESSED_RATIO, SplitPlan

    stored, files, sized = {}, {}, []
    for source in cfg.sources:
        listed = list_inputs(source)
        stored[source.name] = sum(f.size for f in listed)
        files[source.name] = len(listed)
        for f in listed:
            splits = plan_splits(source.name, source.format, f.path, f.rel_path, f.size, open_raw)
            for s in splits:
                n = (s.end - s.start) if s.end is not None and source.format == "jsonl" else f.size // len(splits)
                sized.append((s, n))
    text = sum(n * (COMPRESSED_RATIO if is_compressed(s.path) else 1) for s, n in sized)
    plan = SplitPlan(len(sized), sum(n for _, n in sized), text)
    return FullInput(stored_bytes=stored, files=files, splits=plan.splits,
                     largest_split_bytes=max((n for _, n in sized), default=0), buckets=plan.buckets)


def derived_config(cfg, samples: dict, output: str) -> dict:
    """The config run on a sample: its sources' paths point at the sample, mix.total_tokens is left out
    (the mix is applied to the extrapolated sizes), and at most SAMPLE_SHARDS shards are written."""
    raw = cfg.model_dump(mode="json")
    raw["output"] = output
    for source in raw["sources"]:
        source["paths"] = samples[source["name"]].patterns
    raw["mix"]["total_tokens"] = None
    raw["shards"] = {k: min(raw["shards"][k], n) for k, n in SAMPLE_SHARDS.items()}
    return raw


def measure_sample(cfg, label: str, budget: int, work: str, workers: int):
    from pipeline.plan.measure import run_sample
    from pipeline.plan.sample import sample_source

    folder = os.path.join(work, label)
    shutil.rmtree(folder, ignore_errors=True)
    samples = {s.name: sample_source(s, budget, os.path.join(folder, "inputs")) for s in cfg.sources}
    config = derived_config(cfg, samples, os.path.join(folder, "out"))
    print(f"plan build: running the pipeline on the {label} sample ({sum(s.text_bytes for s in samples.values()) / MB:,.1f} "
          f"MB of input text)", file=sys.stderr, flush=True)
    return run_sample(label, config, workers, folder, {n: s.stored_bytes for n, s in samples.items()},
                      {n: s.text_bytes for n, s in samples.items()})


def plan_build(args) -> tuple[dict, str]:
    from pipeline.config import load_config, mixing_requested
    from pipeline.plan.build_plan import plan_build as build
    from pipeline.plan.render import render_build

    cfg = load_config(args.config, args.overrides)
    work = args.work_dir or tempfile.mkdtemp(prefix="tokenmill-plan-")
    os.makedirs(work, exist_ok=True)
    try:
        total = full_input(cfg)
        budget = int(args.sample_mb * MB)
        half = measure_sample(cfg, "half", budget // 2, work, args.sample_workers)
        full = measure_sample(cfg, "full", budget, work, args.sample_workers)
        plan = build(cfg, half, full, total, args.workers, mixing_requested(cfg))
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    plan["sample_mb"] = args.sample_mb
    return plan, render_build(plan, args.config)
