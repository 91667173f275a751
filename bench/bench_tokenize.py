"""Tokenization throughput: the pipeline against raw `Tokenizer.encode_batch` on the same text.

    python -m bench.bench_tokenize [--repeat 2]

Measured side by side in one process, same machine, same texts (every JSONL document of the bundled
sample, repeated `--repeat` times under distinct ids):
  limit    raw tokenizers `encode_batch` over the texts already in memory (batches of 256), EOS appended
  stage    a Beam pipeline (FnApiRunner) of ReadSource -> TokenizeDocuments -> token count, reading the files
  run      the whole `tokenmill run` (read, exact dedup, tokenize, shuffle, pack, write shards, report)
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import shutil
import tempfile
import time

import apache_beam as beam
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


def raw_limit(texts: list[str]) -> tuple[float, int]:
    tok = Tokenizer.from_file(TOKENIZER)
    tok.encode_special_tokens = True
    eos = tok.token_to_id("<|endoftext|>")
    start, n = time.perf_counter(), 0
    for i in range(0, len(texts), 256):
        for enc in tok.encode_batch(texts[i : i + 256], add_special_tokens=False):
            n += len(enc.ids) + 1 if eos is not None else len(enc.ids)
    return time.perf_counter() - start, n


def beam_stage(folder: str) -> tuple[float, int]:
    from pipeline.config import SourceConfig, TokenizerConfig
    from pipeline.transforms.read import ReadSource
    from pipeline.transforms.tokenize import TokenizeDocuments

    result = os.path.join(folder, "count.txt")
    src = SourceConfig(name="bench", paths=[os.path.join(folder, "input.jsonl.gz")], id_field="id")
    start = time.perf_counter()
    with beam.Pipeline(runner="FnApiRunner") as p:
        _ = (p | ReadSource(src))["docs"] | TokenizeDocuments(TokenizerConfig(path=TOKENIZER)) \
            | beam.Map(lambda t: len(t.tokens)) | beam.CombineGlobally(sum) \
            | beam.Map(lambda n: open(result, "w").write(str(n)))
    return time.perf_counter() - start, int(open(result).read())


def whole_run(folder: str, beam_args: list[str]) -> tuple[float, int]:
    from pipeline.config import build_config
    from pipeline.run import run

    cfg = build_config({"output": os.path.join(folder, "out"), "seq_len": 2048, "tokenizer": {"path": TOKENIZER},
                        "sources": [{"name": "bench", "paths": [os.path.join(folder, "input.jsonl.gz")], "id_field": "id"}]})
    start = time.perf_counter()
    report = run(cfg, beam_args)
    return time.perf_counter() - start, report["totals"]["kept_tokens"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="tm-bench-tok-")
    try:
        texts = make_input(folder, args.repeat)
        mb = sum(len(t.encode()) for t in texts) / 1e6
        rows = [("raw encode_batch (limit)", *raw_limit(texts)), ("pipeline tokenize stage", *beam_stage(folder)),
                ("tokenmill run, in-process", *whole_run(folder, [])),
                ("tokenmill run, 2 processes", *whole_run(folder, ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]))]
        limit = rows[0][2] / rows[0][1]
        print(f"{len(texts):,} documents, {mb:.1f} MB of text, {os.cpu_count()} cores\n")
        print("| what | seconds | tokens | tokens/s | ratio to limit |\n|---|---:|---:|---:|---:|")
        for name, secs, n in rows:
            print(f"| {name} | {secs:.2f} | {n:,} | {n / secs:,.0f} | {n / secs / limit:.2f} |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
