"""Decontamination: recall and false removals on a labelled set, speed against tokenization of the same
documents, memory of the index, and datatrove's n-gram decontamination filter on the same data (figures
and how to read them: bench/RESULTS.md, "Decontamination").

    python -m bench.bench_decontam [--eval-size 1000] [--skip-datatrove] [--skip-pipeline] [--workdir DIR]

Input: bench/decontam_data.py (GSM8K eval examples planted five ways in real documents, beside the other
GSM8K problems and the unchanged hosts as clean documents). Systems:
  ours        pipeline.decontam (the code the curate pass runs): 13-grams, examples of 8-12 words whole
  datatrove   NGramsDecontFilter (datatrove 0.10) with an index made by NGramsDecontIndexer.compute_hashes;
              the indexer's `run` needs lighteval (not installed, and it would download the tasks), so its
              hashing method is called on our eval file directly (query = question, label = answer). Its
              xxhash64 helper fails with xxhash >= 4 (installed: 4.x refuses a str), so both get a
              stand-in that hashes the UTF-8 bytes, as xxhash 3 did
  tokenize    DocumentTokenizer.encode_documents (GPT-NeoX-20B, batches of 256): the yardstick for speed
CPU seconds are time.process_time() (all threads: the tokenizer's Rust threads count). The pipeline run
(`tokenmill run` in-process, action drop) reports the stage's CPU (cpu_seconds "curate.decontaminate")
beside the tokenize pass's on the same documents, and must remove the same documents as the pure run.
"""
from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import tempfile
import time
import tracemalloc

from bench.decontam_data import VARIANTS, build, write
from pipeline.decontam.decide import decontaminate
from pipeline.decontam.index import EvalIndex, Matcher

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json")
NGRAM, MIN_WORDS = 13, 8


def eval_text(e: dict) -> str:
    return e["question"] + "\n" + e["answer"]  # what the pipeline reads with text_fields [question, answer]


def score(removed: set[str], docs: list[dict]) -> dict:
    planted = [d for d in docs if d["label"] == "planted"]
    clean = [d for d in docs if d["label"] == "clean"]
    by_variant = {v: [d for d in planted if d["variant"] == v] for v in VARIANTS}
    false = [d["id"] for d in clean if d["id"] in removed]
    return {"recall": sum(d["id"] in removed for d in planted) / len(planted),
            "recall_by_variant": {v: sum(d["id"] in removed for d in ds) / len(ds) for v, ds in by_variant.items() if ds},
            "false_removals": len(false), "clean": len(clean), "false_rate": len(false) / len(clean),
            "false_ids": false}


def run_ours(evals: list[dict], docs: list[dict]) -> dict:
    start = time.process_time()
    index = EvalIndex.build([("gsm8k", e["id"], eval_text(e)) for e in evals], ["gsm8k"], NGRAM, MIN_WORDS)
    build_s = time.process_time() - start
    matcher = Matcher(index)
    removed, found, shared = set(), set(), collections.defaultdict(set)
    start = time.process_time()
    for d in docs:
        decision = decontaminate(d["text"], matcher, "drop", 0, MIN_WORDS)
        if decision is not None:
            removed.add(d["id"])
            for hit in decision.hits:
                found.add(matcher.example_id(hit))
                shared[d["id"]].add(matcher.example_id(hit))
    return {"cpu_s": time.process_time() - start, "build_s": build_s, "removed": removed, "found": found,
            "shared": shared, "index": index}


