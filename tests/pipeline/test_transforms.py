"""Each Beam transform of the backbone on the in-process runner, with assert_that."""
import gzip
import json
import os

import apache_beam as beam
import numpy as np
from apache_beam.testing.util import assert_that, equal_to

from pipeline.config import SourceConfig, TokenizerConfig
from tests.conftest import TOKENIZER_JSON
from pipeline.document import Document, Rejection, TokenizedDocument
from pipeline.shard_layout import ShardLayout
from pipeline.transforms.accounting import CountOutcomes
from pipeline.transforms.dedup_exact import DedupExact
from pipeline.transforms.read import ReadSource
from pipeline.transforms.tokenize import TokenizeDocuments
from pipeline.transforms.write_shards import WriteShards


def test_read_source_splits_docs_errors_and_empty_texts(beam_pipeline, tmp_path):
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps({"id": "a", "text": "alpha"}) + "\n")
        f.write("{broken\n")
        f.write(json.dumps({"id": "e", "text": "   "}) + "\n")
        f.write(json.dumps({"id": "b", "text": "beta"}) + "\n")
    src = SourceConfig(name="s", paths=[str(tmp_path / "*.jsonl.gz"), str(path)], id_field="id")
    with beam_pipeline() as p:
        out = p | ReadSource(src)
        assert_that(out["docs"] | "Ids" >> beam.Map(lambda d: d.id), equal_to(["a", "b"]), label="Docs")
        assert_that(out["errors"] | "Err" >> beam.Map(lambda e: (os.path.basename(e.file), e.position, e.error[:14])),
                    equal_to([("a.jsonl.gz", len(json.dumps({"id": "a", "text": "alpha"})) + 1, "malformed JSON")]), label="Errors")
        assert_that(out["rejected"] | "Rej" >> beam.Map(lambda r: (r.doc.id, r.stage, r.reason)),
                    equal_to([("e", "read", "empty_text")]), label="Empty")


def test_dedup_exact_keeps_the_smallest_id_whatever_the_order(beam_pipeline):
    docs = [Document("z", "s", "Hello  World"), Document("b", "s", "hello world"), Document("c", "s", "other"),
            Document("a", "t", "HELLO WORLD\n")]
    for ordering in (docs, docs[::-1]):
        with beam_pipeline() as p:
            out = p | beam.Create(ordering) | DedupExact()
            assert_that(out["kept"] | "K" >> beam.Map(lambda d: d.id), equal_to(["a", "c"]), label="Kept")
            assert_that(out["rejected"] | "R" >> beam.Map(lambda r: (r.doc.id, r.reason, r.duplicate_of)),
                        equal_to([("b", "exact_duplicate", "a"), ("z", "exact_duplicate", "a")]), label="Rejected")


def test_tokenize_documents_batches_and_appends_eos(beam_pipeline, tokenizer_path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_path)
    texts = [f"text number {i}" for i in range(40)]
    expected = [(f"d{i}", tuple(tok.encode(t, add_special_tokens=False).ids) + (tok.token_to_id("<|endoftext|>"),))
                for i, t in enumerate(texts)]
    with beam_pipeline() as p:
        out = (p | beam.Create([Document(f"d{i}", "s", t) for i, t in enumerate(texts)])
               | TokenizeDocuments(TokenizerConfig(path=tokenizer_path, batch_size=8)))
        assert_that(out | beam.Map(lambda t: (t.id, tuple(int(x) for x in t.tokens))), equal_to(expected))


def test_write_shards_places_every_copy_once_and_writes_every_shard(beam_pipeline, tmp_path):
    layout = ShardLayout(seed=3, validation_fraction=0.2, train_shards=3, validation_shards=2)
    docs = [TokenizedDocument(f"d{i}", "s", np.full(5 + i % 4, i, dtype=np.uint16)) for i in range(60)]
    with beam_pipeline() as p:
        stats = p | beam.Create([(d, 0) for d in docs]) | WriteShards(layout, 3, "uint16", str(tmp_path))
        assert_that(stats | beam.Map(lambda s: s["path"]), equal_to(
            [f"train/shard-0000{i}-of-00003.arrow" for i in range(3)] + [f"validation/shard-0000{i}-of-00002.arrow" for i in range(2)]))
    from pipeline.shards import read_shard_rows

    seen = []
    for split, n in (("train", 3), ("validation", 2)):
        for i in range(n):
            rows = read_shard_rows(str(tmp_path / split / f"shard-{i:05d}-of-{n:05d}.arrow"))
            seen += [int(v) for v in rows.reshape(-1)]
    total = sum(len(d.tokens) for d in docs)
    assert len(seen) <= total and len(seen) > total - 5 * 4  # only tails (< 4 tokens per shard) are dropped


def test_count_outcomes_gives_exact_counts(beam_pipeline):
    from pipeline.document import ReadError

    with beam_pipeline() as p:
        d = [Document("a", "s", "xx"), Document("b", "s", "yyy")]
        counts = {
            "read_docs": p | "R" >> beam.Create(d),
            "errors": p | "E" >> beam.Create([ReadError("s", "f", 0, "bad")]),
            "rejected": p | "J" >> beam.Create([Rejection(d[1], "dedup_exact", "exact_duplicate", "a")]),
            "kept": p | "K" >> beam.Create([TokenizedDocument("a", "s", np.zeros(4, np.uint16))]),
            "line_stats": p | "L" >> beam.Create([("s", 3, 40), ("s", 1, 5)]),
        } | CountOutcomes(TokenizerConfig(path=TOKENIZER_JSON))
        assert_that(counts, equal_to([
            (("read", "s", "", ""), (3, 0)), (("unreadable", "s", "read", "unreadable"), (1, 0)),
            (("duplicates", "s", "dedup_exact", "exact_duplicate"), (1, 3)),  # "yyy": 2 tokens + EOS
            (("kept", "s", "", ""), (1, 4)), (("lines_removed", "s", "dedup_lines", "repeated_line"), (4, 45))]))
