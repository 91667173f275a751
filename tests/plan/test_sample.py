"""pipeline.plan.sample: a deterministic prefix of each source, in the source's own format and compression, whose
records read back exactly as the first records of the real input (same ids), within the budget."""
import glob
import gzip
import json
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.config import SourceConfig
from pipeline.readers import RecordFields, plan_splits, read_split
from pipeline.plan.sample import list_inputs, sample_source
from tests.conftest import SAMPLE_DATA

DOCS = [{"id": f"d{i:04d}", "text": f"document {i} " + "word " * (20 + i % 30)} for i in range(600)]


def rb(path):
    return open(path, "rb")


def records(pattern: str, fmt: str, fields=RecordFields(id_field="id")) -> list:
    base = os.path.dirname(pattern)
    out = []
    for path in sorted(glob.glob(pattern)):
        rel = os.path.relpath(path, base)
        for split in plan_splits("s", fmt, path, rel, os.path.getsize(path), rb):
            out += list(read_split(split, fields, rb))
    return out


def write_parts(folder, suffix: str, opener, parts: int = 3):
    os.makedirs(folder, exist_ok=True)
    per = len(DOCS) // parts
    for k in range(parts):
        with opener(os.path.join(folder, f"part-{k}{suffix}"), "wb") as f:
            for d in DOCS[k * per:(k + 1) * per]:
                f.write((json.dumps(d) + "\n").encode())


@pytest.mark.parametrize("suffix, opener", [(".jsonl", open), (".jsonl.gz", gzip.open),
                                            (".jsonl.zst", lambda p, m: zstandard.open(p, m))])
def test_jsonl_sample_is_a_prefix_within_budget(tmp_path, suffix, opener):
    write_parts(tmp_path / "in", suffix, opener)
    source = SourceConfig(name="web", paths=[str(tmp_path / "in" / f"*{suffix}")], id_field="id")
    text_total = sum(len(json.dumps(d)) + 1 for d in DOCS)
    sample = sample_source(source, text_total // 2, str(tmp_path / "out"))
    got = records(sample.patterns[0], "jsonl")
    assert [d.id for d in got] == [d["id"] for d in DOCS[:len(got)]]  # the first records, same ids
    assert text_total // 2 <= sample.text_bytes < text_total // 2 + 200  # one record past the budget at most
    assert sample.text_bytes == sum(len(json.dumps(DOCS[i])) + 1 for i in range(len(got)))
    assert sample.files == 2  # the first part whole, the second cut
    files = sorted(glob.glob(sample.patterns[0]))
    assert os.path.islink(files[0]) and not os.path.islink(files[1])
    sizes = [os.path.getsize(p) for p in sorted(glob.glob(str(tmp_path / "in" / f"*{suffix}")))]
    assert sizes[0] < sample.stored_bytes < sizes[0] + sizes[1]
    again = sample_source(source, text_total // 2, str(tmp_path / "again"))
    assert (again.text_bytes, again.stored_bytes) == (sample.text_bytes, sample.stored_bytes)
    smaller = sample_source(source, text_total // 4, str(tmp_path / "smaller"))
    first = [d.id for d in records(smaller.patterns[0], "jsonl")]
    assert 0 < len(first) < len(got) and first == [d.id for d in got][:len(first)]


def test_parquet_sample_keeps_the_first_rows(tmp_path):
    os.makedirs(tmp_path / "in")
    pq.write_table(pa.Table.from_pylist(DOCS), tmp_path / "in" / "a.parquet", row_group_size=100)
    source = SourceConfig(name="p", paths=[str(tmp_path / "in" / "*.parquet")], format="parquet", id_field="id")
    sample = sample_source(source, 10_000, str(tmp_path / "out"))
    got = records(sample.patterns[0], "parquet")
    assert 0 < len(got) < len(DOCS) and [d.id for d in got] == [d["id"] for d in DOCS[:len(got)]]
    assert sample.stored_bytes == pytest.approx(os.path.getsize(tmp_path / "in" / "a.parquet") * len(got) / len(DOCS))


def test_warc_sample_copies_whole_records(tmp_path):
    warcs = glob.glob(os.path.join(SAMPLE_DATA, "web", "warc", "*.warc.gz"))
    source = SourceConfig(name="w", paths=warcs, format="warc")
    whole = records(warcs[0], "warc")
    sample = sample_source(source, 50_000, str(tmp_path / "out"))
    got = records(sample.patterns[0], "warc")
    assert 0 < len(got) < len(whole) and [d.id for d in got] == [d.id for d in whole[:len(got)]]
    assert not any(type(d).__name__ == "ReadError" for d in got)  # cut between gzip members, not inside one


def test_text_files_are_taken_whole_and_paths_keep_their_layout(tmp_path):
    for sub in ("a", "b"):
        os.makedirs(tmp_path / "in" / sub)
        for k in range(3):
            (tmp_path / "in" / sub / f"{k}.txt").write_text("some words here " * 100)
    source = SourceConfig(name="t", paths=[str(tmp_path / "in" / "*" / "*.txt")], format="text")
    assert [f.rel_path for f in list_inputs(source)] == [f"{s}/{k}.txt" for s in "ab" for k in range(3)]
    sample = sample_source(source, 4000, str(tmp_path / "out"))
    assert sample.files == 3 and sample.text_bytes == 3 * 1600  # whole files until the budget is passed
    assert sorted(os.path.relpath(p, tmp_path / "out" / "t" / "0") for p in glob.glob(sample.patterns[0])) == \
        ["a/0.txt", "a/1.txt", "a/2.txt"]
    shutil.rmtree(tmp_path / "out")


def test_patterns_the_budget_does_not_reach_are_left_out(tmp_path):
    write_parts(tmp_path / "a", ".jsonl", open, parts=1)
    write_parts(tmp_path / "b", ".jsonl", open, parts=1)
    source = SourceConfig(name="two", paths=[str(tmp_path / "a" / "*.jsonl"), str(tmp_path / "b" / "*.jsonl")])
    small = sample_source(source, 1000, str(tmp_path / "small"))
    assert small.patterns == [str(tmp_path / "small" / "two" / "0" / "*.jsonl")]  # the derived config must match files
    both = sample_source(source, 10**9, str(tmp_path / "both"))
    assert [len(glob.glob(p)) for p in both.patterns] == [1, 1]
