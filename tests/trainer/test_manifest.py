"""The dataset reader is strict: an unfinished, mismatched or corrupt dataset is refused with a
message naming the dataset, shard or field."""
import os

import numpy as np
import pytest

from tests.trainer.dataset_fixture import build_dataset, edit_manifest, read_all_rows
from pipeline.dataset.manifest import DatasetError, check_compatible, read_manifest
from trainer.split import SplitReader


def test_reads_the_contract_fields(dataset_dir):
    m = read_manifest(dataset_dir)
    assert m.seq_len == 64 and m.dtype == "uint16" and m.row_len == 65
    assert m.vocab_size == 50280 and m.eos_id == 50279 and len(m.tokenizer_sha256) == 64
    assert len(m.shards("train")) == 3 and m.rows("train") >= 300 and m.rows("validation") > 0


def test_missing_manifest_means_an_unfinished_run(dataset_copy):
    os.remove(os.path.join(dataset_copy, "manifest.json"))
    with pytest.raises(DatasetError, match="no manifest.json"):
        read_manifest(dataset_copy)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(format="other/1"), "format is 'other/1'"),
    (lambda m: m.pop("seq_len"), "missing field 'seq_len'"),
    (lambda m: m.update(dtype="int8"), "dtype: must be one of"),
    (lambda m: m["tokenizer"].update(eos_id=10**6), "eos_id"),
    (lambda m: m["splits"]["train"]["shards"][1].pop("xxh64"), r"splits.train.shards.1.xxh64: must be 16 lowercase hex"),
    (lambda m: m["splits"]["train"].update(rows=1), "rows is 1 but its shards hold"),
    (lambda m: m["splits"].pop("train"), "with a 'train' split"),
    # fields that become file names must stay inside the dataset (and the cache)
    (lambda m: m["splits"]["train"]["shards"][0].update(path="../../../etc/hostname"), "must not have .* '..'"),
    (lambda m: m["splits"]["train"]["shards"][0].update(path="/etc/hostname"), "must be relative"),
    (lambda m: m["splits"]["train"]["shards"][0].update(xxh64="../../evil"), "xxh64: must be 16 lowercase hex"),
    (lambda m: m.update(seq_len=1 << 40), "seq_len: must be an integer from 1 to"),
])
def test_malformed_manifests_name_the_field(dataset_copy, edit, message):
    edit_manifest(dataset_copy, edit)
    with pytest.raises(DatasetError, match=message):
        read_manifest(dataset_copy)


def test_a_shard_symlinked_outside_the_dataset_is_refused(dataset_copy, tmp_path):
    m = read_manifest(dataset_copy)
    shard = m.shards("train")[0]
    outside = tmp_path / "elsewhere.arrow"
    os.replace(os.path.join(dataset_copy, shard.path), outside)
    os.symlink(outside, os.path.join(dataset_copy, shard.path))
    with pytest.raises(DatasetError, match="outside"):
        SplitReader(m, "train").reader(0)


def test_seq_len_and_tokenizer_mismatch_are_refused(dataset_dir):
    m = read_manifest(dataset_dir)
    with pytest.raises(DatasetError, match="seq_len is 64, the model expects 128"):
        check_compatible(m, seq_len=128)
    with pytest.raises(DatasetError, match="tokenizer sha256"):
        check_compatible(m, tokenizer_sha256="0" * 64)
    check_compatible(m, seq_len=64, tokenizer_sha256=m.tokenizer_sha256)


def test_a_flipped_byte_fails_the_checksum_naming_the_shard(dataset_copy):
    m = read_manifest(dataset_copy)
    path = os.path.join(dataset_copy, m.shards("train")[1].path)
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    reader = SplitReader(m, "train")
    reader.verify([0])
    with pytest.raises(DatasetError, match=r"shard train/shard-00001-of-00003.arrow: xxh64 is"):
        reader.verify([1])


def test_row_count_mismatch_names_the_shard(dataset_copy):
    edit_manifest(dataset_copy, lambda m: (m["splits"]["train"]["shards"][2].update(rows=7),
                                            m["splits"]["train"].update(rows=sum(s["rows"] for s in m["splits"]["train"]["shards"]))))
    reader = SplitReader(read_manifest(dataset_copy), "train")
    with pytest.raises(DatasetError, match=r"shard-00002-of-00003.arrow: holds \d+ rows, the manifest says 7"):
        reader.reader(2)


def test_missing_shard_file_and_wrong_row_length(dataset_copy):
    m = read_manifest(dataset_copy)
    os.remove(os.path.join(dataset_copy, m.shards("train")[0].path))
    with pytest.raises(DatasetError, match="shard-00000-of-00003.arrow: file not found"):
        SplitReader(m, "train").reader(0)
    edit_manifest(dataset_copy, lambda raw: raw.update(seq_len=32))
    with pytest.raises(DatasetError, match=r"expected input_ids: fixed_size_list<item: uint16>\[33\]"):
        SplitReader(read_manifest(dataset_copy), "train").reader(1)


def test_rows_read_back_exactly_across_record_batches_and_uint32(tmp_path):
    root = str(tmp_path / "ds")
    build_dataset(root, seq_len=16, train_shards=2, train_rows=40, dtype="uint32", record_batch_rows=7)
    m = read_manifest(root)
    reader = SplitReader(m, "train")
    want = read_all_rows(root)
    first = m.shards("train")[0].rows
    idx = np.array([5, 0, 13, 6, 7, first - 1])
    got = reader.gather(np.zeros(len(idx), dtype=np.int64), idx)
    assert got.dtype == np.uint32 and (got == want[idx]).all()
    got = reader.gather(np.array([1, 0]), np.array([2, 3]))
    assert (got == want[[first + 2, 3]]).all()


def test_token_ids_outside_the_vocabulary_are_refused(dataset_copy):
    edit_manifest(dataset_copy, lambda m: m["tokenizer"].update(vocab_size=50279, eos_id=0))
    reader = SplitReader(read_manifest(dataset_copy), "train")
    rows = np.arange(reader.shards[0].rows)
    with pytest.raises(DatasetError, match="token id 50279 >= vocab_size 50279"):
        reader.gather(np.zeros(len(rows), dtype=np.int64), rows)
