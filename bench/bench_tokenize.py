"""Tokenization throughput: the pipeline against raw `Tokenizer.encode_batch` on the same text.

    python -m bench.bench_tokenize [--repeat 2]

Measured side by side in one process, same machine, same texts (every JSONL document of the bundled
sample, repeated `--repeat` times under distinct ids):
  limit    raw tokenizers `encode_batch` over the texts already in memory (batches of 256), EOS appended
  pass     the tokenize pass of a `tokenmill run` (read the split's curated spill, encode in batches, write
           the token file and its index): its CPU seconds, from report.json's cpu_seconds
  run      the whole `tokenmill run` (read, tokenize, route, pack, write shards, report), in-process and with
           2 worker processes
Tokenizers encode a batch on several threads, so wall and CPU seconds differ; the ratio to the limit is
taken per CPU second, which every row has (a whole run: this process's and its worker processes').
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import resource
import shutil
import tempfile
import time

from tokenizers import Tokenizer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json")


def make_input(folder: str, repeat: int) -> list[str]:
    texts = []
    for path in sorted(glob.glob(os.path.join(REPO, "examples", "data", "*", "*.jsonl.gz"))):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f]
    with gzip.open(os.path.join(folder, "input.jsonl.gz"), "wt", encoding="utf-8") as out:
        for r in range(repeat):
            for i, t in enumerate(texts):
                out.write(json.dumps({"id": f"{r}-{i}", "text": t}) + "\n")
    return texts * repeat


def raw_limit(texts: list[str]) -> tuple[float, float, int]:
    tok = Tokenizer.from_file(TOKENIZER)
    tok.encode_special_tokens = True
    eos = tok.token_to_id("<|endoftext|>")
    start, cpu, n = time.perf_counter(), time.process_time(), 0
    for i in range(0, len(texts), 256):
        for enc in tok.encode_batch(texts[i : i + 256], add_special_tokens=False):
            n += len(enc.ids) + 1 if eos is not None else len(enc.ids)
    return time.perf_counter() - start, time.process_time() - cpu, n


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes (the runner's SDK workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def whole_run(folder: str, beam_args: list[str]) -> dict:
    """The report of a `tokenmill run` over the input, with its wall seconds."""
    from pipeline.config import build_config
    from pipeline.run import run

    out = os.path.join(folder, "out")
    cfg = build_config({"output": out, "seq_len": 2048, "tokenizer": {"path": TOKENIZER}, "write_curated": False,
                        "sources": [{"name": "bench", "paths": [os.path.join(folder, "input.jsonl.gz")], "id_field": "id"}]})
    start, cpu = time.perf_counter(), _cpu_seconds()
    report = run(cfg, beam_args)
    report["bench_wall_seconds"], report["bench_cpu_seconds"] = time.perf_counter() - start, _cpu_seconds() - cpu
    shutil.rmtree(out, ignore_errors=True)
    return report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="tm-bench-tok-")
    try:
        texts = make_input(folder, args.repeat)
        mb = sum(len(t.encode()) for t in texts) / 1e6
        in_process = whole_run(folder, [])
        two = whole_run(folder, ["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
        tokens = in_process["totals"]["kept_tokens"]
        rows = [  # (what, wall seconds or None, CPU seconds, tokens)
            ("raw encode_batch (limit)", *raw_limit(texts)),
            ("tokenize pass of `tokenmill run`", None, in_process["cpu_seconds"]["tokenize"], tokens),
            ("tokenmill run, in-process", in_process["bench_wall_seconds"], in_process["bench_cpu_seconds"], tokens),
            ("tokenmill run, 2 processes", two["bench_wall_seconds"], two["bench_cpu_seconds"], two["totals"]["kept_tokens"]),
        ]
        limit = rows[0][3] / rows[0][2]
        print(f"{len(texts):,} documents, {mb:.1f} MB of text, {os.cpu_count()} cores\n")
        print("| what | seconds | tokens/s | CPU seconds | tokens | tokens per CPU s | ratio to limit (per CPU s) |"
              "\n|---|---:|---:|---:|---:|---:|---:|")
        for name, secs, cpu, n in rows:
            wall = f"{secs:.2f} | {n / secs:,.0f}" if secs is not None else "- | -"
            print(f"| {name} | {wall} | {cpu:.2f} | {n:,} | {n / cpu:,.0f} | {n / cpu / limit:.2f} |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
