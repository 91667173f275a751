import gzip
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.document import Document, ReadError
from pipeline.readers import RecordFields, plan_splits, read_split

GOOD = [{"id": f"d{i}", "text": f"document number {i} " * 3, "url": f"http://x.org/{i}"} for i in range(50)]


def rb(path):
    return open(path, "rb")


def write_jsonl(path, lines, opener=open):
    with opener(path, "wb") as f:
        for line in lines:
            f.write(line if isinstance(line, bytes) else (json.dumps(line) + "\n").encode())


def read_all(path, fmt="jsonl", fields=RecordFields(id_field="id"), split_bytes=64 << 20):
    splits = plan_splits("src", fmt, path, os.path.basename(path), os.path.getsize(path), rb, split_bytes)
    return [r for s in splits for r in read_split(s, fields, rb)]


@pytest.mark.parametrize("suffix, opener", [
    (".jsonl", open), (".jsonl.gz", gzip.open),
    (".jsonl.zst", lambda p, m: zstandard.open(p, m)),
])
def test_jsonl_plain_and_compressed(tmp_path, suffix, opener):
    path = str(tmp_path / f"a{suffix}")
    write_jsonl(path, GOOD, opener)
    docs = read_all(path)
    assert [d.id for d in docs] == [g["id"] for g in GOOD]
    assert docs[3] == Document("d3", "src", GOOD[3]["text"], "http://x.org/3")


def test_bad_records_become_errors_with_position_and_the_rest_is_read(tmp_path):
    path = str(tmp_path / "bad.jsonl")
    lines = [GOOD[0], b'{"id": "x", "text": "unterminated\n', b'{"text": "caf\xe9 latin-1"}\n', {"id": "n", "body": "no text"},
             {"id": "i", "text": 42}, b'[1, 2]\n', b'{"text": "lone \\ud800 surrogate"}\n', b"\n", GOOD[1]]
    write_jsonl(path, lines)
    recs = read_all(path)
    errors = [r for r in recs if isinstance(r, ReadError)]
    assert [r.id for r in recs if isinstance(r, Document)] == ["d0", "d1"]
    msgs = [e.error for e in errors]
    assert msgs[0].startswith("malformed JSON") and "invalid UTF-8" in msgs[1]
    assert msgs[2] == "missing field 'text'" and msgs[3] == "field 'text' is int, not a string"
    assert msgs[4] == "record is a JSON list, not an object" and "lone surrogate" in msgs[5]
    first_len = len((json.dumps(GOOD[0]) + "\n").encode())
    assert errors[0].position == first_len and errors[0].file == path


def test_byte_range_splits_read_every_record_exactly_once_with_the_same_ids(tmp_path):
    path = str(tmp_path / "big.jsonl")
    write_jsonl(path, GOOD)
    whole = read_all(path, fields=RecordFields())
    for split_bytes in (1, 7, 100, 333, 1000):
        parts = read_all(path, fields=RecordFields(), split_bytes=split_bytes)
        assert parts == whole
    assert whole[1].id == f"src/big.jsonl#{len((json.dumps(GOOD[0]) + chr(10)).encode())}"


def test_parquet_row_groups_are_splits(tmp_path):
    path = str(tmp_path / "a.parquet")
    rows = GOOD + [{"id": "null", "text": None, "url": None}]
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=16)
    splits = plan_splits("src", "parquet", path, "a.parquet", os.path.getsize(path), rb)
    assert len(splits) == 4
    recs = [r for s in splits for r in read_split(s, RecordFields(id_field="id"), rb)]
    assert [r.id for r in recs[:-1]] == [g["id"] for g in GOOD]
    assert isinstance(recs[-1], ReadError) and recs[-1].position == 50 and "null" in recs[-1].error


def test_parquet_missing_text_column_is_an_error_per_row(tmp_path):
    path = str(tmp_path / "b.parquet")
    pq.write_table(pa.Table.from_pylist([{"body": "x"}, {"body": "y"}]), path)
    recs = read_all(path, "parquet")
    assert len(recs) == 2 and all(isinstance(r, ReadError) and "missing column 'text'" in r.error for r in recs)


def test_text_file_is_one_document_and_invalid_utf8_is_an_error(tmp_path):
    (tmp_path / "ok.txt").write_text("hello\nworld\n")
    (tmp_path / "bad.txt").write_bytes(b"ok then \xff broken")
    [doc] = read_all(str(tmp_path / "ok.txt"), "text")
    assert doc.text == "hello\nworld\n" and doc.id == "src/ok.txt"
    [err] = read_all(str(tmp_path / "bad.txt"), "text")
    assert isinstance(err, ReadError) and "invalid UTF-8 at byte 8" in err.error


def test_warc_html_is_extracted_with_record_id_and_url(sample_data):
    path = os.path.join(sample_data, "web", "warc", "sample-0000.warc.gz")
    docs = read_all(path, "warc")
    assert len(docs) == 22 and all(isinstance(d, Document) for d in docs)
    assert docs[0].id.startswith("<urn:uuid:") and docs[0].url.startswith("https://")
    assert "Semantic Scholar" in docs[0].text and "<div" not in docs[0].text
    assert len({d.id for d in docs}) == 22


def test_more_text_fields_are_joined_after_the_text_field_by_newlines(tmp_path):
    rows = [{"q": "What is 2 + 2?", "a": "4", "n": 4, "choices": ["3", "4", 5.0]},
            {"q": "Missing answer"}, {"q": "Nested", "a": [["x"]], "n": 1, "choices": []},
            {"q": "Null answer", "a": None, "n": 1, "choices": []}]
    fields = RecordFields("q", None, None, ("a", "n", "choices"))
    path = str(tmp_path / "eval.jsonl")
    write_jsonl(path, rows)
    recs = read_all(path, fields=fields)
    assert recs[0].text == "What is 2 + 2?\n4\n4\n3\n4\n5.0"
    assert [r.error for r in recs[1:]] == ["missing field 'a'", "field 'a' is list, not a string, number or list of them",
                                          "field 'a' is NoneType, not a string, number or list of them"]
    columns = [dict(rows[0], choices=["3", "4", "5.0"]), rows[3]]  # a Parquet list holds one type
    pq.write_table(pa.Table.from_pylist(columns), str(tmp_path / "eval.parquet"))
    recs = read_all(str(tmp_path / "eval.parquet"), "parquet", fields)
    assert recs[0].text == "What is 2 + 2?\n4\n4\n3\n4\n5.0" and recs[1].error == "field 'a' is null"
    pq.write_table(pa.Table.from_pylist([{"q": "no answer column"}]), str(tmp_path / "noa.parquet"))
    assert read_all(str(tmp_path / "noa.parquet"), "parquet", fields)[0].error == "missing column 'a'"
