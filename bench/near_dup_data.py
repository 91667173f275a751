"""A labelled near-duplicate benchmark built from real documents of the sample corpus.

    python -m bench.near_dup_data --originals 1000 --out /tmp/neardup   # writes docs-1x.jsonl, pairs.jsonl

How the set is made (every random choice a pure function of (seed, document id)):
  1. Originals: real documents of at least 50 words (cut to their first 800) from every source of the
     sample corpus, mutually dissimilar: one of each pair with true Jaccard >= 0.3 is dropped.
  2. Each original gets 0-3 edited copies. A copy draws an edit type (word insertions, deletions,
     swaps, real boilerplate lines added, or a mix of all) and a target Jaccard in [0.25, 0.98]; the
     amount of editing is found by bisection on the exact Jaccard of the 5-word shingle sets.
  3. Labels: the exact Jaccard of every pair within a family (original and copies), plus every pair
     across families with Jaccard >= 0.3, found through an inverted index of the shingles (shingles
     shared by more than 200 documents only generate no candidates) and computed exactly.
Bigger inputs (4x, 16x) add replicas of the 1x set in which a fixed half of the vocabulary carries a
replica suffix: within a replica the families keep their structure, across replicas documents share
almost no shingle (about 0.5^5 of them).
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass

from pipeline.dedup.lines import normalize_line
from pipeline.dedup.shingles import jaccard, word_shingles
from pipeline.hashing import stable_hash

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS_DIRS = ["/work/shared/corpus", os.path.join(REPO, "examples", "data")]
NGRAM = 5
MIN_WORDS, MAX_WORDS = 50, 800
EDITS = ("insert", "delete", "swap", "boilerplate", "mixed")
# Upper bound of the edit amount per type (as a fraction of the document's words).
MAX_AMOUNT = {"insert": 3.0, "delete": 0.9, "swap": 1.0, "boilerplate": 4.0, "mixed": 1.5}


@dataclass
class Doc:
    id: str
    source: str
    text: str
    family: str
    edit: str = "original"
    target: float = 1.0


def corpus_dir() -> str:
    return next(d for d in CORPUS_DIRS if os.path.isdir(d))


def _read_jsonl(path: str):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def candidate_originals(seed: int) -> list[Doc]:
    """Every usable real document, in a seeded order (a hash of its id)."""
    root, docs = corpus_dir(), []
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".jsonl.gz"):
                continue
            for rec in _read_jsonl(os.path.join(dirpath, name)):
                words = rec["text"].split()
                if len(words) >= MIN_WORDS:
                    text = rec["text"] if len(words) <= MAX_WORDS else " ".join(words[:MAX_WORDS])
                    docs.append(Doc(str(rec["id"]), rec.get("source", "web"), text, family=str(rec["id"])))
    docs.sort(key=lambda d: stable_hash(seed, "bench_order", d.id))
    return docs


def boilerplate_lines() -> list[str]:
    """Real boilerplate: the lines repeated across the Python documentation pages (navigation,
    footers, headers), each kept once, in corpus order."""
    counts, order = defaultdict(int), []
    for rec in _read_jsonl(os.path.join(corpus_dir(), "web", "pydocs.jsonl.gz" if os.path.exists(
            os.path.join(corpus_dir(), "web", "pydocs.jsonl.gz")) else "pydocs_sample.jsonl.gz")):
        for line in rec["text"].splitlines():
            key = normalize_line(line)
            if key:
                counts[key] += 1
                if counts[key] == 1:
                    order.append(line.strip())
    return [line for line in order if counts[normalize_line(line)] >= 10]


def similar_pairs(shingles: dict[str, set], min_jaccard: float, max_df: int = 200) -> dict[tuple, float]:
    """{(a, b): exact Jaccard} for the pairs with Jaccard >= min_jaccard that share a shingle held by
    at most max_df documents."""
    index = defaultdict(list)
    for doc_id, sh in shingles.items():
        for s in sh:
            index[s].append(doc_id)
    candidates = set()
    for ids in index.values():
        if 1 < len(ids) <= max_df:
            candidates.update(itertools.combinations(sorted(ids), 2))
    out = {}
    for a, b in candidates:
        j = jaccard(shingles[a], shingles[b])
        if j >= min_jaccard:
            out[(a, b)] = j
    return out


def _edit(words: list[str], kind: str, amount: float, rng: random.Random, vocab: list[str], boiler: list[str]) -> list[str]:
    n = len(words)
    out = list(words)
    if kind == "mixed":
        for sub in ("delete", "swap", "insert", "boilerplate"):
            out = _edit(out, sub, amount / 4, rng, vocab, boiler)
        return out
    k = int(round(amount * n))
    if kind == "insert":
        for _ in range(k):
            out.insert(rng.randrange(len(out) + 1), rng.choice(vocab))
    elif kind == "delete":
        for _ in range(min(k, len(out) - 5)):
            del out[rng.randrange(len(out))]
    elif kind == "swap":
        for _ in range(k):
            i, j = rng.randrange(len(out)), rng.randrange(len(out))
            out[i], out[j] = out[j], out[i]
    elif kind == "boilerplate":
        start, added, head, tail = rng.randrange(len(boiler)), 0, [], []
        i = start
        while added < k:
            line = boiler[i % len(boiler)].split()
            (head if rng.random() < 0.5 else tail).extend(line)
            added += len(line)
            i += 1
        out = head + out + tail
    return out


def make_copy(original: Doc, copy_index: int, seed: int, vocab: list[str], boiler: list[str]) -> Doc:
    rng = random.Random(stable_hash(seed, "bench_copy", original.id, copy_index))
    kind = EDITS[rng.randrange(len(EDITS))]
    target = rng.uniform(0.25, 0.98)
    edit_seed = rng.randrange(1 << 30)
    words = original.text.split()
    base = word_shingles(original.text, NGRAM)

    def attempt(amount):
        edited = " ".join(_edit(words, kind, amount, random.Random(edit_seed), vocab, boiler))
        return edited, jaccard(base, word_shingles(edited, NGRAM))

    lo, hi = 0.0, MAX_AMOUNT[kind]
    best = attempt(hi)
    for _ in range(12):  # bisection: the similarity falls as the amount of editing grows
        mid = (lo + hi) / 2
        text, j = attempt(mid)
        if abs(j - target) < abs(best[1] - target):
            best = (text, j)
        if j > target:
            lo = mid
        else:
            hi = mid
    return Doc(f"{original.id}~copy{copy_index}", original.source, best[0], original.id, kind, target)


def build_labelled_set(n_originals: int, seed: int = 0) -> tuple[list[Doc], dict[tuple, float]]:
    """(documents, {(id_a, id_b): exact Jaccard}) for every family pair and every pair >= 0.3."""
    pool = candidate_originals(seed)
    shingles, originals = {}, []
    for doc in pool[: n_originals * 2]:
        shingles[doc.id] = word_shingles(doc.text, NGRAM)
    too_close = similar_pairs(shingles, 0.3)
    dropped = {max(a, b, key=lambda i: stable_hash(seed, "bench_order", i)) for a, b in too_close}
    originals = [d for d in pool[: n_originals * 2] if d.id not in dropped][:n_originals]
    vocab = sorted({w for d in pool[n_originals * 2 : n_originals * 3] for w in d.text.split()})
    boiler = boilerplate_lines()
    docs = []
    for orig in originals:
        docs.append(orig)
        n_copies = stable_hash(seed, "bench_copies", orig.id) % 4
        docs += [make_copy(orig, i, seed, vocab, boiler) for i in range(n_copies)]
    shingles = {d.id: word_shingles(d.text, NGRAM) for d in docs}
    pairs = similar_pairs(shingles, 0.3)
    families = defaultdict(list)
    for d in docs:
        families[d.family].append(d.id)
    for ids in families.values():
        for a, b in itertools.combinations(sorted(ids), 2):
            pairs[(a, b)] = jaccard(shingles[a], shingles[b])
    return docs, pairs


def score(cluster: dict[str, str], pairs: dict[tuple, float], shingles: dict[str, set]) -> dict:
    """A system's result against the labels. `cluster`: {id: id of the document kept in its place}."""
    pos = [p for p, j in pairs.items() if j >= 0.8]
    neg = [p for p, j in pairs.items() if j < 0.5]
    removed = [i for i, s in cluster.items() if s != i]
    false_removed = [i for i in removed if jaccard(shingles[i], shingles[cluster[i]]) < 0.5]
    return {
        "recall_ge_0.8": sum(cluster[a] == cluster[b] for a, b in pos) / len(pos),
        "false_merge_lt_0.5": sum(cluster[a] == cluster[b] for a, b in neg) / len(neg),
        "removed": len(removed),
        "false_removals": len(false_removed),
        "false_removal_rate": len(false_removed) / len(cluster),
    }


