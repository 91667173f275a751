"""Curation filter figures, printed as Markdown (see bench/RESULTS.md, "Curation filters", for a run).

    python bench/bench_filters.py throughput [--docs-per-file 0] [--workers 2]     (0: every document)
    python bench/bench_filters.py cpu        [--docs-per-file 0]
    python bench/bench_filters.py agreement  [--docs-per-file 150]
    python bench/bench_filters.py lid
    python bench/bench_filters.py quality

throughput: the Gopher repetition + Gopher quality + C4 + FineWeb chain, side by side in one run on the same
  documents (the first N, default all, of every examples/data jsonl file, written uncompressed, one file each)
  with the same worker count: datatrove's LocalPipelineExecutor (JsonlReader + its filter classes) and
  `tokenmill run` with those filters (FnApiRunner, multi-processing; besides reading and filtering it also
  tokenizes the kept documents and writes shards: its curate pass's CPU seconds, from report.json, are the
  filters' share); plus our chain in-process.
cpu: the same chain, ours and datatrove's filter classes, in one process, file by file, in CPU seconds.
agreement: our wrappers against datatrove's classes, filter by filter and as the chain (C4's rewritten text
  handed on), on the first N documents of every examples/data jsonl file.
lid: lid.176 accuracy on the UDHR in shared/corpus, over the translations whose language lid.176 knows.
quality: train-quality on books (speeches) vs web + forum, held-out precision/recall.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import shutil
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
DATA = os.path.join(REPO, "examples", "data")
CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus")
HEURISTICS = [{"name": "gopher_repetition"}, {"name": "gopher_quality"}, {"name": "c4_quality"},
              {"name": "fineweb_quality"}]


def sample_records(per_file: int) -> dict[str, list[dict]]:
    """The first `per_file` records (0: all) of every examples/data jsonl file."""
    out = {}
    for path in sorted(glob.glob(os.path.join(DATA, "**", "*.jsonl.gz"), recursive=True)):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            out[os.path.relpath(path, DATA)] = [json.loads(line) for _, line in zip(range(per_file or 10**9), f)]
    return out


def datatrove_filters():
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter)

    return [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def run_datatrove(folder: str, workers: int) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader

    logs = tempfile.mkdtemp(prefix="dt-logs-")
    pipeline = [JsonlReader(folder, glob_pattern="*.jsonl", text_key="text", id_key="id")] + datatrove_filters()
    executor = LocalPipelineExecutor(pipeline=pipeline, tasks=workers, workers=workers, logging_dir=logs)
    executor.run()
    shutil.rmtree(logs, ignore_errors=True)


def run_beam(folder: str, workers: int) -> tuple[int, float]:
    """`tokenmill run` over the folder's files with the heuristic chain: (documents kept, CPU seconds of the
    curate pass, where the filters run)."""
    from pipeline.config import build_config
    from pipeline.run import run

    out = tempfile.mkdtemp(prefix="beam-out-")
    cfg = build_config({
        "output": out, "seq_len": 2048, "tokenizer": {"path": os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json")},
        "validation_fraction": 0.0, "shards": {"train": 1, "validation": 1}, "write_curated": False,
        "rejects_text_fraction": 0.0, "filters": HEURISTICS,
        "sources": [{"name": "bench", "paths": [os.path.join(folder, "*.jsonl")], "id_field": "id"}]})
    report = run(cfg, ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"])
    shutil.rmtree(out, ignore_errors=True)
    return report["totals"]["kept"], report.get("cpu_seconds", {}).get("curate", float("nan"))


def throughput(args) -> None:
    from filters.chain import FilterChain
    from pipeline.document import Document

    records = sample_records(args.docs_per_file)
    folder = tempfile.mkdtemp(prefix="bench-filters-")
    for name, recs in records.items():
        with open(os.path.join(folder, name.replace("/", "_").removesuffix(".gz")), "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in recs)
    n_docs = sum(map(len, records.values()))
    mb = sum(len(r["text"].encode()) for recs in records.values() for r in recs) / 1e6

    chain = FilterChain(HEURISTICS)
    docs = [Document(r["id"], "bench", r["text"]) for recs in records.values() for r in recs]
    runs = {"tokenmill FilterChain, 1 process, no Beam": timed(lambda: sum(chain.apply(d).kept for d in docs))}
    ours = "tokenmill run (read, filters, tokenize, shards)"
    secs, (kept, curate_cpu) = timed(run_beam, folder, args.workers)
    runs[ours] = (secs, kept)
    runs["datatrove LocalPipelineExecutor"] = timed(run_datatrove, folder, args.workers)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{n_docs} documents, {mb:.2f} MB, {args.workers} worker(s); kept {kept} "
          f"(in-process chain: {runs['tokenmill FilterChain, 1 process, no Beam'][1]}); "
          f"the run's curate pass (the filters): {curate_cpu:.1f} CPU s\n")
    print("| run | seconds | docs/s | MB/s | vs datatrove |\n|---|---|---|---|---|")
    datatrove_s = runs["datatrove LocalPipelineExecutor"][0]
    for label in ("datatrove LocalPipelineExecutor", ours, "tokenmill FilterChain, 1 process, no Beam"):
        secs = runs[label][0]
        print(f"| {label} | {secs:.1f} | {n_docs / secs:.1f} | {mb / secs:.3f} | {datatrove_s / secs:.1f}x |")


def cpu(args) -> None:
    """Both chains in this one process, file by file, alternating, timed in CPU seconds (process_time),
    which the other jobs on a shared machine disturb far less than wall time."""
    from datatrove.data import Document as DatatroveDocument

    from filters.chain import FilterChain
    from pipeline.document import Document

    chain, theirs = FilterChain(HEURISTICS), datatrove_filters()

    def datatrove_chain(text: str) -> bool:
        doc = DatatroveDocument(text=text, id="x", metadata={})
        return all(f.filter(doc) is True for f in theirs)  # all() stops at the first drop, as a pipeline does

    chain.apply(Document("w", "s", "Load the tokenizer first.")), datatrove_chain("Load the tokenizer first.")
    print("| file | docs | MB | datatrove CPU s | tokenmill CPU s | speed-up |\n|---|---|---|---|---|---|")
    total_theirs = total_ours = 0.0
    for name, recs in sample_records(args.docs_per_file).items():
        texts = [r["text"] for r in recs]
        start = time.process_time()
        kept_theirs = sum(map(datatrove_chain, texts))
        t_theirs = time.process_time() - start
        start = time.process_time()
        kept_ours = sum(chain.apply(Document(str(i), "s", t)).kept for i, t in enumerate(texts))
        t_ours = time.process_time() - start
        assert kept_ours == kept_theirs, name
        total_theirs, total_ours = total_theirs + t_theirs, total_ours + t_ours
        mb = sum(len(t.encode()) for t in texts) / 1e6
        print(f"| {name} | {len(texts)} | {mb:.2f} | {t_theirs:.1f} | {t_ours:.1f} | {t_theirs / t_ours:.1f}x |")
    print(f"| **all** | | | {total_theirs:.1f} | {total_ours:.1f} | **{total_theirs / total_ours:.1f}x** |")


def agreement(args) -> None:
    from datatrove.data import Document as DatatroveDocument
    from datatrove.pipeline.filters.base_filter import get_filter_result

    from filters.chain import FilterChain
    from filters.registry import build_chain
    from pipeline.document import Document

    ours, theirs = build_chain(HEURISTICS), datatrove_filters()
    chain = FilterChain(HEURISTICS)
    print("| file | docs | per-filter decisions equal | chain outcome equal |\n|---|---|---|---|")
    total = [0, 0, 0, 0]
    for name, recs in sample_records(args.docs_per_file).items():
        same_filter = same_chain = 0
        for r in recs:
            reference_chain = None
            dt_text = r["text"]
            for our, their in zip(ours, theirs):
                d = our(Document(r["id"], "s", r["text"]))
                dt_doc = DatatroveDocument(text=r["text"], id=r["id"], metadata={})
                kept, reason = get_filter_result(their.filter(dt_doc))
                mine = (d.keep, d.reason, (d.text or r["text"]) if d.keep else None)
                same_filter += mine == (kept, None if kept else reason, dt_doc.text if kept else None)
            for their in theirs:  # datatrove's own chain, C4's rewritten text handed on
                dt_doc = DatatroveDocument(text=dt_text, id=r["id"], metadata={})
                kept, reason = get_filter_result(their.filter(dt_doc))
                if not kept:
                    reference_chain = (False, reason, None)
                    break
                dt_text = dt_doc.text
            reference_chain = reference_chain or (True, None, dt_text)
            result = chain.apply(Document(r["id"], "s", r["text"]))
            same_chain += (result.kept, result.reason, result.doc.text if result.kept else None) == reference_chain
        n = len(recs)
        total = [total[0] + n * len(ours), total[1] + same_filter, total[2] + n, total[3] + same_chain]
        print(f"| {name} | {n} | {same_filter}/{n * len(ours)} | {same_chain}/{n} |")
    print(f"| **all** | {total[2]} | {total[1]}/{total[0]} ({100 * total[1] / total[0]:.2f}%) "
          f"| {total[3]}/{total[2]} ({100 * total[3] / total[2]:.2f}%) |")


# UDHR file names are ISO 639-3 codes; datatrove's tokenizer_assignment.csv maps most of them to the ISO
# 639-1 codes lid.176 uses. These are the ones it maps differently from lid.176's labels, or not at all.
UDHR_TO_LID = {"ckb": "ckb", "min": "min", "mly": "ms", "nob": "no", "pes": "fa", "tgl": "tl", "pbu": "ps",
               "fri": "fy", "bho": "bh"}


def udhr_label(doc_id: str, code1_of: dict[str, str], known: set[str]) -> str | None:
    """The lid.176 label for a UDHR translation id (`udhr2/por_BR.txt` -> pt), or None if lid.176 lacks it."""
    code = os.path.basename(doc_id).removesuffix(".txt").split("_")[0]
    label = UDHR_TO_LID.get(code) or code1_of.get(code) or code
    return label if label in known else None


def lid(args) -> None:
    import csv

    from datatrove.utils._import_utils import ASSETS_PATH

    from filters.language import LanguageId
    from pipeline.document import Document

    with open(os.path.join(ASSETS_PATH, "tokenizer_assignment.csv")) as f:
        code1_of = {row["code_3"]: row["code_1"] for row in csv.DictReader(f) if row["code_1"]}
    tagger = LanguageId()
    known = {label.removeprefix("__label__") for label in tagger._model.labels}
    with gzip.open(os.path.join(CORPUS, "multilingual", "udhr2.jsonl.gz"), "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    rows, misses = [], []
    for r in records:
        label = udhr_label(r["id"], code1_of, known)
        if label is None:
            continue
        full = tagger(Document(r["id"], "udhr", r["text"])).signals["language"]
        first_line = next((line for line in r["text"].splitlines() if len(line.strip()) >= 40), r["text"][:200])
        short = tagger(Document(r["id"], "udhr", first_line[:200])).signals["language"]
        rows.append((label, full == label, short == label))
        if full != label:
            misses.append(f"{os.path.basename(r['id'])}->{full} (want {label})")
    n = len(rows)
    print(f"{len(records)} UDHR translations, {n} in languages lid.176 knows ({len({r[0] for r in rows})} languages)\n")
    print(f"| text | accuracy |\n|---|---|\n| whole document | {sum(r[1] for r in rows) / n:.3f} |")
    print(f"| one line (40-200 chars) | {sum(r[2] for r in rows) / n:.3f} |\n")
    print("whole-document misses: " + ", ".join(misses))


def quality(args) -> int:
    from filters.train_quality import main

    out = os.path.join(tempfile.mkdtemp(prefix="quality-"), "quality.bin")
    argv = ["--positive", f"{DATA}/books/speeches.jsonl.gz", "--negative", f"{DATA}/web/*.jsonl.gz",
            f"{DATA}/forum/*.jsonl.gz", "--output", out, "--holdout", "0.3"]
    print("train-quality " + " ".join(os.path.relpath(a, REPO) if a.startswith(REPO) else a for a in argv))
    return main(argv)


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["throughput", "cpu", "agreement", "lid", "quality"])
    parser.add_argument("--docs-per-file", type=int, default=None, help="0: all")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.what == "throughput":
        throughput(args)
    elif args.what == "cpu":
        cpu(args)
    elif args.what == "agreement":
        args.docs_per_file = 150 if args.docs_per_file is None else args.docs_per_file
        agreement(args)
    elif args.what == "lid":
        lid(args)
    else:
        return quality(args)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
