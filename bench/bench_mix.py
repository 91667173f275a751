"""Realized-versus-target tables for Llama-3-like four-source mixes of the sample corpus, each a whole
`tokenmill run` (pipeline.run.run on the FnApiRunner: the mix plan from the tokenize pass's histograms,
the token-exact window choice, the copies routed into shards) with the real GPT-NeoX tokenizer. The table
is report.json's "mix". Prints Markdown.

    python -m bench.bench_mix [--data examples/data] [--seed 1234]

The pipeline (Beam) is imported inside the functions that run it only, so importing this module keeps
`mixers` free of Beam.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import time

from mixers.table import SampledMix, sampled_mix_markdown

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
    """Every document the runs keep (non-empty text), with its tokens, for the coin-flip peer."""
    from pipeline.document import TokenizedDocument
    from pipeline.tokenize import DocumentTokenizer

    tok = DocumentTokenizer.from_file(tokenizer_path, "<|endoftext|>")
    docs = []
    for source in WEIGHTS:
        for path in sorted(glob.glob(os.path.join(data_dir, source, "*.jsonl.gz"))):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                records = [r for r in map(json.loads, f) if r["text"].strip()]
            for rec, ids in zip(records, tok.encode_documents([r["text"] for r in records])):
                docs.append(TokenizedDocument(f"{source}/{os.path.basename(path)}:{rec['id']}", source, ids))
    return docs


def run_config(data_dir: str, tokenizer_path: str, output: str, seed: int, mix: dict | None, caps: dict | None) -> dict:
    """mix None: no mix (every kept document once); caps None: no weights (a temperature or natural mix)."""
    sources = [{"name": n, "paths": [os.path.join(data_dir, n, "*.jsonl.gz")], "id_field": "id",
                **({} if caps is None else {"weight": w}), **({"max_repeats": caps[n]} if caps and n in caps else {})}
               for n, w in WEIGHTS.items()]
    return {"output": output, "seed": seed, "seq_len": 2048, "tokenizer": {"path": tokenizer_path},
            "validation_fraction": 0.0, "shards": {"train": 4, "validation": 1}, "write_curated": False,
            "sources": sources, "mix": mix or {}}


def sampled_mix_of(report: dict, weighted: bool, temperature: float | None) -> dict[str, SampledMix]:
    """report.json's "mix" rows as mixers.table.SampledMix rows (in WEIGHTS order): what each source had
    available and what was written (*_sampled). The report rounds fractions to 6 decimals; here they are
    recomputed exactly (targets by mixers.weights from the available tokens, as the plan does)."""
    from mixers.weights import MixStatement, SourceWeight, target_fractions

    rows = {n: report["mix"][n] for n in WEIGHTS}
    statement = MixStatement(tuple(SourceWeight(n, w if weighted else None) for n, w in WEIGHTS.items()), temperature)
    targets = target_fractions(statement, {n: row["available_tokens"] for n, row in rows.items()}).fractions
    total = sum(row["tokens_sampled"] for row in rows.values())
    return {name: SampledMix(
                available_documents=row["available_documents"], available_tokens=row["available_tokens"],
                documents_sampled=row["documents_sampled"], tokens_sampled=row["tokens_sampled"],
                repeats=row["tokens_sampled"] / row["available_tokens"] if row["available_tokens"] else 0.0,
                target_fraction=float(targets[name]), target_tokens=row["target_tokens"],
                realized_fraction=row["tokens_sampled"] / total if total else 0.0)
            for name, row in rows.items()}


def timed_run(raw: dict) -> tuple[dict, float]:
    import shutil

    from pipeline.config import build_config
    from pipeline.run import run

    start = time.monotonic()
    report = run(build_config(raw), [])
    seconds = time.monotonic() - start
    shutil.rmtree(raw["output"], ignore_errors=True)
    return report, seconds


def run_scenarios(data_dir: str, tokenizer_path: str, seed: int) -> tuple[dict, list[float]]:
    import tempfile

    tmp = tempfile.mkdtemp(prefix="mix-demo-")
    tables, seconds = {}, []
    for k, (title, mix, caps) in enumerate(SCENARIOS):
        report, secs = timed_run(run_config(data_dir, tokenizer_path, os.path.join(tmp, str(k)), seed, mix, caps))
        tables[title] = sampled_mix_of(report, caps is not None, mix.get("temperature"))
        seconds.append(secs)
    os.rmdir(tmp)
    return tables, seconds


def coin_flip_table(docs, table: dict, seed: int) -> dict:
    """The naive peer: the same rates, each document's extra copy decided by its own coin flip
    (hash(seed, id) < fractional rate) instead of a token-exact cut-off."""
    from pipeline.hashing import unit_interval

    tokens = {name: 0 for name in table}
    for d in docs:
        row = table[d.source]
        rate = row.target_tokens / row.available_tokens if row.available_tokens else 0.0
        whole = int(rate)
        k = whole + (unit_interval(seed, "mix-coin", d.id) < rate - whole)
        tokens[d.source] += k * len(d.tokens)
    total = sum(tokens.values())
    return {name: tokens[name] / total for name in table}


def unmixed_seconds(data_dir: str, tokenizer_path: str, seed: int) -> float:
    """Wall time of the same run without a mix (every kept document once)."""
    import tempfile

    tmp = tempfile.mkdtemp(prefix="mix-demo-")
    _, seconds = timed_run(run_config(data_dir, tokenizer_path, os.path.join(tmp, "plain"), seed, None, None))
    os.rmdir(tmp)
    return seconds


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(REPO, "examples", "data"))
    ap.add_argument("--tokenizer", default=os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json"))
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args(argv)
    docs = load_tokenized(args.data, args.tokenizer)
    tables, mixed_s = run_scenarios(args.data, args.tokenizer, args.seed)
    plain_s = unmixed_seconds(args.data, args.tokenizer, args.seed)
    mean_s = sum(mixed_s) / len(mixed_s)
    print(f"{len(docs):,} documents, {sum(len(d.tokens) for d in docs):,} tokens from {args.data}; seed {args.seed}.\n"
          f"Wall time: a `tokenmill run` with a mix {mean_s:.1f} s on average over {len(SCENARIOS)} mixes "
          f"({', '.join(f'{s:.1f}' for s in mixed_s)}); the same run without a mix {plain_s:.1f} s "
          f"(ratio {mean_s / plain_s:.2f}x; mixed runs write more or fewer tokens than the plain one).\n")
    for title, mix, _ in SCENARIOS:
        table = tables[title]
        worst = max(abs(r.realized_fraction - r.target_fraction) * 100 for r in table.values())
        coin = [coin_flip_table(docs, table, seed) for seed in range(COIN_SEEDS)]
        worst_coin = sorted(max(abs(c[n] - r.target_fraction) * 100 for n, r in table.items()) for c in coin)
        budget = sum(r.target_tokens for r in table.values())
        asked = f" (mix.total_tokens asked {mix['total_tokens']:,})" if "total_tokens" in mix else ""
        print(f"### {title}\n\nOutput target {budget:,} tokens{asked}.\n\n{sampled_mix_markdown(table)}\n\n"
              f"Largest gap: {worst:.4f} percentage points with token-exact selection. Peer, a per-document "
              f"coin flip at the same rates, over seeds 0-{COIN_SEEDS - 1}: median {worst_coin[COIN_SEEDS // 2]:.3f}, "
              f"min {worst_coin[0]:.3f}, max {worst_coin[-1]:.3f} points.\n")


if __name__ == "__main__":
    main()
