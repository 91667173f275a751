"""Near-duplicate removal: quality on a labelled set, then documents/s and peak memory side by side
with datatrove's 4-stage MinHash deduplication (figures and how to read them: bench/RESULTS.md, "Deduplication").

    python -m bench.bench_near_dedup [--originals 500] [--scales 1 4 16] [--skip-quality] [--skip-speed]
                                     [--workers 1] [--no-datatrove] [--trace-calls]

Input from bench/near_dup_data.py. Every system reads the same JSONL; 5-word shingles, 112 permutations.
  ours        `tokenmill run` (pipeline.run.run) with dedup.near, on the FnApiRunner, multi_processing,
              --workers SDK workers; 14 x 8 bands, verified pairs, components in 32 unrolled rounds. The run
              also tokenizes the survivors and writes shards: its near-dedup share is the CPU seconds of its
              curate (signatures, band keys) and dedup_near passes, from report.json's cpu_seconds
  datatrove   MinhashDedupSignature -> ...Buckets -> ...Cluster -> ...Filter on LocalPipelineExecutor,
              14 x 8, one worker, each stage in its own process
  datasketch  MinHashLSH (quality only): its own bands for 0.8, and 14 x 8
Time: wall seconds inside each process (imports excluded) and CPU seconds of it and its children.
Memory: peak RSS (VmHWM from /proc: unlike ru_maxrss not inherited from the forking parent) of the
largest worker; ours beside a control on the same runner (the same run without near dedup), so the
difference is what near dedup itself costs. --trace-calls instead records the most memory one call of
each of our near-dedup DoFns needs (tracemalloc, in-process runner).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

from bench.near_dup_data import NGRAM, build_labelled_set, replicate, score, write_jsonl
from pipeline.dedup.shingles import word_shingles

NUM_PERM, BANDS, ROWS, THRESHOLD, SEED = 112, 14, 8, 0.8, 1
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json")
# The DoFns near dedup runs: signatures and band keys (curate pass), candidate verification per band bucket,
# connected components, and the tokenize pass that applies the decisions.
TRACED = ("_CurateSplitFn", "_VerifyBucketFn", "_LargeStarFn", "_CheckSettledFn", "_TokenizeSplitFn")
NEAR_PASSES = ("curate", "dedup_near")  # report.json cpu_seconds of the passes near dedup works in


def _vm_hwm_mb(pid="self") -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:  # the process is gone
        pass
    return 0.0


def _descendants(pid) -> list[str]:
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += f.read().split()
    except OSError:  # the process ended meanwhile
        pass
    return kids + [d for k in kids for d in _descendants(k)]


class _PeakRssOfWorkers(threading.Thread):
    """Polls the VmHWM of the processes under this one (the runner's SDK workers) until stopped."""

    def __init__(self, interval_s: float = 0.2):
        super().__init__(daemon=True)
        self.interval_s, self.peak_mb, self._stop_event = interval_s, 0.0, threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.peak_mb = max([self.peak_mb] + [_vm_hwm_mb(pid) for pid in _descendants(os.getpid())])
            self._stop_event.wait(self.interval_s)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak_mb


# ---------------------------------------------------------------- runs in child processes


def _trace_dofn_calls(classes) -> dict:
    """Wraps each DoFn's process to record the most memory one call allocated beyond what existed when
    it started, its outputs included (tracemalloc must be started)."""
    import functools
    import tracemalloc

    from pipeline.transforms.progress import TimedDoFn

    peaks = {}
    for cls in classes:
        def wrap(cls, original):
            @functools.wraps(original)  # Beam reads the signature (side inputs) through __wrapped__
            def process(self, *args, **kwargs):
                base = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                out = list(original(self, *args, **kwargs) or [])
                peaks[cls.__name__] = max(peaks.get(cls.__name__, 0), tracemalloc.get_traced_memory()[1] - base)
                return out
            return process

        # A TimedDoFn's work is in `run` (its `process` times it); any other DoFn's in `process`.
        method = "run" if issubclass(cls, TimedDoFn) else "process"
        setattr(cls, method, wrap(cls, getattr(cls, method)))
    return peaks


def run_config(kind: str, input_path: str, out_dir: str) -> dict:
    """The `tokenmill run` config of a benchmark run: one JSONL source; near dedup unless `control`."""
    near = {"threshold": THRESHOLD, "num_perm": NUM_PERM, "bands": BANDS, "rows": ROWS}
    return {"output": out_dir, "seed": SEED, "seq_len": 2048, "tokenizer": {"path": TOKENIZER},
            "validation_fraction": 0.0, "shards": {"train": 1, "validation": 1}, "write_curated": False,
            "sources": [{"name": "bench", "paths": [input_path], "id_field": "id"}],
            "dedup": {"near": near if kind != "control" else False}}


def _run_beam(kind: str, input_path: str, out_dir: str, workers: int) -> dict:
    """kind: `ours` (the whole run with near dedup; OUT/rejects/ holds the removed ids and their survivors),
    `control` (the same run without near dedup: what the rest of the run and the runner need) or `traced`
    (ours on the in-process runner under tracemalloc)."""
    import logging
    import tracemalloc

    from pipeline.config import build_config
    from pipeline.run import run
    from pipeline.transforms import components, curate_pass, dedup_near, tokenize_pass

    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    cfg = build_config(run_config(kind, input_path, out_dir))
    poller, peaks, beam_args = None, {}, []
    if kind == "traced":
        modules = (curate_pass, dedup_near, components, tokenize_pass)
        peaks = _trace_dofn_calls([next(getattr(m, n) for m in modules if hasattr(m, n)) for n in TRACED])
        tracemalloc.start()
    else:
        beam_args = ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]
        poller = _PeakRssOfWorkers()
        poller.start()
    start = time.perf_counter()
    report = run(cfg, beam_args)
    cpu = report.get("cpu_seconds", {})
    return {**_usage(start, poller), "peak_kb": {k: v / 1024 for k, v in peaks.items()},
            "near_cpu_s": sum(cpu.get(p, 0.0) for p in NEAR_PASSES), "cpu_seconds": cpu}


