"""The backbone's passes through the real pipeline (in-process runner): reading (documents, unreadable
records, empty texts) and the outcome counts of report.json, exact dedup whatever the input order,
tokenization in batches with EOS; and routing + shard writing on their own over a hand-made spill."""
import collections
import functools
import gzip
import json
import os
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.util import assert_that, equal_to
from tokenizers import Tokenizer

from pipeline.config import build_config
from pipeline.document import Document
from pipeline.run import run
from pipeline.dataset.shard_reader import read_shard_rows
from pipeline.shard_layout import ShardLayout
from pipeline.spill import SpillPaths, write_records
from pipeline.transforms.split_pass import SplitPlan
from pipeline.transforms.write_shards import RouteCopies, WriteShards
from tests.conftest import TOKENIZER_JSON
from tests.pipeline.shard_segments import eos_segments
from tests.pipeline.stage_runner import run_documents

EOS = "<|endoftext|>"


@functools.lru_cache(maxsize=None)
def _tokenizer() -> Tokenizer:
    return Tokenizer.from_file(TOKENIZER_JSON)


def _tokens(text: str) -> list[int]:
    """The document's tokens as the tokenizer library gives them, EOS appended."""
    tok = _tokenizer()
    return tok.encode(text, add_special_tokens=False).ids + [tok.token_to_id(EOS)]


def _parquet_rows(folder) -> list[dict]:
    return [row for name in sorted(os.listdir(folder)) if name.endswith(".parquet")
            for row in pq.read_table(os.path.join(folder, name)).to_pylist()]


