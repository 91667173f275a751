"""`make bench`: every benchmark in turn, each printing its own table (copy them into bench/RESULTS.md).

Benchmarks compare side by side in one run against a limit or a peer and report ratios: the machine is
shared and noisy, so absolute numbers move between runs while ratios hold better.
"""
from __future__ import annotations

import importlib.util
import runpy
import sys

# (module, its arguments): the commands whose figures are in bench/RESULTS.md.
BENCHES = [
    ("bench.bench_tokenize", []),
    ("bench.bench_filters", ["agreement", "--docs-per-file", "0"]),
    ("bench.bench_filters", ["cpu"]),
    ("bench.bench_filters", ["throughput", "--workers", "2"]),
    ("bench.bench_filters", ["lid"]),
    ("bench.bench_filters", ["quality"]),
    ("bench.bench_near_dedup", ["--originals", "1000", "--skip-speed"]),
    ("bench.bench_near_dedup", ["--originals", "500", "--skip-quality", "--scales", "1", "4", "16"]),
    ("bench.bench_decontam", []),
    ("bench.bench_mix", []),
    ("bench.bench_loader", []),
    ("bench.bench_train_step", []),
    ("bench.bench_scaling", []),
]


def main() -> int:
    for name, args in BENCHES:
        if importlib.util.find_spec(name) is None:
            continue
        print(f"\n## python -m {' '.join([name, *args])}\n", flush=True)
        sys.argv = [name, *args]
        try:
            runpy.run_module(name, run_name="__main__", alter_sys=True)
        except SystemExit as e:  # a benchmark's own exit; go on with the next one
            if e.code not in (0, None):
                print(f"{name} exited with {e.code}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