def run_datatrove(evals: list[dict], docs: list[dict], n_grams: int, query_ngrams: bool) -> dict:
    import xxhash
    from datatrove.data import Document
    from datatrove.pipeline.decont.n_grams import NGramsDecontConfig, NGramsDecontFilter, NGramsDecontIndexer
    from datatrove.utils.word_tokenizers import load_word_tokenizer

    def xxhash64(text: str) -> int:
        # datatrove's own (utils/hashes/xxhash.py) passes the str to xxhash, which xxhash >= 4 refuses;
        # xxhash < 4 hashed its UTF-8 bytes, as this does
        return xxhash.xxh64_intdigest(text.encode("utf-8"))

    config = NGramsDecontConfig(n_grams=n_grams, find_query_ngrams=query_ngrams, find_overlap_ngrams=True)
    indexer = object.__new__(NGramsDecontIndexer)  # its __init__ refuses to start without lighteval
    indexer.config, indexer.tokenizer, indexer.hash_func = config, load_word_tokenizer("en"), xxhash64
    start = time.process_time()
    hashes = {h: "gsm8k" for e in evals for h in indexer.compute_hashes(e["answer"], e["question"])}
    build_s = time.process_time() - start
    filt = NGramsDecontFilter(tempfile.mkdtemp(), config=config, language="en")
    filt._index_hashes, filt.hash_func = hashes, xxhash64
    removed = set()
    start = time.process_time()
    for d in docs:
        if filt.filter(Document(text=d["text"], id=d["id"])) is not True:
            removed.add(d["id"])
    return {"cpu_s": time.process_time() - start, "build_s": build_s, "removed": removed, "ngrams": len(hashes)}


def tokenize_cpu(docs: list[dict]) -> tuple[float, int]:
    from pipeline.tokenize import DocumentTokenizer

    tok = DocumentTokenizer.from_file(TOKENIZER, "<|endoftext|>")
    texts = [d["text"] for d in docs]
    start, tokens = time.process_time(), 0
    for i in range(0, len(texts), 256):
        tokens += sum(len(ids) for ids in tok.encode_documents(texts[i:i + 256]))
    return time.process_time() - start, tokens


def memory_per_million(index: EvalIndex) -> dict:
    """Bytes per million eval n-grams: our sorted arrays, a Python set of the same keys, and datatrove's
    dict of key -> task name (its NGramsDecontFilter's index)."""
    keys = index.keys.tolist()
    out = {"ours: sorted uint64 keys + uint32 owners": index.keys.nbytes + index.owners.nbytes,
           "ours, all a worker holds (+ bitmap prefilter, example sets)": index.nbytes}
    for name, make in (("Python set of the keys", lambda: set(keys)),
                       ("dict key -> set name (datatrove's filter)", lambda: dict.fromkeys(keys, "gsm8k"))):
        gc.collect()
        tracemalloc.start()
        held = make()
        out[name] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del held
    return {name: n / len(keys) * 1e6 for name, n in out.items()}