def _usage(start: float, poller: "_PeakRssOfWorkers | None" = None) -> dict:
    """Wall and CPU seconds; peak RSS of this process and of the largest worker process under it
    (this process itself when it has none)."""
    seconds = time.perf_counter() - start
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "worker_rss_mb": poller.stop() if poller else _vm_hwm_mb(),
            "runner_rss_mb": _vm_hwm_mb(), "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}


def _patch_datatrove_xxhash() -> None:
    """datatrove 0.10.1 hands str to xxhash, which xxhash >= 4 refuses; encode first (its fastest
    hash, rather than falling back to its slower sha1)."""
    import xxhash
    from datatrove.utils.hashes import xxhash as dt_xxhash

    dt_xxhash.xxhash64 = lambda data: xxhash.xxh64_intdigest(data.encode("utf-8") if isinstance(data, str) else data)
    dt_xxhash.xxhash32 = lambda data: xxhash.xxh32_intdigest(data.encode("utf-8") if isinstance(data, str) else data)


def _run_datatrove_stage(stage: int, input_path: str, work: str) -> dict:
    import logging

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    logging.disable(logging.WARNING)
    _patch_datatrove_xxhash()
    cfg = MinhashConfig(n_grams=NGRAM, num_buckets=BANDS, hashes_per_bucket=ROWS, seed=SEED,
                        hash_config=HashConfig(precision=64))
    folder, name = os.path.dirname(input_path), os.path.basename(input_path)
    read = lambda: JsonlReader(folder, glob_pattern=name, compression=None)
    steps = {
        1: ([read(), MinhashDedupSignature(output_folder=f"{work}/sigs", config=cfg)], 1),
        2: ([MinhashDedupBuckets(input_folder=f"{work}/sigs", output_folder=f"{work}/buckets", config=cfg)], BANDS),
        3: ([MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove", config=cfg,
                                 save_cluster_id=True)], 1),
        4: ([read(), MinhashDedupFilter(input_folder=f"{work}/remove", load_cluster_ids=True,
                                        exclusion_writer=JsonlWriter(f"{work}/removed", compression=None)),
             JsonlWriter(f"{work}/kept", compression=None)], 1),
    }
    pipeline, tasks = steps[stage]
    start = time.perf_counter()
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{work}/logs{stage}",
                          skip_completed=False).run()
    return _usage(start)


