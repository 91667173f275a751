"""A labelled decontamination benchmark: evaluation examples planted in real documents, beside clean
documents on the same topics (every random choice a pure function of (seed, id)).

    python -m bench.decontam_data --out /tmp/decontam   # writes eval.jsonl, docs.jsonl, labels.json

How the set is made, from the shared corpus (/work/shared/corpus, else examples/data):
  1. The evaluation set: `eval_size` GSM8K problems chosen by hash of their id, split into the fields an
     exported benchmark has (`question`, `answer`). The other GSM8K problems are training documents on
     the same topic and in the same style: clean (a GSM8K problem reused in another is a true positive,
     so the report lists any they share with the eval set).
  2. Hosts: real English documents (State of the Union speeches, Python docs pages, forum posts, Common
     Crawl pages), each also kept once unchanged as a clean document.
  3. Every eval example is planted once, in one of five ways (in turn):
       whole        "Question: ... Answer: ..." as its own document, as a Q&A dump would hold it
       reformatted  casing (upper, lower or title), punctuation dropped or doubled, spacing and line
                    breaks changed, inside a short host
       middle60     only the middle 60% of the example's words, inside a host
       long_doc     the whole example at a random place in a long host (1,500-3,000 words)
       question     the question alone (no answer), lightly reformatted, inside a host
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re

from pipeline.hashing import stable_hash, unit_interval

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS_DIRS = ["/work/shared/corpus", os.path.join(REPO, "examples", "data")]
HOST_FILES = ["books/speeches.jsonl.gz", "web/pydocs.jsonl.gz", "web/pydocs_sample.jsonl.gz",
              "forum/webtext.jsonl.gz", "web/cc_dolma.jsonl.gz", "forum/nps_chat.jsonl.gz"]
VARIANTS = ("whole", "reformatted", "middle60", "long_doc", "question")
SEED = 7


def corpus_dir() -> str:
    return next(d for d in CORPUS_DIRS if os.path.isdir(d))


def _read(path: str) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def split_problem(text: str) -> tuple[str, str]:
    question, answer = text.removeprefix("Question: ").split("\nAnswer: ", 1)
    return question, answer


def reformat(text: str, rng: random.Random) -> str:
    casing = rng.choice([str.upper, str.lower, str.title])
    text = casing(text)
    if rng.random() < 0.5:
        text = re.sub(r"[^\w\s]", "", text)  # punctuation dropped
    else:
        text = re.sub(r"([.,?!])", r"\1\1 ", text)  # doubled, spaced
    return re.sub(r" ", lambda _: rng.choice([" ", "  ", "\n", " \t"]), text)


def middle(text: str, fraction: float = 0.6) -> str:
    words = text.split()
    cut = round(len(words) * (1 - fraction) / 2)
    return " ".join(words[cut:len(words) - cut])


def insert_at_random(host: str, plant: str, rng: random.Random) -> str:
    paragraphs = host.split("\n")
    at = rng.randrange(len(paragraphs) + 1)
    return "\n".join(paragraphs[:at] + [plant] + paragraphs[at:])


def build(eval_size: int = 1000, seed: int = SEED) -> tuple[list[dict], list[dict]]:
    """(eval examples {id, question, answer}, documents {id, source, text, label, variant, example})."""
    root = corpus_dir()
    problems = _read(os.path.join(root, "math", "gsm8k_train.jsonl.gz"))
    ranked = sorted(problems, key=lambda p: stable_hash(seed, "eval", p["id"]))
    evals = [dict(zip(("question", "answer"), split_problem(p["text"])), id=p["id"].replace("gsm8k_train", "gsm8k_eval"))
             for p in ranked[:eval_size]]
    docs = [{"id": p["id"], "source": "math", "text": p["text"], "label": "clean", "variant": "gsm8k_other",
             "example": None} for p in ranked[eval_size:]]
    hosts = [h for f in HOST_FILES if os.path.exists(os.path.join(root, f)) for h in _read(os.path.join(root, f))]
    docs += [{"id": f"host/{h['id']}", "source": "host", "text": h["text"], "label": "clean", "variant": "host",
              "example": None} for h in hosts]
    long_hosts = [h for h in hosts if len(h["text"].split()) >= 1500]
    short_hosts = [h for h in hosts if 50 <= len(h["text"].split()) < 1500]
    for i, e in enumerate(evals):
        rng = random.Random(stable_hash(seed, "plant", e["id"]))
        variant = VARIANTS[i % len(VARIANTS)]
        whole = f"Question: {e['question']}\nAnswer: {e['answer']}"
        if variant == "whole":
            text = whole
        elif variant == "reformatted":
            text = insert_at_random(rng.choice(short_hosts)["text"], reformat(whole, rng), rng)
        elif variant == "middle60":
            text = insert_at_random(rng.choice(short_hosts)["text"], middle(e["question"] + " " + e["answer"]), rng)
        elif variant == "long_doc":
            words = rng.choice(long_hosts)["text"].split(" ")
            start = rng.randrange(max(1, len(words) - 3000))
            host = " ".join(words[start:start + rng.randrange(1500, 3001)])
            text = insert_at_random(host, whole, rng)
        else:
            question = e["question"] if unit_interval(seed, "q-case", e["id"]) < 0.5 else e["question"].upper()
            text = insert_at_random(rng.choice(short_hosts)["text"], question, rng)
        docs.append({"id": f"planted/{variant}/{e['id']}", "source": "planted", "text": text, "label": "planted",
                     "variant": variant, "example": e["id"]})
    return evals, docs


def write(out: str, evals: list[dict], docs: list[dict]) -> dict[str, str]:
    os.makedirs(out, exist_ok=True)
    paths = {"eval": os.path.join(out, "eval.jsonl"), "docs": os.path.join(out, "docs.jsonl"),
             "labels": os.path.join(out, "labels.json")}
    with open(paths["eval"], "w", encoding="utf-8") as f:
        f.writelines(json.dumps(e) + "\n" for e in evals)
    with open(paths["docs"], "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in docs)
    with open(paths["labels"], "w", encoding="utf-8") as f:
        json.dump({d["id"]: [d["label"], d["variant"], d["example"]] for d in docs}, f)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--eval-size", type=int, default=1000)
    args = parser.parse_args()
    evals, docs = build(args.eval_size)
    print(write(args.out, evals, docs))


if __name__ == "__main__":
    main()
