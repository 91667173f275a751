"""Tokenize + global shuffle into training shards: tokenmill against datatrove, same input, same machine:

    python -m bench.bench_vs_datatrove [--size-mb 200] [--workers 2] [--base REPO_PATH] [--json PATH] [--keep]

What it measures: the wall time, the tokens written, tokens/s and the peak RSS of the whole process tree
(driver and every worker it starts, summed every 0.2 s through bench_memory.tree_rss) of each of these
runs over the same input, each run a subprocess:

  tokenmill, workers=1 and workers=N: `python -m pipeline.cli run CONFIG --output OUT --workers W` with
      PYTHONPATH at the checkout holding this file. The config has no dedup and no filters, the
      gpt-neox-20b tokenizer of examples/tokenizers (EOS "<|endoftext|>" after every document),
      seq_len 1024, shards {train: 8, validation: 1}, validation_fraction 0.01, write_curated false.
      Tokens: the report's kept_tokens total (document tokens, EOS included, before packing drops the
      tails; the tokens in the shards, manifest train + validation, are in the JSON as shard_tokens).
  before, workers=1 and workers=N (with --base REPO_PATH, a checkout of another commit): the same, its
      code on PYTHONPATH. A CLI without --workers gets nothing (in-process) for 1 and
      `-- --direct_running_mode=multi_processing --direct_num_workers=N` for N.
  datatrove, tasks=N, workers=N: two LocalPipelineExecutor runs, as datatrove's own recipe for
      tokenized training data does it: JsonlReader(*.jsonl.gz) -> DocumentTokenizer(same tokenizer.json,
      same EOS, documents shuffled within each task's file), then DocumentTokenizerMerger(shuffle=True)
      (tasks=1: datatrove requires it) into one merged file. Wall is the sum of the two, peak RSS the
      larger. Tokens: the size of the merged .ds files over the token size (2 bytes, uint16).
      datatrove splits work by input file (16 MB of text each), so N tasks balance only when there
      are several files per task.

"vs datatrove" is each row's tokens/s over datatrove's. The work is close but not identical: tokenmill
also packs rows of seq_len, splits off validation, writes Arrow shards and a report; datatrove writes
flat token files with a document index. Neither pins cores: every run may use every core of the machine
(HF tokenizers' own threads included); N sets only how many worker processes each starts.

The input is bench_memory's synthetic FineWeb-like gzipped JSONL (--size-mb MB of UTF-8 text), built
once and cached under /tmp/tokenmill-bench/memory; outputs, configs and logs go under
/tmp/tokenmill-bench/vs_datatrove. The table is printed in markdown; the rows go to --json.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from bench.bench_memory import DEFAULT_CACHE as INPUT_CACHE, MB, SAMPLE_EVERY_S, SEED, TOKENIZER, build_input, tree_rss

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EOS = "<|endoftext|>"
WORK = "/tmp/tokenmill-bench/vs_datatrove"
DEFAULT_JSON = "/tmp/tokenmill-bench/vs_datatrove.json"


# --- running and sampling -------------------------------------------------------------------------

def measured(cmd: list[str], repo: str, log_path: str, timeout_s: float) -> tuple[int, int, float]:
    """(exit code, peak RSS of the process tree in bytes, wall seconds) of cmd, run in repo with only
    repo on PYTHONPATH, offline, its output in log_path; killed (its own session) after timeout_s."""
    env = dict(os.environ, PYTHONPATH=repo, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    with open(log_path, "w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=repo, env=env, start_new_session=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            if time.perf_counter() - start > timeout_s:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                print(f"\nbench_vs_datatrove: killed after {timeout_s:.0f}s", file=log, flush=True)
                break
            time.sleep(SAMPLE_EVERY_S)
        return proc.returncode, peak, time.perf_counter() - start


def failed(row: dict, rc: int, log: str) -> dict:
    with open(log, errors="replace") as f:
        tail = f.read()[-3000:]
    print(f"\n!! {row['row']} failed (exit {rc}); last lines of {log}:\n{tail}\n", file=sys.stderr)
    return row | {"ok": False, "exit_code": rc}


def code_version(repo: str) -> str:
    def git(*args):
        return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True).stdout.strip()

    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


# --- tokenmill ------------------------------------------------------------------------------------

def write_config(data_dir: str, folder: str) -> str:
    config = {
        "output": os.path.join(folder, "out"),  # overridden with --output
        "seed": SEED, "seq_len": 1024,
        "tokenizer": {"path": TOKENIZER, "eos": EOS},
        "validation_fraction": 0.01, "shards": {"train": 8, "validation": 1}, "write_curated": False,
        "sources": [{"name": "web", "paths": [os.path.join(data_dir, "*.jsonl.gz")], "format": "jsonl", "id_field": "id"}],
        "filters": [], "dedup": {},
    }
    path = os.path.join(folder, "config.yaml")  # JSON is YAML
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    return path


def has_workers_flag(repo: str) -> bool:
    help_text = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--help"], cwd=repo, capture_output=True,
                               text=True, env=dict(os.environ, PYTHONPATH=repo)).stdout
    return "--workers" in help_text


def tokenmill_row(label: str, repo: str, workers: int, config: str, folder: str, keep: bool, timeout_s: float) -> dict:
    name = f"{label}-w{workers}"
    out, log = os.path.join(folder, name), os.path.join(folder, "logs", f"{name}.log")
    shutil.rmtree(out, ignore_errors=True)
    if has_workers_flag(repo):
        extra = ["--workers", str(workers)]
    else:
        extra = ["--", "--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"] if workers > 1 else []
    cmd = [sys.executable, "-m", "pipeline.cli", "run", config, "--output", out, *extra]
    row = {"row": f"{label}, workers={workers}", "tool": label, "workers": workers, "code": code_version(repo),
           "args": extra, "log": log}
    rc, peak, wall = measured(cmd, repo, log, timeout_s)
    row |= {"wall_s": round(wall, 2), "peak_rss_bytes": peak}
    if rc != 0:
        return failed(row, rc, log)
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    with open(os.path.join(out, "manifest.json")) as f:
        splits = json.load(f)["splits"]
    kept = report.get("totals", {}).get("kept_tokens")
    if kept is None:  # no totals entry: sum the sources
        kept = sum(s["kept_tokens"] for s in report["sources"].values())
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return row | {"ok": True, "tokens": kept, "shard_tokens": sum(s["tokens"] for s in splits.values()),
                  "pipeline_s": report.get("wall_seconds")}


# --- datatrove ------------------------------------------------------------------------------------

def datatrove_stage(stage: str, data_dir: str, work: str, tasks: int) -> None:
    """`_datatrove tokenize|merge DATA WORK TASKS`: one datatrove executor, in this process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.tokens import DocumentTokenizer, DocumentTokenizerMerger

    tokenized, logs = os.path.join(work, "tokenized"), os.path.join(work, f"logs-{stage}")
    if stage == "tokenize":
        params = inspect.signature(DocumentTokenizer).parameters
        shuffle = {("shuffle_documents" if "shuffle_documents" in params else "shuffle"): True}
        # an existing path: datatrove loads it with Tokenizer.from_file, no hub call
        steps = [JsonlReader(data_dir, glob_pattern="*.jsonl.gz"),
                 DocumentTokenizer(tokenized, tokenizer_name_or_path=TOKENIZER, eos_token=EOS, seed=SEED, **shuffle)]
        LocalPipelineExecutor(steps, tasks=tasks, workers=tasks, logging_dir=logs).run()
    else:
        steps = [DocumentTokenizerMerger(tokenized, os.path.join(work, "merged"), save_filename="merged", shuffle=True, seed=SEED)]
        LocalPipelineExecutor(steps, tasks=1, workers=1, logging_dir=logs).run()


