"""`tokenmill plan` against real runs on this machine:

    python -m bench.bench_plan [--part train|build|both] [--sample-mb 50] [--full-mb 200] [--steps 6]
                               [--cache DIR] [--json PATH]

train: examples/train_tiny_cpu.yaml for --steps steps on a small built dataset (GPT-NeoX tokens of
Shakespeare, seq_len 1024), measured in a fresh process (tests/plan/measured.py: resident memory the
run added, median step time), then `tokenmill plan train ... --metrics RUN` (calibrated with the MFU that
run measured). The same MFU then predicts two other runs (batch 4; a 4 x 256 model), also measured: how
far a calibration carries to other shapes. Targets: memory within 25%, step time within 2x.

build: the FineWeb-like recipe of bench/bench_memory.py (url + exact + lines + near dedup, Gopher filters,
GPT-NeoX, seq_len 1024) on --full-mb MB of generated text. `tokenmill plan build --sample-mb S` predicts
the full build from a sample of S MB (and S/2); then the real `tokenmill run` on all of it is measured
(wall time, peak RSS of the process tree, the manifest's tokens, the report's shuffle bytes, the output's
size). Both with one worker (the in-process runner). Targets: output tokens within 5%, wall time within 1.5x.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench.bench_memory import build_input, code_version, write_recipe  # noqa: E402
from pipeline.plan.measure import run_process  # noqa: E402
from tests.plan.measured import measure_training  # noqa: E402
from tests.trainer.dataset_fixture import build_dataset  # noqa: E402

PRESET = os.path.join(REPO, "examples", "train_tiny_cpu.yaml")
DEFAULT_CACHE = "/tmp/tokenmill-bench/plan"
MB = 10**6


def _cli(args: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, env=env, capture_output=True,
                         text=True)
    if out.returncode:
        raise RuntimeError(f"tokenmill {' '.join(args)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def bench_train(cache: str, steps: int) -> dict:
    data = os.path.join(cache, "ds1024")
    if not os.path.exists(os.path.join(data, "manifest.json")):
        build_dataset(data, seq_len=1024, train_shards=2, validation_shards=1, train_rows=120)
    base = [f"data={data}", f"max_steps={steps}", "eval_every=0", "checkpoint_every=0", "plot=false"]
    runs = {"tiny preset (calibration)": [], "tiny preset, batch 4": ["batch_size=4"],
            "4 layers x 256, batch 2": ["model.n_layer=4", "model.n_head=4", "model.n_embd=256", "lr=1e-3", "min_lr=1e-4"]}
    rows, calibration = [], None
    for i, (name, extra) in enumerate(runs.items()):
        overrides = base + extra + [f"out_dir={os.path.join(cache, f'run{i}')}"]
        subprocess.run(["rm", "-rf", os.path.join(cache, f"run{i}")], check=True)
        measured = measure_training(PRESET, overrides)
        calibration = calibration or os.path.join(cache, "run0")
        plan = _cli(["plan", "train", PRESET, *[a for o in overrides for a in ("--set", o)], "--metrics", calibration,
                     "--json"])
        rows.append({"run": name, "planned_memory_bytes": plan["memory_per_gpu_bytes"],
                     "measured_memory_bytes": measured["added_bytes"],
                     "memory_ratio": plan["memory_per_gpu_bytes"] / measured["added_bytes"],
                     "planned_step_s": plan["seconds_per_step"], "measured_step_s": measured["step_seconds"],
                     "step_ratio": plan["seconds_per_step"] / measured["step_seconds"], "mfu": plan["mfu"],
                     "parameters": plan["parameters"]})
        print(f"train: {name}: memory x{rows[-1]['memory_ratio']:.2f}, step x{rows[-1]['step_ratio']:.2f}",
              file=sys.stderr, flush=True)
    return {"steps": steps, "runs": rows}


def bench_build(cache: str, sample_mb: float, full_mb: int) -> dict:
    data_dir, stats = build_input(full_mb, os.path.join(cache, "data"))
    recipe = write_recipe(data_dir)
    t0 = time.perf_counter()
    plan = _cli(["plan", "build", recipe, "--sample-mb", str(sample_mb), "--workers", "1", "--json"])
    plan_s = time.perf_counter() - t0
    print(f"build: plan took {plan_s:.0f} s; predicted {plan['output_tokens']:,} tokens, "
          f"{plan['wall_hours'] * 3600:.0f} s", file=sys.stderr, flush=True)
    out = os.path.join(cache, "real-out")
    subprocess.run(["rm", "-rf", out], check=True)
    log = os.path.join(cache, "real-run.log")
    rc, wall, cpu, peak = run_process([sys.executable, "-m", "pipeline.cli", "run", recipe, "--output", out,
                                       "--workers", "1"], log, timeout_s=4 * 3600)
    if rc:
        raise RuntimeError(f"the real run failed ({rc}); see {log}")
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    tokens = manifest["splits"]["train"]["tokens"] + manifest["splits"]["validation"]["tokens"]
    disk = sum(os.path.getsize(os.path.join(d, n)) for d, _, files in os.walk(out) for n in files)
    source = report["sources"]["web"]
    return {
        "input": stats, "sample_mb": sample_mb, "plan_seconds": plan_s,
        "planned": {k: plan[k] for k in ("output_tokens", "output_tokens_range", "wall_hours", "wall_hours_range",
                                         "cpu_hours", "cpu_hours_range", "cpu_hours_by_pass", "shuffle_bytes", "output_bytes", "peak_memory_bytes",
                                         "recommended_shards_train", "input_bytes", "input_text_bytes_estimate")},
        "planned_sources": plan["sources"], "sample": plan["sample"],
        "real": {"output_tokens": tokens, "wall_s": wall, "cpu_s": cpu, "peak_rss_bytes": peak,
                 "shuffle_bytes": report.get("shuffle", {}).get("total"), "output_bytes": disk,
                 "cpu_seconds": report.get("cpu_seconds"), "keep_rate_documents": source["kept"] / source["read"],
                 "duplicate_rate": source["duplicates"] / source["read"]},
        "tokens_ratio": plan["output_tokens"] / tokens,
        "wall_ratio": plan["wall_hours"] * 3600 / wall,
        "cpu_ratio": plan["cpu_hours"] * 3600 / cpu,
    }


def markdown(result: dict) -> str:
    lines = []
    if "train" in result:
        lines += ["| run | params | planned memory MB | measured MB | ratio | planned step s | measured s | ratio |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in result["train"]["runs"]:
            lines.append(f"| {r['run']} | {r['parameters'] / 1e6:.1f}M | {r['planned_memory_bytes'] / MB:,.0f} | "
                         f"{r['measured_memory_bytes'] / MB:,.0f} | {r['memory_ratio']:.2f} | {r['planned_step_s']:.2f} | "
                         f"{r['measured_step_s']:.2f} | {r['step_ratio']:.2f} |")
        lines.append("")
    if "build" in result:
        b, p, r = result["build"], result["build"]["planned"], result["build"]["real"]
        lines += ["| figure | planned (range) | real | ratio |", "|---|---:|---:|---:|",
                  f"| output tokens | {p['output_tokens']:,} ({p['output_tokens_range'][0]:,}-{p['output_tokens_range'][1]:,}) "
                  f"| {r['output_tokens']:,} | {b['tokens_ratio']:.3f} |",
                  f"| wall s, 1 worker | {p['wall_hours'] * 3600:,.0f} ({p['wall_hours_range'][0] * 3600:,.0f}-"
                  f"{p['wall_hours_range'][1] * 3600:,.0f}) | {r['wall_s']:,.0f} | {b['wall_ratio']:.2f} |",
                  f"| shuffle bytes | {p['shuffle_bytes']:,} | {r['shuffle_bytes']:,} | "
                  f"{p['shuffle_bytes'] / r['shuffle_bytes']:.2f} |",
                  f"| output bytes | {p['output_bytes']:,} | {r['output_bytes']:,} | "
                  f"{p['output_bytes'] / r['output_bytes']:.2f} |",
                  f"| peak RSS MB (local runner) | {p['peak_memory_bytes']['local_runner_full_size'] / MB:,.0f} | "
                  f"{r['peak_rss_bytes'] / MB:,.0f} | "
                  f"{p['peak_memory_bytes']['local_runner_full_size'] / r['peak_rss_bytes']:.2f} |",
                  f"| CPU s, process tree | {p['cpu_hours'] * 3600:,.0f} ({p['cpu_hours_range'][0] * 3600:,.0f}-"
                  f"{p['cpu_hours_range'][1] * 3600:,.0f}) | {r['cpu_s']:,.0f} | {b['cpu_ratio']:.2f} |",
                  f"| CPU s, timed passes | {sum(p['cpu_hours_by_pass'].values()) * 3600:,.0f} | "
                  f"{sum(r['cpu_seconds'].values()):,.0f} | "
                  f"{sum(p['cpu_hours_by_pass'].values()) * 3600 / sum(r['cpu_seconds'].values()):.2f} |"]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["train", "build", "both"], default="both")
    ap.add_argument("--sample-mb", type=float, default=50)
    ap.add_argument("--full-mb", type=int, default=200)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    os.makedirs(args.cache, exist_ok=True)
    result = {"code": code_version(), "load_before": os.getloadavg()}
    if args.part in ("train", "both"):
        result["train"] = bench_train(args.cache, args.steps)
    if args.part in ("build", "both"):
        result["build"] = bench_build(args.cache, args.sample_mb, args.full_mb)
    result["load_after"] = os.getloadavg()
    print(f"code {result['code']}, load average {result['load_before'][0]:.1f} before, {result['load_after'][0]:.1f} after\n")
    print(markdown(result))
    with open(args.json or os.path.join(args.cache, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