def _child(argv: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_near_dedup", *argv], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if out.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- clusters


def ours_clusters(out_dir: str, ids: list[str]) -> dict[str, str]:
    """{id: survivor id}: a removed document points to the id it duplicates, the rest to themselves."""
    import pyarrow.parquet as pq

    cluster = {i: i for i in ids}
    for path in glob.glob(os.path.join(out_dir, "rejects", "*.parquet")):
        for row in pq.read_table(path, columns=["id", "stage", "duplicate_of"]).to_pylist():
            if row["stage"] == "dedup_near":
                cluster[row["id"]] = row["duplicate_of"]
    return cluster


def datatrove_clusters(work: str, ids: list[str]) -> dict[str, str]:
    """{id: survivor id} from the cluster ids datatrove's filter attaches to kept and removed documents."""
    kept_by_cluster, cluster_of, removed = {}, {}, set()
    for kind in ("kept", "removed"):
        for path in glob.glob(os.path.join(work, kind, "*")):
            with open(path) as f:
                for line in f:
                    rec = json.loads(line)
                    cid = rec.get("metadata", {}).get("minhash_cluster_id", -1)
                    cluster_of[rec["id"]] = cid
                    if kind == "kept" and cid != -1:
                        kept_by_cluster[cid] = rec["id"]
                    if kind == "removed":
                        removed.add(rec["id"])
    return {i: (kept_by_cluster[cluster_of[i]] if i in removed else i) for i in ids}


def datasketch_clusters(docs, bands_rows) -> dict[str, str]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=bands_rows)
    sigs = {}
    for d in docs:
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        m.update_batch([s.encode("utf-8") for s in word_shingles(d.text, NGRAM)])
        sigs[d.id] = m
        lsh.insert(d.id, m)
    parent = {d.id: d.id for d in docs}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for d in docs:
        for other in lsh.query(sigs[d.id]):
            a, b = find(d.id), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)  # survivor: the smallest id, as ours
    return {i: find(i) for i in parent}


# ---------------------------------------------------------------- the benchmark


def run_quality(docs, pairs, work: str) -> list[tuple[str, dict]]:
    from datasketch.lsh import _optimal_param

    ids, shingles = [d.id for d in docs], {d.id: word_shingles(d.text, NGRAM) for d in docs}
    path = os.path.join(work, "docs-1x.jsonl")
    write_jsonl(docs, path)
    _child(["_beam", "ours", path, os.path.join(work, "ours-q"), "1"])
    _ = [_child(["_datatrove", str(s), path, os.path.join(work, "dt-q")]) for s in (1, 2, 3, 4)]
    own_choice = _optimal_param(THRESHOLD, NUM_PERM, 0.5, 0.5)
    return [
        ("ours (14x8, verified, distributed components)", score(ours_clusters(os.path.join(work, "ours-q"), ids), pairs, shingles)),
        ("datatrove 4-stage (14x8)", score(datatrove_clusters(os.path.join(work, "dt-q"), ids), pairs, shingles)),
        (f"datasketch MinHashLSH ({own_choice[0]}x{own_choice[1]}, its choice for 0.8)",
         score(datasketch_clusters(docs, own_choice), pairs, shingles)),
        ("datasketch MinHashLSH (14x8)", score(datasketch_clusters(docs, (BANDS, ROWS)), pairs, shingles)),
    ]


