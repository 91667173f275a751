"""`make bench`: every benchmark in turn, each printing its own table (copy them into bench/RESULTS.md).

Benchmarks compare side by side in one run against a limit or a peer and report ratios: the machine is
shared and noisy, so absolute numbers move between runs while ratios hold better.
"""
from __future__ import annotations

import importlib.util
import runpy
import sys

BENCHES = [
    "bench.bench_tokenize",
    "bench.bench_filters",
    "bench.bench_near_dedup",
    "bench.bench_loader",
    "bench.bench_train_step",
    "bench.bench_scaling",
]


def main() -> int:
    for name in BENCHES:
        if importlib.util.find_spec(name) is None:
            continue
        print(f"\n## {name}\n", flush=True)
        sys.argv = [name]
        runpy.run_module(name, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
