"""A shard written with its running xxh64 and read back in place: local files memory-mapped, remote ones
from their bytes, the trainer's reader refusing a shard that does not match its entry."""
import dataclasses

import numpy as np
import pytest

from pipeline.dataset.files import bytes_xxh64, file_xxh64
from pipeline.dataset.format import BATCH_ROWS
from pipeline.dataset.manifest import DatasetError, Manifest, ShardEntry, SplitEntry, TokenizerEntry
from pipeline.dataset.shard_reader import ShardReader, open_shard, read_shard_rows, verify_shard
from pipeline.dataset.shard_writer import write_shard

SEQ_LEN = 7


@pytest.fixture
def shard(tmp_path):
    rows = (np.arange((BATCH_ROWS + 5) * (SEQ_LEN + 1)) % 1000).astype(np.uint16).reshape(-1, SEQ_LEN + 1)
    path = str(tmp_path / "shard.arrow")
    with open(path, "wb") as f:
        count, digest = write_shard(f, [rows[:10], rows[10:]], SEQ_LEN, np.uint16)
    entry = ShardEntry("train/shard-00000-of-00001.arrow", count, count * (SEQ_LEN + 1), digest)
    manifest = Manifest(seq_len=SEQ_LEN, dtype="uint16", tokenizer=TokenizerEntry("0" * 64, 1000, 0), seed=0,
                        splits={"train": SplitEntry((entry,))})
    return path, rows, entry, manifest


def test_the_written_digest_is_the_files_and_rows_read_back_in_place(shard):
    path, rows, entry, _ = shard
    data = open(path, "rb").read()
    assert entry.xxh64 == file_xxh64(path) == bytes_xxh64(data) and entry.rows == len(rows)
    reader = ShardReader.open(path)
    blocks = reader.blocks()
    assert [len(b) for b in blocks] == [BATCH_ROWS, 5]  # one view per record batch of BATCH_ROWS rows
    assert not blocks[0].flags.owndata  # a view into the memory map, not a copy
    order = np.array([BATCH_ROWS + 4, 0, 3, BATCH_ROWS])
    assert (reader.take(order) == rows[order]).all()
    reader.close()
    assert (read_shard_rows(path) == rows).all()
    from_bytes = ShardReader.of_bytes(data)
    assert from_bytes.rows == len(rows) and max(int(v.max()) for v in from_bytes.token_values()) == 999


def test_the_trainers_reader_refuses_a_shard_unlike_its_entry(shard):
    path, _, entry, manifest = shard
    with pytest.raises(DatasetError, match=r"holds 1029 rows, the manifest says 3"):
        open_shard(path, dataclasses.replace(entry, rows=3), manifest)
    with pytest.raises(DatasetError, match=r"token id 999 >= vocab_size 500"):
        small = dataclasses.replace(manifest, tokenizer=TokenizerEntry("0" * 64, 500, 0))
        open_shard(path, entry, small).take(np.arange(200))
    with pytest.raises(DatasetError, match=r"xxh64 is [0-9a-f]{16}, the manifest says 0000000000000000"):
        verify_shard(path, dataclasses.replace(entry, xxh64="0" * 16), manifest)
    verify_shard(path, entry, manifest)
