"""Scaling of one `tokenmill run` across runners, on the same config:

    python -m bench.bench_scaling [--config examples/sample.yaml] [--modes inproc,multi2,portable]
                                  [--single-threaded-tokenizer]

  inproc     the default: Beam's FnApiRunner inside the `tokenmill` process, 1 SDK worker
  multi2     --direct_running_mode=multi_processing --direct_num_workers=2: 2 SDK worker processes
  portable   --runner=PortableRunner against Beam's local job service + an external SDK worker pool
             (deploy/local_job_server.py): the Flink topology on loopback, 1 SDK worker

Each mode runs `tokenmill run CONFIG --output TMP/<mode>` as a subprocess, as a user would, timed from
start to exit (`wall`); `pipeline` is the run's own time from report.json (without interpreter start-up
and imports). Throughput is documents read and kept tokens per wall second; `speed-up` is the in-process
wall time over the mode's. Every mode must produce byte-identical shards: the script checks that.
`--single-threaded-tokenizer` sets TOKENIZERS_PARALLELISM=false, so that a worker uses one core and
the worker count alone decides the parallelism.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = {
    "inproc": [],
    "multi2": ["--direct_running_mode=multi_processing", "--direct_num_workers=2"],
    "portable": None,  # filled in with the local cluster's endpoints
}


def run_once(config: str, output: str, beam_args: list[str], env: dict) -> dict:
    exe = os.path.join(os.path.dirname(sys.executable), "tokenmill")
    start = time.perf_counter()
    res = subprocess.run([exe, "run", config, "--output", output, "--", *beam_args],
                         capture_output=True, text=True, env=env, timeout=1800)
    wall = time.perf_counter() - start
    if res.returncode != 0:
        raise RuntimeError(f"tokenmill run failed ({beam_args}):\n{res.stderr[-3000:]}")
    report = json.load(open(os.path.join(output, "report.json")))
    manifest = json.load(open(os.path.join(output, "manifest.json")))
    return {"wall": wall, "pipeline": report["wall_seconds"], "documents": report["totals"]["read"],
            "tokens": report["totals"]["kept_tokens"], "splits": manifest["splits"]}


def same_shards(a: str, b: str, splits: dict) -> bool:
    for block in splits.values():
        for shard in block["shards"]:
            with open(os.path.join(a, shard["path"]), "rb") as fa, open(os.path.join(b, shard["path"]), "rb") as fb:
                if fa.read() != fb.read():
                    return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=os.path.join(REPO, "examples", "sample.yaml"))
    parser.add_argument("--modes", default="inproc,multi2,portable")
    parser.add_argument("--single-threaded-tokenizer", action="store_true")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    assert modes[0] == "inproc", "the first mode is the baseline and must be inproc"
    env = dict(os.environ)
    if args.single_threaded_tokenizer:
        env["TOKENIZERS_PARALLELISM"] = "false"

    sys.path.insert(0, REPO)  # deploy/ is not an installed package
    from deploy.local_job_server import LocalPortableCluster

    results, cluster_start = {}, None
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        for mode in modes:
            out = os.path.join(tmp, mode)
            if mode == "portable":
                start = time.perf_counter()
                with LocalPortableCluster(os.path.join(tmp, "cluster")) as cluster:
                    cluster_start = time.perf_counter() - start
                    results[mode] = run_once(args.config, out, cluster.beam_args, env)
            else:
                results[mode] = run_once(args.config, out, MODES[mode], env)
            print(f"{mode}: {results[mode]['wall']:.1f}s", file=sys.stderr, flush=True)
            assert results[mode]["splits"] == results["inproc"]["splits"], f"{mode}: different manifest"
            assert same_shards(os.path.join(tmp, "inproc"), out, results[mode]["splits"]), f"{mode}: different shards"
        shutil.rmtree(os.path.join(tmp, "cluster"), ignore_errors=True)

    base = results["inproc"]["wall"]
    first = results["inproc"]
    shown = os.path.relpath(args.config, REPO) if os.path.abspath(args.config).startswith(REPO) else args.config
    print(f"config: {shown}; {first['documents']:,} documents read, "
          f"{first['tokens']:,} kept tokens; tokenizer threads: "
          f"{'1 per worker' if args.single_threaded_tokenizer else 'default (all cores per worker)'}\n")
    print("| mode | SDK workers | wall s | pipeline s | documents/s | tokens/s | speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for mode, r in results.items():
        workers = 2 if mode == "multi2" else 1
        print(f"| {mode} | {workers} | {r['wall']:.1f} | {r['pipeline']:.1f} | {r['documents'] / r['wall']:,.0f} | "
              f"{r['tokens'] / r['wall']:,.0f} | {base / r['wall']:.2f} |")
    if cluster_start is not None:
        print(f"\nlocal job service + worker pool start-up (not in the portable row): {cluster_start:.1f}s")
    print("all modes: byte-identical shards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
