"""The Manifest model against a real run's manifest.json: it reads back what the commit step wrote and
writes the same bytes; the strict reader and the full check both name the field that is wrong."""
import copy
import json
import os

import pytest

from pipeline.dataset.manifest import DatasetError, Manifest, MixRow, ShardEntry
from pipeline.dataset.manifest_problems import manifest_problems
from pipeline.dataset.shard_stats import ShardStats, SourceShare


@pytest.fixture(scope="module")
def written(report_run):
    with open(os.path.join(report_run.output, "manifest.json"), encoding="utf-8") as f:
        text = f.read()
    return text, json.loads(text)


def test_a_written_manifest_reads_back_and_writes_the_same_bytes(written):
    text, raw = written
    manifest = Manifest.from_json(raw)
    assert manifest.to_json() == raw
    assert json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n" == text  # how the commit step writes it
    train = manifest.splits["train"]
    assert isinstance(train.shards[0], ShardEntry) and train.rows == sum(s.rows for s in train.shards) > 0
    assert all(isinstance(row, MixRow) and row.available_tokens > 0 for row in manifest.sources.values())
    assert manifest.row_len == raw["seq_len"] + 1 and manifest.vocab_size == raw["tokenizer"]["vocab_size"]


def test_the_fingerprint_follows_the_shards(written):
    _, raw = written
    same = Manifest.from_json(copy.deepcopy(raw))
    changed = copy.deepcopy(raw)
    changed["splits"]["train"]["shards"][0]["xxh64"] = "0" * 16
    assert Manifest.from_json(raw).fingerprint == same.fingerprint != Manifest.from_json(changed).fingerprint


def test_every_problem_is_listed_by_field(written):
    _, raw = written
    assert manifest_problems(raw) == []
    bad = copy.deepcopy(raw)
    bad["seq_len"] = 0
    bad["dtype"] = "int8"
    bad["splits"]["train"]["shards"][0]["rows"] = "12"
    bad["splits"]["validation"]["shards"][0]["path"] = "../elsewhere.arrow"
    assert manifest_problems(bad) == [
        "seq_len: must be an integer from 1 to 1,048,576, got 0",
        "dtype: must be one of uint16, uint32, got 'int8'",
        "splits.train.shards.0.rows: must be a non-negative integer, got '12'",
        "splits.validation.shards.0.path '../elsewhere.arrow' must not have empty, '.' or '..' components",
    ]


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["splits"]["train"]["shards"][0].pop("xxh64"),
     "m.json is malformed:\n  splits.train.shards.0.xxh64: must be 16 lowercase hex digits, got None"),
    (lambda m: m["tokenizer"].update(vocab_size="big"),
     "m.json is malformed:\n  tokenizer.vocab_size: must be a non-negative integer, got 'big'"),
    (lambda m: m.update(format="other/1"), "m.json: format is 'other/1', expected 'tokenmill.shards/1'"),
])
def test_the_reader_refuses_with_the_problems_verify_lists(written, edit, message):
    bad = copy.deepcopy(written[1])
    edit(bad)
    with pytest.raises(DatasetError) as e:
        Manifest.from_json(bad, "m.json")
    assert str(e.value).startswith(message)


def test_shard_stats_travel_as_json_and_become_manifest_entries():
    stats = ShardStats(split="train", index=1, path="train/shard-00001-of-00002.arrow", rows=3, tokens=15,
                       dropped_tail_tokens=2, xxh64="0123456789abcdef", documents=4,
                       sources={"web": SourceShare(documents=4, tokens=17)}, dropped_tail_documents=1)
    wire = stats.to_json()
    assert wire["sources"] == {"web": {"documents": 4, "tokens": 17}} and ShardStats.from_json(wire) == stats
    assert stats.entry() == ShardEntry("train/shard-00001-of-00002.arrow", 3, 15, "0123456789abcdef", 2, 4, 1)