def ds_tokens(folder: str) -> int:
    """Tokens in the .ds files of folder: bytes over the token size its .metadata names ('name|2')."""
    total = 0
    for name in os.listdir(folder):
        if name.endswith(".ds"):
            token_size = 2
            if os.path.exists(os.path.join(folder, name + ".metadata")):
                with open(os.path.join(folder, name + ".metadata")) as f:
                    token_size = int(f.readline().strip().rsplit("|", 1)[-1])
            total += os.path.getsize(os.path.join(folder, name)) // token_size
    return total


def datatrove_row(workers: int, data_dir: str, folder: str, keep: bool, timeout_s: float) -> dict:
    work = os.path.join(folder, f"datatrove-w{workers}")
    shutil.rmtree(work, ignore_errors=True)  # its logging folders would make datatrove skip "completed" tasks
    os.makedirs(work)
    row = {"row": f"datatrove, tasks=workers={workers}", "tool": "datatrove", "workers": workers, "stages": {}}
    try:
        row["code"] = f"datatrove {importlib.metadata.version('datatrove')}"
    except importlib.metadata.PackageNotFoundError:
        row["code"] = "datatrove (not installed here)"
    wall, peak = 0.0, 0
    for stage in ("tokenize", "merge"):
        log = os.path.join(folder, "logs", f"datatrove-w{workers}-{stage}.log")
        row["log"] = log
        cmd = [sys.executable, "-m", "bench.bench_vs_datatrove", "_datatrove", stage, data_dir, work, str(workers)]
        rc, stage_peak, stage_wall = measured(cmd, REPO, log, timeout_s)
        row["stages"][stage] = {"wall_s": round(stage_wall, 2), "peak_rss_bytes": stage_peak}
        wall, peak = wall + stage_wall, max(peak, stage_peak)
        row |= {"wall_s": round(wall, 2), "peak_rss_bytes": peak}
        if rc != 0:
            return failed(row, rc, log)
    row |= {"ok": True, "tokens": ds_tokens(os.path.join(work, "merged"))}
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return row


