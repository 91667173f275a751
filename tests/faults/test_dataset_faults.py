"""Dataset corruptions: `tokenmill verify` exits 1 naming what is wrong (never a traceback) for a
flipped byte, a truncated, missing, extra or swapped shard, a shard entry removed with the totals
fixed, totals or counts that disagree with the shards, a changed tokenizer copy, and a manifest with a
missing key, a wrong type or a path leading outside the dataset; `train` refuses such a path too."""
import os
import shutil

import pytest
import yaml

from tests.faults.conftest import run_cli
from tests.trainer.dataset_fixture import edit_manifest

TRAIN = "train/shard-00000-of-00002.arrow"
OTHER = "train/shard-00001-of-00002.arrow"


def _bytes(out, rel, fn):
    path = os.path.join(out, rel)
    with open(path, "rb") as f:
        data = fn(f.read())
    with open(path, "wb") as f:
        f.write(data)


def _flip(data: bytes) -> bytes:
    out = bytearray(data)
    out[len(out) // 2] ^= 0xFF
    return bytes(out)


def _swap(out):
    a, b = os.path.join(out, TRAIN), os.path.join(out, OTHER)
    os.rename(a, a + ".x")
    os.rename(b, a)
    os.rename(a + ".x", b)


def _drop_entry(m):
    """Removes the last train shard's entry and fixes every total, as a careful forger would."""
    block = m["splits"]["train"]
    gone = block["shards"].pop()
    for key in ("rows", "tokens", "documents", "dropped_tail_tokens", "dropped_tail_documents"):
        block[key] -= gone[key]
    name = next(iter(m["sources"]))
    m["sources"][name]["documents"] -= gone["documents"]
    m["sources"][name]["tokens"] -= gone["tokens"] + gone["dropped_tail_tokens"]


def _more_documents(m):
    """One more document in a shard entry, with the split and source totals agreeing."""
    m["splits"]["train"]["shards"][0]["documents"] += 1
    m["splits"]["train"]["documents"] += 1
    m["sources"][next(iter(m["sources"]))]["documents"] += 1


# name: (corrupt the dataset copy, words of verify's message)
CASES = {
    "byte_flip": (lambda out: _bytes(out, TRAIN, _flip), f"{TRAIN}: xxh64"),
    "truncated_shard": (lambda out: _bytes(out, TRAIN, lambda d: d[: len(d) // 2]), f"{TRAIN}: xxh64"),
    "missing_shard": (lambda out: os.remove(os.path.join(out, TRAIN)), f"{TRAIN}: missing"),
    "extra_shard": (lambda out: shutil.copy(os.path.join(out, TRAIN), os.path.join(out, "train/shard-00002-of-00002.arrow")),
                    "train/shard-00002-of-00002.arrow: present in train/ but not in the manifest"),
    "swapped_shards": (_swap, f"{OTHER}: xxh64"),
    "entry_removed_totals_fixed": (lambda out: edit_manifest(out, _drop_entry), "splits.train lists 1 of the 2 shards"),
    "split_tokens_changed": (lambda out: edit_manifest(out, lambda m: m["splits"]["train"].update(tokens=m["splits"]["train"]["tokens"] + 65)),
                             "splits.train.tokens is"),
    "split_rows_changed": (lambda out: edit_manifest(out, lambda m: m["splits"]["validation"].update(rows=10**6)),
                           "splits.validation.rows is 1,000,000"),
    "documents_changed": (lambda out: edit_manifest(out, _more_documents), "document ends (EOS) != manifest documents"),
    "source_totals_changed": (lambda out: edit_manifest(out, lambda m: m["sources"][next(iter(m["sources"]))].update(tokens=1)),
                              "sources hold 1 tokens"),
    "tokenizer_changed": (lambda out: _bytes(out, "tokenizer.json", lambda d: d + b"\n"), "tokenizer.json: sha256"),
    "vocab_size_changed": (lambda out: edit_manifest(out, lambda m: m["tokenizer"].update(vocab_size=70000)),
                           "tokenizer.vocab_size: manifest 70000"),
    "path_traversal": (lambda out: edit_manifest(out, lambda m: m["splits"]["train"]["shards"][0].update(path="../../../etc/hostname")),
                       "must not have empty, '.' or '..' components"),
    "absolute_path": (lambda out: edit_manifest(out, lambda m: m["splits"]["train"]["shards"][0].update(path="/etc/hostname")),
                      "must be relative to the dataset"),
    "missing_key": (lambda out: edit_manifest(out, lambda m: m.pop("seq_len")), "missing field 'seq_len'"),
    "wrong_type": (lambda out: edit_manifest(out, lambda m: m["splits"]["train"]["shards"][0].update(rows="12")),
                   "splits.train.shards.0.rows: must be a non-negative integer, got '12'"),
    "shards_not_a_list": (lambda out: edit_manifest(out, lambda m: m["splits"]["train"].update(shards={})),
                          "splits.train.shards: must be a list"),
    "not_json": (lambda out: _bytes(out, "manifest.json", lambda d: d[:-20]), "not valid JSON"),
}


@pytest.fixture
def dataset(previous_dataset, tmp_path):
    out = str(tmp_path / "dataset")
    shutil.copytree(previous_dataset, out)
    return out


def test_the_untouched_dataset_verifies(dataset, capsys):
    rc, out, err = run_cli(["verify", dataset], capsys)
    assert rc == 0 and "all good" in out


@pytest.mark.parametrize("case", sorted(CASES))
def test_verify_names_the_corruption(dataset, capsys, case):
    corrupt, words = CASES[case]
    corrupt(dataset)
    rc, out, err = run_cli(["verify", dataset], capsys)
    assert rc == 1 and words in out + err, out + err
    assert "Traceback" not in err


@pytest.mark.parametrize("path", ["../../../etc/hostname", "/etc/hostname"])
def test_train_refuses_a_manifest_path_outside_the_dataset(dataset, capsys, tmp_path, path):
    edit_manifest(dataset, lambda m: m["splits"]["train"]["shards"][0].update(path=path))
    config = tmp_path / "train.yaml"
    config.write_text(yaml.safe_dump({"data": dataset, "out_dir": str(tmp_path / "run"), "device": "cpu",
                                      "model": {"n_layer": 1, "n_head": 2, "n_embd": 16}, "batch_size": 2,
                                      "max_steps": 1, "num_workers": 0, "plot": False}))
    rc, out, err = run_cli(["train", config], capsys)
    assert rc == 2 and "splits.train.shards.0.path" in err and "Traceback" not in err
