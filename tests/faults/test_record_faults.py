"""Record-level faults: whatever is wrong with an input (a malformed or undecodable record, a BOM,
CRLF line ends, a non-string text, a huge document, a truncated or corrupt gzip, zstd, bz2 or Parquet
file, a file that cannot be opened), the run reads everything readable, records every unreadable
record or damaged stretch in errors/ naming the file, keeps the accounting identity, and changes no
input and no file of the user's own in the output directory."""
import bz2
import gzip
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from tests.faults.conftest import jsonl_bytes, sample_records

GOOD = sample_records(10)
EXTRA = sample_records(22)[10:]
BOM = b"\xef\xbb\xbf"


def _cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0xFF
    return bytes(out)


def _parquet(ws, damage):
    """p/good.parquet (10 rows) and p/docs.parquet, damaged."""
    path = os.path.join(ws.data, "p", "docs.parquet")
    os.makedirs(os.path.dirname(path))
    pq.write_table(pa.Table.from_pylist(GOOD), os.path.join(ws.data, "p", "good.parquet"))
    pq.write_table(pa.Table.from_pylist(EXTRA[:4]), path)
    with open(path, "rb") as f:
        data = f.read()
    ws.write_input("p/docs.parquet", damage(data))


# name: (write the faulty input, unreadable records expected, words of the error, exact records read or None)
CASES = {
    "malformed_json": (lambda ws: ws.write_input("f.jsonl", jsonl_bytes(EXTRA[:2]) + b'{"text": "no end\n'),
                       1, "malformed JSON: Invalid control character at column 17", 13),
    "bad_utf8": (lambda ws: ws.write_input("f.jsonl", b'{"text": "caf\xe9 au lait"}\n' + jsonl_bytes(EXTRA[:2])),
                 1, "invalid UTF-8", 13),
    "bom": (lambda ws: ws.write_input("f.jsonl", BOM + jsonl_bytes(EXTRA[:3])), 0, None, 13),
    "crlf": (lambda ws: ws.write_input("f.jsonl", jsonl_bytes(EXTRA[:3]).replace(b"\n", b"\r\n")), 0, None, 13),
    "non_string_text": (lambda ws: ws.write_input("f.jsonl", b'{"text": 42}\n' + jsonl_bytes(EXTRA[:2])),
                        1, "field 'text' is int, not a string", 13),
    "huge_document": (lambda ws: ws.write_input("f.jsonl", jsonl_bytes([{"text": "lorem ipsum dolor " * 60_000}])),
                      0, None, 11),
    "truncated_gzip": (lambda ws: ws.write_input("f.jsonl.gz", _cut(gzip.compress(jsonl_bytes(EXTRA)), 0.6)),
                       1, "truncated or corrupt", None),
    "corrupt_gzip": (lambda ws: ws.write_input("f.jsonl.gz", _flip(gzip.compress(jsonl_bytes(EXTRA)), -6)),
                     1, "CRC check failed", None),
    "truncated_zstd": (lambda ws: ws.write_input("f.jsonl.zst", _cut(zstandard.ZstdCompressor().compress(jsonl_bytes(EXTRA)), 0.9)),
                       1, "ends inside a frame", None),
    "corrupt_zstd": (lambda ws: ws.write_input("f.jsonl.zst", _flip(zstandard.ZstdCompressor(write_checksum=True).compress(
        jsonl_bytes(EXTRA)), -2)), 1, "checksum", None),
    "truncated_bz2": (lambda ws: ws.write_input("f.jsonl.bz2", _cut(bz2.compress(jsonl_bytes(EXTRA)), 0.7)),
                      1, "truncated or corrupt", None),
    "truncated_parquet": (lambda ws: _parquet(ws, lambda d: _cut(d, 0.5)), 1, "not a readable Parquet file", 21),
    "garbage_parquet": (lambda ws: _parquet(ws, lambda d: b"PAR1" + os.urandom(500)), 1, "not a readable Parquet file", 21),
}
SOURCES = lambda ws: [{"name": "web", "paths": [os.path.join(ws.data, "*.jsonl*")]},  # noqa: E731
                      {"name": "pq", "paths": [os.path.join(ws.data, "p", "*.parquet")], "format": "parquet"}]


def _run_and_check(ws, sources, unreadable, words, read):
    before = ws.protected()
    rc, out, err = ws.run("run", ws.config(sources=sources))
    assert rc == 0, err
    report = ws.report()
    assert all(s["identity_holds"] for s in report["sources"].values()), report["sources"]
    assert report["totals"]["unreadable"] == unreadable
    if read is not None:
        assert report["totals"]["read"] == read
    errors = ws.errors()
    assert len(errors) == unreadable and all(" at at " not in e["error"] for e in errors)
    if words:
        assert words in errors[0]["error"] and os.path.basename(errors[0]["file"]).startswith(("f.", "docs."))
    assert ws.protected() == before, "an input or a file of the user's own changed"
    assert ws.run("verify", ws.out)[0] == 0
    return report


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_faulty_input_is_read_up_to_the_fault_and_recorded(ws, case):
    write, unreadable, words, read = CASES[case]
    ws.write_input("good.jsonl", jsonl_bytes(GOOD))
    write(ws)
    sources = SOURCES(ws) if "parquet" in case else None
    report = _run_and_check(ws, sources, unreadable, words, read)
    if case == "huge_document":
        assert report["totals"]["kept_tokens"] > 150_000


def test_a_file_that_cannot_be_opened_is_one_unreadable_record(ws, monkeypatch):
    ws.write_input("good.jsonl", jsonl_bytes(GOOD))
    locked = ws.write_input("f.jsonl", jsonl_bytes(EXTRA[:3]))
    if os.geteuid() == 0:  # root reads a file whatever its mode: refuse it the way the OS would
        import pipeline.transforms.scan as read_module

        real_open = read_module.open_raw

        def open_raw(path):
            if path == locked:
                raise PermissionError(13, "Permission denied", path)
            return real_open(path)

        monkeypatch.setattr(read_module, "open_raw", open_raw)
    os.chmod(locked, 0)
    try:
        _run_and_check(ws, None, 1, "PermissionError", 11)
    finally:
        os.chmod(locked, 0o644)


def test_a_text_file_with_a_bom_keeps_its_text_whole(ws):
    ws.write_input("good.jsonl", jsonl_bytes(GOOD))
    ws.write_input("t/play.txt", BOM + "To be, or not to be.".encode())
    sources = [{"name": "web", "paths": [os.path.join(ws.data, "*.jsonl")]},
               {"name": "play", "paths": [os.path.join(ws.data, "t", "*.txt")], "format": "text"}]
    _run_and_check(ws, sources, 0, None, 11)
    import pyarrow.parquet as pq_

    curated = pq_.ParquetDataset(os.path.join(ws.out, "curated")).read().to_pylist()
    assert [d["text"] for d in curated if d["source"] == "play"] == ["To be, or not to be."]
