"""`tokenmill train-quality`: train the fastText classifier behind the `fasttext_quality` filter.

    tokenmill train-quality --positive books/*.jsonl.gz --negative web/*.jsonl.gz --output quality.bin

Positive documents (curated text: books, reference, speeches) get the label `hq`, negative ones (random
web or forum text) `lq`. A held-out fraction, chosen by a hash of (seed, file, line) so it does not
depend on file order, is kept out of training; precision, recall and F1 of the `hq` class on it are printed.
Exit codes: 0 trained, 2 bad arguments or unusable input.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
from dataclasses import dataclass

import xxhash

from filters.fasttext_models import predict_all
from filters.quality_text import NEGATIVE_LABEL, POSITIVE_LABEL, quality_text
from pipeline.cli_common import USAGE_ERROR
from pipeline.readers.streams import decompressed


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


def read_texts(pattern: str, text_field: str) -> list[tuple[str, str]]:
    """(key, text) for every record of every file matching `pattern`; key = file name + line number."""
    paths = sorted(glob.glob(pattern)) or ([pattern] if os.path.isfile(pattern) else [])
    if not paths:
        raise ValueError(f"no file matches {pattern!r}")
    out = []
    for path in paths:
        with open(path, "rb") as raw:
            for i, line in enumerate(decompressed(raw, path)):
                if not line.strip():
                    continue
                try:
                    text = json.loads(line)[text_field]
                except (ValueError, KeyError, TypeError):
                    raise ValueError(f"{path}:{i + 1}: not a JSON object with a {text_field!r} field") from None
                if isinstance(text, str) and text.strip():
                    out.append((f"{os.path.basename(path)}:{i}", text))
    return out


def is_held_out(key: str, seed: int, fraction: float) -> bool:
    return xxhash.xxh64_intdigest(key.encode("utf-8"), seed=seed % 2**64) / 2**64 < fraction


def binary_scores(truth: list[bool], predicted: list[bool]) -> Scores:
    tp = sum(t and p for t, p in zip(truth, predicted))
    fp = sum(p and not t for t, p in zip(truth, predicted))
    fn = sum(t and not p for t, p in zip(truth, predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, len(truth))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tokenmill train-quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--positive", nargs="+", required=True, help="jsonl(.gz/.zst) files or globs of good text")
    p.add_argument("--negative", nargs="+", required=True, help="jsonl(.gz/.zst) files or globs of other text")
    p.add_argument("--output", required=True, help="where to write the model (.bin)")
    p.add_argument("--text-field", default="text")
    p.add_argument("--holdout", type=float, default=0.2, help="fraction held out for evaluation (default 0.2)")
    p.add_argument("--threshold", type=float, default=0.5, help="hq probability counted as positive (default 0.5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epoch", type=int, default=10)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--word-ngrams", type=int, default=2)
    p.add_argument("--dim", type=int, default=64)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse has printed the usage error
        return 0 if e.code == 0 else USAGE_ERROR
    if not 0 < args.holdout < 1 or not 0 <= args.threshold <= 1 or args.epoch < 1 or args.dim < 1:
        print("train-quality: --holdout must be in (0, 1), --threshold in [0, 1], --epoch and --dim >= 1", file=sys.stderr)
        return USAGE_ERROR
    try:
        labelled = [(POSITIVE_LABEL, kt) for p in args.positive for kt in read_texts(p, args.text_field)]
        labelled += [(NEGATIVE_LABEL, kt) for p in args.negative for kt in read_texts(p, args.text_field)]
    except (ValueError, OSError) as e:
        print(f"train-quality: {e}", file=sys.stderr)
        return USAGE_ERROR
    train = [(lab, text) for lab, (key, text) in labelled if not is_held_out(key, args.seed, args.holdout)]
    held = [(lab, text) for lab, (key, text) in labelled if is_held_out(key, args.seed, args.holdout)]
    for name, part in (("training", train), ("held-out", held)):
        missing = {POSITIVE_LABEL, NEGATIVE_LABEL} - {lab for lab, _ in part}
        if missing:
            print(f"train-quality: the {name} set has no {'/'.join(sorted(missing))} documents; give more input",
                  file=sys.stderr)
            return USAGE_ERROR

    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.writelines(f"__label__{lab} {quality_text(text)}\n" for lab, text in train)
    try:
        # One thread: fastText's multi-threaded SGD is not reproducible.
        model = fasttext.train_supervised(input=f.name, epoch=args.epoch, lr=args.lr, wordNgrams=args.word_ngrams,
                                          dim=args.dim, seed=args.seed, thread=1, verbose=0)
    finally:
        os.unlink(f.name)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    model.save_model(args.output)

    truth = [lab == POSITIVE_LABEL for lab, _ in held]
    predicted = [predict_all(model, quality_text(text)).get(POSITIVE_LABEL, 0.0) >= args.threshold for _, text in held]
    s = binary_scores(truth, predicted)
    print(f"trained on {len(train)} documents ({sum(lab == POSITIVE_LABEL for lab, _ in train)} {POSITIVE_LABEL}), "
          f"held out {s.support} ({sum(truth)} {POSITIVE_LABEL})")
    print(f"held-out {POSITIVE_LABEL} at threshold {args.threshold}: precision {s.precision:.3f} "
          f"recall {s.recall:.3f} F1 {s.f1:.3f}")
    print(f"model written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