def _replica_word(word: str, replica: int, seed: int) -> str:
    if stable_hash(seed, "bench_replica", replica, word.lower()) % 2:
        return word
    suffix = "".join(chr(ord("a") + int(c)) for c in str(replica))
    return word + "x" + suffix


def replicate(docs: list[Doc], scale: int, seed: int = 0) -> list[Doc]:
    """The 1x set followed by scale - 1 replicas with a replica-specific half of the vocabulary."""
    out = list(docs)
    for r in range(1, scale):
        for d in docs:
            text = "\n".join(" ".join(_replica_word(w, r, seed) for w in line.split()) for line in d.text.splitlines())
            out.append(Doc(f"{d.id}@{r}", d.source, text, f"{d.family}@{r}", d.edit, d.target))
    return out


def write_jsonl(docs: list[Doc], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d.id, "source": d.source, "text": d.text}) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--originals", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scales", type=int, nargs="*", default=[1])
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    docs, pairs = build_labelled_set(args.originals, args.seed)
    for scale in args.scales:
        write_jsonl(replicate(docs, scale, args.seed), os.path.join(args.out, f"docs-{scale}x.jsonl"))
    with open(os.path.join(args.out, "pairs.jsonl"), "w") as f:
        for (a, b), j in sorted(pairs.items()):
            f.write(json.dumps({"a": a, "b": b, "jaccard": round(j, 6)}) + "\n")
    print(f"{len(docs)} documents, {len(pairs)} labelled pairs -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
