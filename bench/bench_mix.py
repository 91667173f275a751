"""Realized-versus-target tables for Llama-3-like four-source mixes of the sample corpus, through the
real Beam stage (MixSources on FnApiRunner) and the real GPT-NeoX tokenizer. Prints Markdown.

    python -m bench.bench_mix [--data examples/data] [--seed 1234]

Beam is imported inside `main` only, so importing this module keeps `mixers` free of Beam.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import time

from mixers.table import format_markdown

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Llama 3's stated mix (general knowledge, maths and reasoning, code, multilingual) mapped onto the
# sample corpus's buckets; the corpus has no code, so forum text stands in for the 17% slice.
WEIGHTS = {"web": 0.5, "math": 0.25, "forum": 0.17, "multilingual": 0.08}

COIN_SEEDS = 20
SCENARIOS = [
    ("weights 0.5/0.25/0.17/0.08, no budget (output as large as the weighted sources)",
     {}, {}),
    ("same weights, mix.total_tokens=3,000,000, web max_repeats=1.5, on_shortfall=rescale",
     {"total_tokens": 3_000_000, "on_shortfall": "rescale"}, {"web": 1.5}),
    ("no weights, mix.temperature=2 (shares proportional to sqrt(tokens))",
     {"temperature": 2.0}, None),
]


def load_tokenized(data_dir: str, tokenizer_path: str):
    from pipeline.document import TokenizedDocument
    from pipeline.tokenize import DocumentTokenizer

    tok = DocumentTokenizer.from_file(tokenizer_path, "<|endoftext|>")
    docs = []
    for source in WEIGHTS:
        for path in sorted(glob.glob(os.path.join(data_dir, source, "*.jsonl.gz"))):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                records = [json.loads(line) for line in f]
            for rec, ids in zip(records, tok.encode_documents([r["text"] for r in records])):
                docs.append(TokenizedDocument(f"{source}/{os.path.basename(path)}:{rec['id']}", source, ids))
    return docs


def _write_json(obj, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


def run_scenarios(docs, seed: int):
    import tempfile

    import apache_beam as beam

    from pipeline.config import MixConfig, SourceConfig
    from pipeline.transforms.mix import MixSources

    tmp = tempfile.mkdtemp(prefix="mix-demo-")
    with beam.Pipeline(runner="FnApiRunner") as p:
        created = p | "Documents" >> beam.Create(docs)
        for k, (title, mix, caps) in enumerate(SCENARIOS):
            sources = [SourceConfig(name=n, paths=["-"], weight=None if caps is None else w,
                                    max_repeats=(caps or {}).get(n)) for n, w in WEIGHTS.items()]
            out = created | f"Mix{k}" >> MixSources(sources, MixConfig(**mix), seed)
            _ = out["table"] | f"Keep{k}" >> beam.Map(_write_json, os.path.join(tmp, f"{k}.json"))
    tables = {}
    for k, (title, _, _) in enumerate(SCENARIOS):
        with open(os.path.join(tmp, f"{k}.json"), encoding="utf-8") as f:
            tables[title] = json.load(f)
        os.remove(f.name)
    os.rmdir(tmp)
    return tables


def coin_flip_table(docs, table: dict, seed: int) -> dict:
    """The naive peer: the same rates, each document's extra copy decided by its own coin flip
    (hash(seed, id) < fractional rate) instead of a token-exact cut-off."""
    from pipeline.hashing import unit_interval

    tokens = {name: 0 for name in table}
    for d in docs:
        row = table[d.source]
        rate = row["target_tokens"] / row["tokens"] if row["tokens"] else 0.0
        whole = int(rate)
        k = whole + (unit_interval(seed, "mix-coin", d.id) < rate - whole)
        tokens[d.source] += k * len(d.tokens)
    total = sum(tokens.values())
    return {name: tokens[name] / total for name in table}


def pass_through_seconds(docs) -> float:
    """Wall time of a pipeline that only creates the same documents and pairs each with copy 0."""
    import apache_beam as beam

    start = time.monotonic()
    with beam.Pipeline(runner="FnApiRunner") as p:
        _ = p | "Documents" >> beam.Create(docs) | "Once" >> beam.Map(lambda d: (d, 0))
    return time.monotonic() - start


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(REPO, "examples", "data"))
    ap.add_argument("--tokenizer", default=os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json"))
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args(argv)
    docs = load_tokenized(args.data, args.tokenizer)
    start = time.monotonic()
    tables = run_scenarios(docs, args.seed)
    mixed_s = time.monotonic() - start
    plain_s = pass_through_seconds(docs)
    print(f"{len(docs):,} documents, {sum(len(d.tokens) for d in docs):,} tokens from {args.data}; seed {args.seed}.\n"
          f"Wall time: {len(SCENARIOS)} mixes in one FnApiRunner pipeline {mixed_s:.1f} s; a pass-through pipeline "
          f"on the same documents {plain_s:.1f} s (ratio {mixed_s / plain_s:.1f}x for {len(SCENARIOS)} mixes).\n")
    for title, mix, _ in SCENARIOS:
        table = tables[title]
        worst = max(abs(r["realized_fraction"] - r["target_fraction"]) * 100 for r in table.values())
        coin = [coin_flip_table(docs, table, seed) for seed in range(COIN_SEEDS)]
        worst_coin = sorted(max(abs(c[n] - r["target_fraction"]) * 100 for n, r in table.items()) for c in coin)
        budget = sum(r["target_tokens"] for r in table.values())
        asked = f" (mix.total_tokens asked {mix['total_tokens']:,})" if "total_tokens" in mix else ""
        print(f"### {title}\n\nOutput target {budget:,} tokens{asked}.\n\n{format_markdown(table)}\n\n"
              f"Largest gap: {worst:.4f} percentage points with token-exact selection. Peer, a per-document "
              f"coin flip at the same rates, over seeds 0-{COIN_SEEDS - 1}: median {worst_coin[COIN_SEEDS // 2]:.3f}, "
              f"min {worst_coin[0]:.3f}, max {worst_coin[-1]:.3f} points.\n")


if __name__ == "__main__":
    main()
