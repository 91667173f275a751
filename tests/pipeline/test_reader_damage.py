"""Damaged inputs: a truncated or corrupt compressed stream, Parquet file or WARC keeps the records
before the damage and ends with one ReadError naming the file and where reading stopped; a file that
cannot be opened is one ReadError; a BOM does not make the first record unreadable."""
import bz2
import gzip
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.document import Document, ReadError
from pipeline.readers import RecordFields, plan_splits, read_split

RECORDS = [{"id": f"d{i}", "text": f"record {i} " + "lorem ipsum dolor sit amet " * (i % 7 + 1)} for i in range(3000)]
PLAIN = "".join(json.dumps(r) + "\n" for r in RECORDS).encode()


def zstd_two_frames(data: bytes) -> bytes:
    half = data.index(b"\n", len(data) // 2) + 1
    return b"".join(zstandard.ZstdCompressor().compress(part) for part in (data[:half], data[half:]))


COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".zst": zstd_two_frames}


def rb(path):
    return open(path, "rb")


def read_all(path, fmt="jsonl", open_file=rb):
    splits = plan_splits("src", fmt, path, os.path.basename(path), os.path.getsize(path), open_file)
    return [r for s in splits for r in read_split(s, RecordFields(id_field="id"), open_file)]


def split_records(recs):
    return [r for r in recs if isinstance(r, Document)], [r for r in recs if isinstance(r, ReadError)]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".zst"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_stream_keeps_what_came_before_and_ends_with_one_error(tmp_path, suffix, keep):
    data = COMPRESS[suffix](PLAIN)
    path = tmp_path / f"cut.jsonl{suffix}"
    path.write_bytes(data)
    assert [d.id for d in read_all(str(path))] == [r["id"] for r in RECORDS]  # whole: every record, no error
    path.write_bytes(data[: int(len(data) * keep)])
    docs, errors = split_records(read_all(str(path)))
    assert [d.id for d in docs] == [r["id"] for r in RECORDS[: len(docs)]] and len(docs) < len(RECORDS)
    [err] = errors
    assert err.file == str(path) and "truncated or corrupt" in err.error
    assert err.position == len("".join(json.dumps(r) + "\n" for r in RECORDS[: len(docs)]).encode())
    assert f"after {len(docs):,} record(s)" in err.error


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".zst"])
def test_corrupt_compressed_bytes_are_one_error_not_a_crash(tmp_path, suffix):
    data = bytearray(COMPRESS[suffix](PLAIN))
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    path = tmp_path / f"bad.jsonl{suffix}"
    path.write_bytes(bytes(data))
    recs = read_all(str(path))  # corrupt deflate data may decode to garbage lines first: each one an error
    assert isinstance(recs[-1], ReadError) and "truncated or corrupt" in recs[-1].error


def test_a_truncated_gzip_text_file_is_one_error(tmp_path):
    path = tmp_path / "play.txt.gz"
    data = gzip.compress(b"To be, or not to be. " * 5000)
    path.write_bytes(data[: len(data) // 2])
    [err] = read_all(str(path), "text")
    assert isinstance(err, ReadError) and "truncated or corrupt" in err.error


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_an_unreadable_parquet_file_is_one_error(tmp_path, damage):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS[:100]), str(path), row_group_size=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3] if damage == "truncate" else b"not parquet at all" * 10)
    [err] = read_all(str(path), "parquet")
    assert isinstance(err, ReadError) and err.file == str(path) and "Parquet" in err.error


def test_a_corrupt_parquet_row_group_is_one_error_at_its_first_row(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS[:100]), str(path), row_group_size=50, compression="zstd")
    group = pq.ParquetFile(str(path)).metadata.row_group(1)
    start = min(group.column(c).data_page_offset for c in range(group.num_columns))
    size = sum(group.column(c).total_compressed_size for c in range(group.num_columns)) // 2
    data = bytearray(path.read_bytes())
    data[start:start + size] = b"\xff" * (size)
    path.write_bytes(bytes(data))
    docs, errors = split_records(read_all(str(path), "parquet"))
    assert len(docs) == 50
    [err] = errors
    assert err.position == 50 and "row group 1" in err.error


def test_a_file_that_cannot_be_opened_is_one_error(tmp_path):
    path = tmp_path / "locked.jsonl"
    path.write_bytes(PLAIN[:1000])

    def refuse(p):
        raise PermissionError(13, "Permission denied", p)

    for fmt in ("jsonl", "text", "parquet", "warc"):
        [err] = read_all(str(path), fmt, open_file=refuse)
        assert isinstance(err, ReadError) and "PermissionError" in err.error and err.file == str(path)


@pytest.mark.parametrize("damage", ["truncate", "corrupt"])
def test_a_damaged_warc_keeps_the_records_before_the_damage(sample_data, tmp_path, damage):
    original = os.path.join(sample_data, "web", "warc", "sample-0000.warc.gz")
    whole = [d.id for d in read_all(original, "warc")]
    data = bytearray(open(original, "rb").read())
    if damage == "truncate":
        data = data[: len(data) * 3 // 4]
    else:
        data[len(data) // 2:len(data) // 2 + 50] = b"x" * 50
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(bytes(data))
    docs, errors = split_records(read_all(str(path), "warc"))
    assert [d.id for d in docs] == whole[: len(docs)]
    [err] = errors
    assert "truncated" in err.error or "corrupt" in err.error


def test_a_byte_order_mark_does_not_make_the_first_record_unreadable(tmp_path):
    bom = b"\xef\xbb\xbf"
    (tmp_path / "a.jsonl").write_bytes(bom + PLAIN[:2000].rsplit(b"\n", 1)[0] + b"\n")
    docs, errors = split_records(read_all(str(tmp_path / "a.jsonl")))
    assert not errors and docs[0].id == "d0" and docs[0].text == RECORDS[0]["text"]
    (tmp_path / "a.txt").write_bytes(bom + "héllo".encode())
    [doc] = read_all(str(tmp_path / "a.txt"), "text")
    assert doc.text == "héllo"


def test_json_error_messages_read_naturally():
    from pipeline.readers.jsonl import json_error_text

    for line in ('{"text": "unterminated', '{"text": "a\x01b"}', "{oops"):
        try:
            json.loads(line)
        except json.JSONDecodeError as e:
            text = json_error_text(e)
        assert " at at " not in text and "column" in text
    with pytest.raises(json.JSONDecodeError) as info:
        json.loads('{"text": "unterminated')
    assert json_error_text(info.value) == "Unterminated string starting at column 10"
