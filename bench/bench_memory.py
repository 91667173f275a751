"""Peak memory of `tokenmill run` against input size, on a FineWeb-like recipe:

    python -m bench.bench_memory [--sizes-mb 100,330,660,1000] [--workers 1,2] [--beam-args="--flag=value ..."]
                                 [--keep] [--json PATH] [--cache DIR]

What it measures: for each input size and each worker setting it runs `tokenmill run RECIPE --output OUT`
as a subprocess (the code of the checkout holding this file: PYTHONPATH points at it) and samples, every
0.2 s, the summed RSS of the whole process tree (the driver and every Beam SDK worker it starts, found
through /proc/*/stat parent ids; shared pages are counted once per process, as `ps` would). It records
the peak RSS, the wall time from start to exit, the input size, the train tokens written
(OUT/manifest.json) and, when report.json has a "shuffle" entry, the bytes shuffled. workers=1 is the
in-process runner (`--direct_running_mode=in_memory`, one SDK worker in the driver's process); workers=N
adds `--direct_running_mode=multi_processing --direct_num_workers=N`; --beam-args is appended to every run.
The table's last lines give, per worker setting, the peak RSS at the largest size over the smallest and
the marginal RSS per input byte between them (what grows with the data, without the fixed start-up cost).

The input (built once under --cache and reused): gzipped JSONL, the format Common Crawl derivatives
(FineWeb, Dolma) ship, in files of 16 MB of text; one object per line, {"id", "text", "url"}. Sizes are
in MB (10^6 bytes) of UTF-8 text before compression. Documents are made from real English sentences of
../shared/corpus beside the repository, or $TOKENMILL_CORPUS (web: Common Crawl extracts and Python documentation prose; books: US presidential
speeches; forum: nltk webtext) recombined so that every paragraph is new: a document draws one source
(web 60%, books 20%, forum 20%), a length log-uniform in 1-10 KB, and paragraphs of 2-6 random sentences
of that source. Web boilerplate is added as whole lines (a header line in 40% of documents, 1-3 footer
lines such as "Share this article" or a cookie notice in 80%), so repeated-line removal has work. One
seeded random stream makes every document in order, so a smaller set is a prefix of a bigger one, and
it mixes in redundancy against a reservoir of earlier documents: 5% exact duplicates (same text, new id
and URL), 3% URL duplicates (an earlier URL, new text), 3% near duplicates (an earlier text with 3-8
words replaced). The per-set counts are in data.json next to the files.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict

from pipeline.plan.measure import tree_rss  # the process tree's RSS, as `plan build` measures it

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.environ.get("TOKENMILL_CORPUS") or os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "shared", "corpus")
TOKENIZER = os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json")
DEFAULT_CACHE = "/tmp/tokenmill-bench/memory"
GENERATOR_VERSION = 1  # bump when the generator changes: the cache key includes it
SEED = 1234
MB = 1_000_000
FILE_TEXT_BYTES = 16 * MB
SAMPLE_EVERY_S = 0.2

# source -> ([(corpus file, lines are hard-wrapped prose)], share of documents)
SOURCES = {
    "web": ([("web/cc_dolma.jsonl.gz", False), ("web/pydocs.jsonl.gz", True)], 0.6),
    "books": ([("books/speeches.jsonl.gz", False)], 0.2),
    "forum": ([("forum/webtext.jsonl.gz", False)], 0.2),
}
HEADER_LINES = [
    "Skip to main content", "Home | News | Sport | Business | Culture | Contact", "Menu", "Search this site",
    "You are here: Home", "Log in or register to post comments", "Advertisement", "Breadcrumb navigation",
]
FOOTER_LINES = [
    "Share this article", "Share on Facebook", "Share on Twitter", "Tweet", "Print this page", "Related articles",
    "Read more", "Leave a comment", "Posted in Uncategorized", "Back to top", "Accept all cookies",
    "We use cookies to improve your experience on our site. By continuing to browse you agree to our use of cookies.",
    "This website uses cookies to ensure you get the best experience on our website. Learn more",
    "Subscribe to our newsletter", "Sign up for our free weekly newsletter to get the latest updates delivered to your inbox.",
    "Copyright © 2024 All rights reserved.", "Privacy Policy | Terms of Use | Contact Us", "Powered by WordPress",
    "Your email address will not be published. Required fields are marked *", "Previous post", "Next post",
]
TLDS = ["com", "org", "net", "co.uk", "info", "blog"]
DUPLICATES = (("exact", 0.05), ("url", 0.03), ("near", 0.03))  # the rest are fresh documents
RESERVOIR = 10_000
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


# --- input ----------------------------------------------------------------------------------------

def _is_prose(line: str) -> bool:
    words = line.split()
    return len(words) >= 4 and sum(w[0].isalpha() for w in words) >= 0.8 * len(words)


def sentence_pools() -> dict[str, list[str]]:
    """{source: distinct real sentences of at least 4 words}, in a fixed order; code and navigation
    lines (few words, mostly non-alphabetic) are left out, hard-wrapped prose lines are rejoined."""
    pools = {}
    for source, (files, _) in SOURCES.items():
        sentences = set()
        for name, wrapped in files:
            with gzip.open(os.path.join(CORPUS, name), "rt", encoding="utf-8") as f:
                for record in map(json.loads, f):
                    lines = [l.strip() for l in record["text"].splitlines() if _is_prose(l)]
                    blocks = [" ".join(lines)] if wrapped else lines
                    for block in blocks:
                        sentences.update(s for s in SENTENCE_END.split(block) if len(s.split()) >= 4)
        pools[source] = sorted(sentences)
    return pools


def fresh_text(rng: random.Random, pools: dict[str, list[str]]) -> str:
    """A new document: optional header line, paragraphs of random sentences of one source, footer lines."""
    source = rng.choices(list(SOURCES), weights=[share for _, share in SOURCES.values()])[0]
    target = math.exp(rng.uniform(math.log(1000), math.log(10_000)))
    lines, size = [], 0
    if rng.random() < 0.4:
        lines.append(rng.choice(HEADER_LINES))
    while size < target:
        paragraph = " ".join(rng.choice(pools[source]) for _ in range(rng.randint(2, 6)))
        lines.append(paragraph)
        size += len(paragraph) + 1
    if rng.random() < 0.8:
        lines += rng.sample(FOOTER_LINES, rng.randint(1, 3))
    return "\n".join(lines)


def fresh_url(rng: random.Random, index: int, text: str) -> str:
    words = re.findall(r"[a-z]+", text[:200].lower())
    domain = f"www.{rng.choice(words or ['site'])}{rng.randrange(1000)}.{rng.choice(TLDS)}"
    return f"https://{domain}/{rng.randint(2010, 2024)}/{'-'.join(words[:5])}-{index}"


def near_copy(rng: random.Random, text: str, vocabulary: list[str]) -> str:
    """`text` with 3-8 of its words replaced by other real words (line breaks kept)."""
    lines = [line.split(" ") for line in text.split("\n")]
    positions = [(i, j) for i, words in enumerate(lines) for j in range(len(words))]
    for i, j in rng.sample(positions, min(len(positions), rng.randint(3, 8))):
        word = rng.choice(vocabulary)
        lines[i][j] = word if word != lines[i][j] else word + "s"
    return "\n".join(" ".join(words) for words in lines)


def documents(seed: int):
    """Endless stream of (kind, {"id", "text", "url"}); kind is fresh, exact, url or near."""
    rng, pools = random.Random(seed), sentence_pools()
    vocabulary = sorted({w for s in pools["web"][:5000] for w in s.split()})
    earlier: list[dict] = []  # reservoir sample of earlier fresh documents
    fresh_seen = 0
    for index in range(10**12):
        draw, kind = rng.random(), "fresh"
        for name, share in DUPLICATES:
            if draw < share:
                kind = name
                break
            draw -= share
        if kind != "fresh" and not earlier:
            kind = "fresh"
        doc_id = f"doc-{index:09d}"
        if kind == "fresh":
            text = fresh_text(rng, pools)
            doc = {"id": doc_id, "text": text, "url": fresh_url(rng, index, text)}
            fresh_seen += 1
            if len(earlier) < RESERVOIR:
                earlier.append(doc)
            elif (slot := rng.randrange(fresh_seen)) < RESERVOIR:
                earlier[slot] = doc
        else:
            original = rng.choice(earlier)
            if kind == "exact":
                doc = {"id": doc_id, "text": original["text"], "url": fresh_url(rng, index, original["text"])}
            elif kind == "url":
                doc = {"id": doc_id, "text": fresh_text(rng, pools), "url": original["url"]}
            else:
                text = near_copy(rng, original["text"], vocabulary)
                doc = {"id": doc_id, "text": text, "url": fresh_url(rng, index, text)}
        yield kind, doc


def build_input(size_mb: int, cache: str, seed: int = SEED) -> tuple[str, dict]:
    """(folder of part-*.jsonl.gz, its data.json stats); built once, reused while data.json exists."""
    folder = os.path.join(cache, f"data-{size_mb}mb-seed{seed}-v{GENERATOR_VERSION}")
    stats_path = os.path.join(folder, "data.json")
    if os.path.exists(stats_path):
        with open(stats_path) as f:
            return folder, json.load(f)
    partial = folder + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    started = time.time()
    counts, text_bytes, file_bytes, out, in_file = defaultdict(int), 0, 0, None, 0
    for kind, doc in documents(seed):
        if text_bytes >= size_mb * MB:
            break
        if out is None or in_file >= FILE_TEXT_BYTES:
            if out:
                out.close()
            out = gzip.open(os.path.join(partial, f"part-{len(os.listdir(partial)):05d}.jsonl.gz"), "wt", encoding="utf-8")
            in_file = 0
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        n = len(doc["text"].encode("utf-8"))
        counts[kind] += 1
        text_bytes += n
        in_file += n
    out.close()
    file_bytes = sum(os.path.getsize(os.path.join(partial, name)) for name in os.listdir(partial))
    docs = sum(counts.values())
    stats = {"documents": docs, "kinds": dict(counts), "text_bytes": text_bytes, "file_bytes": file_bytes,
             "files": len(os.listdir(partial)), "seed": seed, "seconds_to_build": round(time.time() - started, 1),
             "shares": {k: round(v / docs, 4) for k, v in counts.items()}}
    with open(os.path.join(partial, "data.json"), "w") as f:
        json.dump(stats, f, indent=1)
    shutil.rmtree(folder, ignore_errors=True)
    os.rename(partial, folder)
    return folder, stats


def write_recipe(data_dir: str) -> str:
    """A FineWeb-like recipe over the folder (JSON is YAML; absolute paths, so it runs from anywhere)."""
    recipe = {
        "output": os.path.join(data_dir, "out"),  # always overridden with --output
        "seed": SEED, "seq_len": 1024,
        "tokenizer": {"path": TOKENIZER, "eos": "<|endoftext|>"},
        "validation_fraction": 0.01, "shards": {"train": 8, "validation": 1}, "write_curated": True,
        "sources": [{"name": "web", "paths": [os.path.join(data_dir, "*.jsonl.gz")], "format": "jsonl", "id_field": "id"}],
        "filters": [{"name": "gopher_repetition"}, {"name": "gopher_quality"}],
        "dedup": {"url": True, "exact": True, "lines": True, "near": True},
    }
    path = os.path.join(data_dir, "recipe.yaml")
    with open(path, "w") as f:
        json.dump(recipe, f, indent=1)
    return path


# --- measurement ----------------------------------------------------------------------------------

def run_measured(cmd: list[str], log_path: str, timeout_s: float) -> tuple[int, int, float]:
    """(exit code, peak tree RSS in bytes, wall seconds) of cmd, run with its output in log_path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    with open(log_path, "w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env, start_new_session=True)
        peak, killed = 0, False
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            if not killed and time.perf_counter() - start > timeout_s:
                os.killpg(proc.pid, signal.SIGKILL)  # the run's own session: it and its workers only
                print(f"\nbench_memory: killed after {timeout_s:.0f}s", file=log, flush=True)
                killed = True
            time.sleep(SAMPLE_EVERY_S)
        return proc.returncode, peak, time.perf_counter() - start


def beam_args_for(workers: int, extra: list[str]) -> list[str]:
    """Explicit either way: `tokenmill run` itself defaults to one worker process per core."""
    if workers > 1:
        return ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"] + extra
    return ["--direct_running_mode=in_memory", "--direct_num_workers=1"] + extra


def shuffle_figures(report: dict, input_bytes: int) -> tuple[float | None, float | None]:
    """(bytes shuffled, per input byte) from report["shuffle"] when the pipeline reports it."""
    shuffle = report.get("shuffle")
    if isinstance(shuffle, (int, float)):
        return shuffle, shuffle / input_bytes
    if isinstance(shuffle, dict):
        total = shuffle.get("total", shuffle.get("bytes"))
        per = shuffle.get("per_input_byte", total / input_bytes if isinstance(total, (int, float)) else None)
        return total, per
    return None, None


def one_run(size_mb: int, workers: int, extra: list[str], cache: str, keep: bool, timeout_s: float) -> dict:
    data_dir, stats = build_input(size_mb, cache)
    recipe = write_recipe(data_dir)
    name = f"{size_mb}mb-w{workers}"
    out, log = os.path.join(cache, "runs", name), os.path.join(cache, "logs", f"{name}.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    shutil.rmtree(out, ignore_errors=True)
    beam_args = beam_args_for(workers, extra)
    cmd = [sys.executable, "-m", "pipeline.cli", "run", recipe, "--output", out] + (["--", *beam_args] if beam_args else [])
    rc, peak, wall = run_measured(cmd, log, timeout_s)
    row = {"size_mb": size_mb, "workers": workers, "beam_args": beam_args, "ok": rc == 0, "exit_code": rc,
           "input_text_bytes": stats["text_bytes"], "input_file_bytes": stats["file_bytes"],
           "documents": stats["documents"], "peak_rss_bytes": peak, "wall_s": round(wall, 2), "log": log}
    if rc == 0:
        with open(os.path.join(out, "manifest.json")) as f:
            row["train_tokens"] = json.load(f)["splits"]["train"]["tokens"]
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        row["pipeline_s"] = report.get("wall_seconds")
        row["shuffle_bytes"], row["shuffle_per_input_byte"] = shuffle_figures(report, stats["text_bytes"])
    else:
        with open(log, errors="replace") as f:
            tail = f.read()[-4000:]
        print(f"\n!! {name} failed (exit {rc}); last lines of {log}:\n{tail}\n", file=sys.stderr)
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return row


# --- report ---------------------------------------------------------------------------------------

def ratios(rows: list[dict]) -> dict:
    """Per worker setting: peak RSS at the largest size / at the smallest, and the marginal RSS per
    input byte between them."""
    out = {}
    for workers in sorted({r["workers"] for r in rows}):
        ok = sorted((r for r in rows if r["workers"] == workers and r["ok"]), key=lambda r: r["input_text_bytes"])
        if len(ok) >= 2 and ok[-1]["size_mb"] != ok[0]["size_mb"]:
            small, large = ok[0], ok[-1]
            out[str(workers)] = {
                "from_mb": small["size_mb"], "to_mb": large["size_mb"],
                "peak_rss_ratio": round(large["peak_rss_bytes"] / small["peak_rss_bytes"], 3),
                "input_ratio": round(large["input_text_bytes"] / small["input_text_bytes"], 3),
                "marginal_rss_per_input_byte": round((large["peak_rss_bytes"] - small["peak_rss_bytes"])
                                                     / (large["input_text_bytes"] - small["input_text_bytes"]), 3),
            }
    return out


def markdown(rows: list[dict], by_workers: dict) -> str:
    def fmt(value, spec):
        return "n/a" if value is None else format(value, spec)

    lines = ["| size MB | workers | documents | peak RSS MB | RSS B / input B | wall s | tokens/s | shuffle B / input B |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if not r["ok"]:
            lines.append(f"| {r['size_mb']} | {r['workers']} | {r['documents']:,} | FAILED (exit {r['exit_code']}, "
                         f"see {r['log']}) | | {r['wall_s']:.1f} | | |")
            continue
        lines.append(f"| {r['size_mb']} | {r['workers']} | {r['documents']:,} | {r['peak_rss_bytes'] / MB:,.0f} | "
                     f"{r['peak_rss_bytes'] / r['input_text_bytes']:.2f} | {r['wall_s']:.1f} | "
                     f"{r['train_tokens'] / r['wall_s']:,.0f} | {fmt(r.get('shuffle_per_input_byte'), '.2f')} |")
    for workers, q in by_workers.items():
        lines.append(f"\nworkers={workers}: peak RSS x{q['peak_rss_ratio']} from {q['from_mb']} to {q['to_mb']} MB "
                     f"(input x{q['input_ratio']}); marginal RSS {q['marginal_rss_per_input_byte']} B per input byte")
    return "\n".join(lines)


def code_version() -> str:
    """The measured checkout: its commit, '+dirty' when it has uncommitted changes."""
    def git(*args):
        return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True).stdout.strip()

    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes-mb", default="100,330,660,1000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--beam-args", default="", help='Beam arguments appended to every run, one string: --beam-args="--flag=value ..."')
    parser.add_argument("--cache", default=DEFAULT_CACHE, help="inputs, logs and (with --keep) outputs")
    parser.add_argument("--json", default=None, help="results file (default CACHE/results.json)")
    parser.add_argument("--keep", action="store_true", help="keep each run's output folder under CACHE/runs/")
    parser.add_argument("--timeout-s", type=float, default=3600, help="per run; the run is killed after it")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes_mb.split(",")]
    worker_settings = [int(w) for w in args.workers.split(",")]
    extra = shlex.split(args.beam_args)
    os.makedirs(args.cache, exist_ok=True)

    version = code_version()
    print(f"measuring {REPO} at {version}; inputs, logs in {args.cache}", file=sys.stderr)
    for size in sizes:
        _, stats = build_input(size, args.cache)
        print(f"input {size} MB: {stats['documents']:,} documents in {stats['files']} file(s), "
              f"{stats['file_bytes'] / MB:.1f} MB gzipped; {stats['kinds']}", file=sys.stderr)
    rows = []
    for size in sizes:
        for workers in worker_settings:
            row = one_run(size, workers, extra, args.cache, args.keep, args.timeout_s)
            print(f"{size} MB, workers={workers}: {'ok' if row['ok'] else 'FAILED'}, peak RSS "
                  f"{row['peak_rss_bytes'] / MB:,.0f} MB, {row['wall_s']:.1f}s", file=sys.stderr, flush=True)
            rows.append(row)
    by_workers = ratios(rows)
    print(f"code: {version}; recipe: url+exact+lines+near dedup, gopher_repetition+gopher_quality, "
          f"gpt-neox-20b, seq_len 1024{'; beam args: ' + args.beam_args if extra else ''}\n")
    print(markdown(rows, by_workers))
    json_path = args.json or os.path.join(args.cache, "results.json")
    with open(json_path, "w") as f:
        json.dump({"code": version, "repo": REPO, "beam_args": extra, "runs": rows, "ratios": by_workers}, f, indent=1)
    print(f"\nresults: {json_path}", file=sys.stderr)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