def run_speed(docs, scales: list[int], work: str, workers: int = 1, with_datatrove: bool = True) -> list[dict]:
    rows = []
    for scale in scales:
        path = os.path.join(work, f"docs-{scale}x.jsonl")
        data = replicate(docs, scale)
        write_jsonl(data, path)
        ours = _child(["_beam", "ours", path, os.path.join(work, f"ours-{scale}"), str(workers)])
        control = _child(["_beam", "control", path, os.path.join(work, f"control-{scale}"), str(workers)])
        stages = [_child(["_datatrove", str(s), path, os.path.join(work, f"dt-{scale}")])
                  for s in ((1, 2, 3, 4) if with_datatrove else ())]
        rows.append({"scale": scale, "docs": len(data), "mb": os.path.getsize(path) / 2**20, "ours": ours,
                     "control": control, "dt_s": sum(s["seconds"] for s in stages) or float("nan"),
                     "dt_cpu": sum(s["cpu_s"] for s in stages), "dt_mb": [round(s["worker_rss_mb"]) for s in stages]})
        print(f"  {scale}x done: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def print_speed(rows: list[dict]) -> None:
    print("| input | documents (MB) | ours s (whole run) | ours docs/s | datatrove s | datatrove docs/s "
          "| speed ratio ours/datatrove | CPU s ours / datatrove | ours CPU s in the near-dedup passes |"
          "\n|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        o = r["ours"]
        print(f"| {r['scale']}x | {r['docs']} ({r['mb']:.1f}) | {o['seconds']:.1f} | {r['docs'] / o['seconds']:.0f} | "
              f"{r['dt_s']:.1f} | {r['docs'] / r['dt_s']:.0f} | {r['dt_s'] / o['seconds']:.2f} | {o['cpu_s']:.0f} / {r['dt_cpu']:.0f} "
              f"| {o.get('near_cpu_s', 0.0):.1f} |")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        ours = (b["docs"] - a["docs"]) / (b["ours"]["seconds"] - a["ours"]["seconds"])
        dt = (b["docs"] - a["docs"]) / (b["dt_s"] - a["dt_s"])
        print(f"\nmarginal throughput {a['scale']}x -> {b['scale']}x (fixed start-up costs cancel): ours {ours:.0f} docs/s, "
              f"datatrove {dt:.0f} docs/s, ratio {ours / dt:.2f}")
    print("\n| input | ours: worker peak RSS MB | control: the same run without near dedup, MB "
          "| ours minus control | ours: runner (local shuffle) MB | datatrove: peak RSS per stage MB "
          "(signature, buckets, cluster, filter) |\n|---|---|---|---|---|---|")
    for r in rows:
        o, c = r["ours"]["worker_rss_mb"], r["control"]["worker_rss_mb"]
        print(f"| {r['scale']}x | {o:.0f} | {c:.0f} | {o - c:+.0f} | {r['ours']['runner_rss_mb']:.0f} | {r['dt_mb']} |")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_beam":
        print(json.dumps(_run_beam(argv[1], argv[2], argv[3], workers=int(argv[4]))))
        return 0
    if argv and argv[0] == "_datatrove":
        print(json.dumps(_run_datatrove_stage(int(argv[1]), argv[2], argv[3])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--originals", type=int, default=500)
    ap.add_argument("--scales", type=int, nargs="*", default=[1, 4, 16])
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="SDK worker processes of our runs")
    ap.add_argument("--no-datatrove", action="store_true", help="speed part: only ours and its control")
    ap.add_argument("--trace-calls", action="store_true",
                    help="instead of the speed part: the most memory one call of each of our DoFns needs (tracemalloc)")
    args = ap.parse_args(argv)
    docs, pairs = build_labelled_set(args.originals)
    n_pos, n_neg = sum(j >= 0.8 for j in pairs.values()), sum(j < 0.5 for j in pairs.values())
    print(f"labelled set: {len(docs)} documents from {args.originals} real originals; "
          f"{n_pos} pairs with Jaccard >= 0.8, {n_neg} pairs < 0.5\n")
    with tempfile.TemporaryDirectory(prefix="bench_near_") as work:
        if not args.skip_quality:
            print("| system | recall (J >= 0.8) | false merges (J < 0.5 pairs) | removed "
                  "| false removals (J < 0.5 with survivor) |\n|---|---|---|---|---|")
            for name, q in run_quality(docs, pairs, work):
                print(f"| {name} | {q['recall_ge_0.8']:.3f} | {q['false_merge_lt_0.5']:.4f} | {q['removed']} | "
                      f"{q['false_removals']} ({100 * q['false_removal_rate']:.2f}% of documents) |")
            print()
        if args.trace_calls:
            print("| input | documents | " + " | ".join(f"{n} KB" for n in TRACED) + " |\n|---|---|" + "---|" * len(TRACED))
            for scale in args.scales:
                path = os.path.join(work, f"docs-{scale}x.jsonl")
                write_jsonl(replicate(docs, scale), path)
                peaks = _child(["_beam", "traced", path, os.path.join(work, f"traced-{scale}"), "1"])["peak_kb"]
                print(f"| {scale}x | {len(docs) * scale} | " + " | ".join(f"{peaks.get(n, 0):.0f}" for n in TRACED) + " |",
                      flush=True)
        elif not args.skip_speed:
            print_speed(run_speed(docs, args.scales, work, args.workers, not args.no_datatrove))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