def matcher_peak(matcher: Matcher, docs: list[dict], repeat: int) -> float:
    """Peak traced memory (bytes) above the index while matching the documents `repeat` times over."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(repeat):
        for d in docs:
            decontaminate(d["text"], matcher, "drop", 0, MIN_WORDS)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def run_pipeline(paths: dict, workdir: str) -> dict:
    import pyarrow.parquet as pq

    from pipeline.config import build_config
    from pipeline.run import run

    out = os.path.join(workdir, "out")
    cfg = build_config({
        "output": out, "seq_len": 1024, "tokenizer": {"path": TOKENIZER}, "validation_fraction": 0.0,
        "shards": {"train": 2, "validation": 1}, "write_curated": False,
        "sources": [{"name": "train", "paths": [paths["docs"]], "id_field": "id"}],
        "decontaminate": {"ngram": NGRAM, "min_words": MIN_WORDS, "action": "drop",
                          "sets": [{"name": "gsm8k", "paths": [paths["eval"]], "text_fields": ["question", "answer"],
                                    "id_field": "id"}]}})
    start = time.perf_counter()
    report = run(cfg, [])
    rejects = pq.read_table(os.path.join(out, "rejects")).to_pylist()
    return {"wall_s": time.perf_counter() - start, "cpu": report.get("cpu_seconds", {}),
            "section": report["decontamination"]["gsm8k"],
            "removed": {r["id"] for r in rejects if r["stage"] == "decontaminate"}}


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-size", type=int, default=1000)
    parser.add_argument("--skip-datatrove", action="store_true")
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-decontam-")
    evals, docs = build(args.eval_size)
    paths = write(workdir, evals, docs)
    mb = sum(len(d["text"].encode()) for d in docs) / 1e6
    n_words = sum(len(d["text"].split()) for d in docs)
    print(f"eval examples: {len(evals):,}; documents: {len(docs):,} ({mb:.1f} MB, {n_words:,} words): "
          f"{sum(d['label'] == 'planted' for d in docs):,} planted, {sum(d['label'] == 'clean' for d in docs):,} clean\n")

    ours = run_ours(evals, docs)
    systems = {"ours (13-gram, digits kept)": ours}
    if not args.skip_datatrove:
        systems["datatrove defaults (12-gram; answer + overlap n-grams)"] = run_datatrove(evals, docs, 12, False)
        systems["datatrove 13-gram + question n-grams"] = run_datatrove(evals, docs, 13, True)
    tok_s, tokens = tokenize_cpu(docs)

    print("| system | recall (planted removed) | " + " | ".join(VARIANTS) + " | false removals (clean) | "
          "match CPU s | docs/s | x tokenize CPU | index build CPU s |")
    print("|---|---:|" + "---:|" * len(VARIANTS) + "---:|---:|---:|---:|---:|")
    for name, r in systems.items():
        s = score(r["removed"], docs)
        r["score"] = s
        print(f"| {name} | {_pct(s['recall'])} | " + " | ".join(_pct(s["recall_by_variant"][v]) for v in VARIANTS)
              + f" | {s['false_removals']:,} of {s['clean']:,} ({_pct(s['false_rate'])}) | {r['cpu_s']:.2f} | "
              f"{len(docs) / r['cpu_s']:,.0f} | {r['cpu_s'] / tok_s:.3f} | {r['build_s']:.2f} |")
    print(f"| tokenize (encode_documents, yardstick) | | " + " | " * len(VARIANTS)
          + f" | {tok_s:.2f} | {len(docs) / tok_s:,.0f} | 1.000 | |")
    print(f"\ntokens: {tokens:,}; our index: {ours['index'].keys.size:,} n-gram entries, {ours['index'].nbytes:,} bytes; "
          f"examples found by ours: {len(ours['found']):,} of {len(evals):,}")
    for name, r in systems.items():
        false = r["score"]["false_ids"]
        if false:
            detail = [f"{i} (shares an n-gram with {', '.join(sorted(ours['shared'].get(i, [])))})" if i in ours["shared"]
                      else i for i in false[:10]]
            print(f"  {name}: false removals: " + "; ".join(detail) + (" ..." if len(false) > 10 else ""))

    print("\n| index structure | bytes per million eval n-grams |\n|---|---:|")
    for name, b in memory_per_million(ours["index"]).items():
        print(f"| {name} | {b / 1e6:,.1f} MB |")
    matcher = Matcher(ours["index"])
    peaks = {r: matcher_peak(matcher, docs, r) for r in (1, 3)}
    print(f"\nmatcher's peak memory above the index: {peaks[1] / 1e6:.2f} MB over the documents once, "
          f"{peaks[3] / 1e6:.2f} MB over them 3 times (flat: it holds one document's arrays)")

    if not args.skip_pipeline:
        p = run_pipeline(paths, workdir)
        cpu = p["cpu"]
        same = p["removed"] == ours["removed"]
        print(f"\npipeline run (tokenmill run, in-process, {p['wall_s']:.1f} s wall): removed {len(p['removed']):,} "
              f"documents ({'the same as' if same else 'NOT the same as'} the pure run); report section: "
              f"{json.dumps({k: v for k, v in p['section'].items() if k != 'documents_matched_by_source'})}")
        if cpu:
            dec, tok = cpu.get("curate.decontaminate", 0.0), cpu.get("tokenize", 0.0)
            print(f"cpu_seconds: curate.decontaminate {dec:.2f} s, tokenize {tok:.2f} s: "
                  f"decontamination = {dec / tok if tok else float('nan'):.3f} x the tokenize pass; "
                  f"all passes: {json.dumps(cpu)}")


if __name__ == "__main__":
    main()