# --- report ---------------------------------------------------------------------------------------

def markdown(rows: list[dict]) -> str:
    lines = ["| run | code | wall s | tokens | tokens/s | peak RSS MB | tokens/s vs datatrove |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if not r["ok"]:
            lines.append(f"| {r['row']} | {r['code']} | FAILED (exit {r['exit_code']}, see {r['log']}) | | | | |")
            continue
        ratio = "n/a" if r.get("vs_datatrove") is None else f"{r['vs_datatrove']:.2f}x"
        lines.append(f"| {r['row']} | {r['code']} | {r['wall_s']:.1f} | {r['tokens']:,} | {r['tokens_per_s']:,.0f} | "
                     f"{r['peak_rss_bytes'] / MB:,.0f} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_datatrove"]:
        datatrove_stage(*argv[1:4], int(argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=200, help="MB (10^6 bytes) of text in the input")
    parser.add_argument("--workers", type=int, default=2, help="N: worker processes of the multi-worker rows")
    parser.add_argument("--base", default=None, help="a checkout of another commit, measured as 'before'")
    parser.add_argument("--json", default=DEFAULT_JSON)
    parser.add_argument("--keep", action="store_true", help=f"keep every run's output under {WORK}")
    parser.add_argument("--timeout-s", type=float, default=3600, help="per run (datatrove: per stage)")
    args = parser.parse_args(argv)

    data_dir, stats = build_input(args.size_mb, INPUT_CACHE)
    folder = os.path.join(WORK, f"{args.size_mb}mb")
    os.makedirs(os.path.join(folder, "logs"), exist_ok=True)
    config = write_config(data_dir, folder)
    print(f"input: {args.size_mb} MB of text, {stats['documents']:,} documents in {stats['files']} file(s) "
          f"({data_dir}); work, logs: {folder}", file=sys.stderr)

    plan = [("tokenmill", REPO, 1), ("tokenmill", REPO, args.workers)]
    if args.base:
        plan += [("before", os.path.abspath(args.base), 1), ("before", os.path.abspath(args.base), args.workers)]
    rows = []
    for label, repo, workers in plan:
        rows.append(tokenmill_row(label, repo, workers, config, folder, args.keep, args.timeout_s))
        print(f"{rows[-1]['row']}: {'ok' if rows[-1]['ok'] else 'FAILED'}, {rows[-1]['wall_s']:.1f}s", file=sys.stderr, flush=True)
    rows.append(datatrove_row(args.workers, data_dir, folder, args.keep, args.timeout_s))
    print(f"{rows[-1]['row']}: {'ok' if rows[-1]['ok'] else 'FAILED'}, {rows[-1]['wall_s']:.1f}s", file=sys.stderr, flush=True)

    for r in rows:
        if r["ok"]:
            r["tokens_per_s"] = round(r["tokens"] / r["wall_s"], 1)
    reference = rows[-1].get("tokens_per_s")
    for r in rows:
        r["vs_datatrove"] = round(r["tokens_per_s"] / reference, 3) if reference and r["ok"] else None

    print(f"\ntokenize + global shuffle, {args.size_mb} MB of text ({stats['documents']:,} documents, "
          f"{stats['files']} file(s)), N={args.workers}, gpt-neox-20b, {os.cpu_count()} cores\n")
    print(markdown(rows))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"size_mb": args.size_mb, "input": data_dir, "input_stats": stats, "workers": args.workers,
                   "cores": os.cpu_count(), "rows": rows}, f, indent=1)
    print(f"\nresults: {args.json}", file=sys.stderr)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