def test_reading_splits_docs_errors_and_empty_texts_and_counts_every_outcome(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    first = json.dumps({"id": "a", "text": "alpha"})
    with gzip.open(path, "wt") as f:
        f.write(first + "\n")
        f.write("{broken\n")
        f.write(json.dumps({"id": "e", "text": "   "}) + "\n")
        f.write(json.dumps({"id": "b", "text": "beta"}) + "\n")
        f.write(json.dumps({"id": "c", "text": "Beta"}) + "\n")  # an exact duplicate of b
    cfg = build_config({
        "output": str(tmp_path / "out"), "seq_len": 1, "tokenizer": {"path": TOKENIZER_JSON},
        "validation_fraction": 0.0, "shards": {"train": 1, "validation": 1}, "max_error_fraction": 0.5,
        "dedup": {"exact": True},
        # the same file named twice (a glob and its path) is read once
        "sources": [{"name": "s", "paths": [str(tmp_path / "*.jsonl.gz"), str(path)], "id_field": "id"}]})
    report = run(cfg, [])
    out = tmp_path / "out"

    assert sorted(row["id"] for row in _parquet_rows(out / "curated")) == ["a", "b"]
    errors = [json.loads(line) for name in sorted(os.listdir(out / "errors"))
              for line in open(out / "errors" / name, encoding="utf-8")]
    assert [(os.path.basename(e["file"]), e["position"], e["error"][:14], e["source"]) for e in errors] == [
        ("a.jsonl.gz", len(first) + 1, "malformed JSON", "s")]
    rejects = sorted((r["id"], r["stage"], r["reason"], r["duplicate_of"]) for r in _parquet_rows(out / "rejects"))
    assert rejects == [("c", "dedup_exact", "exact_duplicate", "b"), ("e", "read", "empty_text", None)]

    s = report["sources"]["s"]
    assert (s["read"], s["kept"], s["rejected"], s["duplicates"], s["unreadable"]) == (5, 2, 1, 1, 1)
    assert s["identity_holds"]
    assert s["kept_tokens"] == len(_tokens("alpha")) + len(_tokens("beta"))
    assert s["rejected_by_reason"] == {"empty_text": 1} and s["rejected_by_stage"] == {"read": {"empty_text": 1}}
    assert s["duplicates_by_reason"] == {"dedup_exact:exact_duplicate": 1}
    assert s["removed_tokens_by_reason"] == {"empty_text": len(_tokens("   ")),
                                             "dedup_exact:exact_duplicate": len(_tokens("Beta"))}


EXACT_DOCS = [Document("z", "s", "Hello  World"), Document("b", "s", "hello world"), Document("c", "s", "other"),
              Document("a", "t", "HELLO WORLD\n")]
TOKEN_TEXTS = [f"text number {i}" for i in range(40)]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Exact dedup over two sources plus 40 documents to tokenize in batches of 8, in order and reversed."""
    docs = EXACT_DOCS + [Document(f"d{i}", "tok", t) for i, t in enumerate(TOKEN_TEXTS)]
    tmp = tmp_path_factory.mktemp("transforms")
    return [run_documents(ordering, tmp, name=name, dedup={"exact": True},
                          tokenizer={"path": TOKENIZER_JSON, "batch_size": 8})
            for name, ordering in (("in-order", docs), ("reversed", docs[::-1]))]


def test_exact_dedup_keeps_the_smallest_id_whatever_the_order(outcomes):
    for outcome in outcomes:
        assert {"a", "c"} <= set(outcome.kept) and not {"b", "z"} & set(outcome.kept)
        assert outcome.rejected == [("b", "dedup_exact", "exact_duplicate", "a"), ("z", "dedup_exact", "exact_duplicate", "a")]
        assert outcome.report["sources"]["s"]["duplicates_by_reason"] == {"dedup_exact:exact_duplicate": 2}
        assert outcome.counters["dedup_exact/duplicates"] == 2


def test_tokenization_in_batches_appends_eos_and_the_output_does_not_depend_on_the_order(outcomes):
    kept_texts = ["other", "HELLO WORLD\n"] + TOKEN_TEXTS
    expected = collections.Counter(tuple(_tokens(t)[:-1]) for t in kept_texts)
    for outcome in outcomes:
        assert outcome.report["sources"]["tok"]["kept_tokens"] == sum(len(_tokens(t)) for t in TOKEN_TEXTS)
        assert outcome.counters["tokenize/tokens"] == sum(len(_tokens(t)) for t in kept_texts)
        manifest, found = eos_segments(Path(outcome.output))
        segments = collections.Counter(tuple(tokens) for _, tokens in found["train"])
        assert not segments - expected  # every complete document in the shards is one kept document
        # only the documents whose EOS fell into the dropped partial last row are missing
        assert sum((expected - segments).values()) == manifest["splits"]["train"]["dropped_tail_documents"]
    first, second = (Path(outcome.output) for outcome in outcomes)
    assert _shard_digests(first) == _shard_digests(second)
    for path in _shard_digests(first):
        assert (first / path).read_bytes() == (second / path).read_bytes()


def _shard_digests(out: Path) -> dict:
    manifest = json.loads((out / "manifest.json").read_text())
    return {s["path"]: s["xxh64"] for split in manifest["splits"].values() for s in split["shards"]}


def _spill_tokens(spill: SpillPaths, docs_per_split: list[list[tuple[str, np.ndarray]]]) -> None:
    """What the tokenize pass leaves: per split, a token file and its (id, source, hash, offset, length) index."""
    for number, docs in enumerate(docs_per_split):
        os.makedirs(os.path.dirname(spill.tokens(number)), exist_ok=True)
        index, offset = [], 0
        with open(spill.tokens(number), "wb") as f:
            for doc_id, tokens in docs:
                f.write(tokens.tobytes())
                index.append((doc_id, "s", 0, offset, len(tokens)))
                offset += len(tokens)
        write_records(spill.token_index(number), index)


def test_route_and_write_shards_place_every_copy_once_and_write_every_shard(beam_pipeline, tmp_path):
    layout = ShardLayout(seed=3, validation_fraction=0.2, train_shards=3, validation_shards=2)
    docs = [(f"d{i}", np.full(5 + i % 4, i, dtype=np.uint16)) for i in range(60)]
    spill = SpillPaths(str(tmp_path / ".tmp"))
    _spill_tokens(spill, [docs[:25], docs[25:], []])  # three splits, the last one empty
    total = sum(len(t) for _, t in docs)

    def check_stats(stats):
        assert sum(s["documents"] for s in stats) == 60
        assert sum(s["tokens"] + s["dropped_tail_tokens"] for s in stats) == total  # tails only are dropped
        assert all(s["dropped_tail_tokens"] < 4 for s in stats)

    with beam_pipeline() as p:
        plan = p | "Plan" >> beam.Create([SplitPlan(3, 0, 0)])
        routed = p | "Splits" >> beam.Create([0, 1, 2]) | RouteCopies(layout, spill)
        shard_stats = routed["routed"] | WriteShards(layout, 3, "uint16", str(tmp_path), spill, plan)
        assert_that(shard_stats | beam.Map(lambda s: s["path"]), equal_to(
            [f"train/shard-0000{i}-of-00003.arrow" for i in range(3)]
            + [f"validation/shard-0000{i}-of-00002.arrow" for i in range(2)]), label="EveryShard")
        assert_that(routed["sampled"] | beam.CombinePerKey(lambda pairs: tuple(map(sum, zip(*pairs)))),
                    equal_to([("s", (60, total))]), label="Sampled")
        assert_that(shard_stats, check_stats, label="Stats")

    seen = collections.Counter()
    for split, n in (("train", 3), ("validation", 2)):
        for i in range(n):
            rows = read_shard_rows(str(tmp_path / split / f"shard-{i:05d}-of-{n:05d}.arrow"))
            seen.update(int(v) for v in rows.reshape(-1))
    assert total - 5 * 4 < sum(seen.values()) <= total  # only tails (< 4 tokens per shard) are dropped
    assert all(seen[i] <= 5 + i % 4 for i in range(60))  # no document placed twice
