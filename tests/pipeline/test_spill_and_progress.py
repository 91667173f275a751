"""The intermediate-file formats (pipeline.spill), the per-pass progress line, the shuffle report and the
local worker default."""
import io
import json
import os

import pytest
from apache_beam.options.pipeline_options import DirectOptions

from pipeline.cli import _default_workers, build_parser
from pipeline.config import build_config
from tests.conftest import TOKENIZER_JSON
from pipeline.document import Document
from pipeline.progress_report import ProgressReport, summarize
from pipeline.run import pipeline_options
from pipeline.spill import RecordWriter, pickled_buckets, read_bucket, read_pickled_bucket, read_records, write_buckets
from pipeline.transforms.commit import shuffle_report
from pipeline.transforms.progress import PassProgress


def test_records_round_trip_in_order_across_batches_with_progress(tmp_path):
    path = str(tmp_path / "docs.pkl")
    docs = [Document(f"d{i}", "web", "x" * (i % 7), url=None) for i in range(1300)]  # three batches of 512
    with RecordWriter(path) as w:
        for d in docs:
            w.write(d)
    assert w.count == 1300
    fractions = []
    assert list(read_records(path, fractions.append)) == docs
    assert len(fractions) == 3 and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_an_empty_record_file_reads_as_nothing(tmp_path):
    path = str(tmp_path / "empty.pkl")
    RecordWriter(path).close()
    assert list(read_records(path)) == []


def test_each_bucket_is_read_alone_and_a_foreign_file_is_refused(tmp_path):
    path = str(tmp_path / "keys.bkt")
    buckets = [[("a", 1)], [], [("c", 3), ("d", 4)]]
    write_buckets(path, pickled_buckets(buckets))
    assert [read_pickled_bucket(path, b) for b in range(3)] == buckets
    with pytest.raises(ValueError, match="bucket 3 outside 0..2"):
        read_bucket(path, 3)
    other = tmp_path / "other.bin"
    other.write_bytes(b"not a bucket file at all")
    with pytest.raises(ValueError, match="not a tokenmill bucket file"):
        read_bucket(str(other), 0)


def test_shuffle_report_sums_stages_against_input_bytes():
    report = shuffle_report([("near_edges", 300), ("counts", 100)], 40_000)
    assert report == {"counts": 100, "near_edges": 300, "total": 400, "input_bytes": 40_000, "per_input_byte": 0.01}
    assert shuffle_report([], 0)["per_input_byte"] == 0.0


def test_the_progress_line_sums_workers_and_gives_an_eta():
    states = [{"pass": "curate", "bytes": 250, "documents": 100, "tokens": 0, "total_bytes": 1000, "seconds": 10},
              {"pass": "curate", "bytes": 250, "documents": 100, "tokens": 0, "total_bytes": 1000, "seconds": 10}]
    line = summarize(states, 10.0)
    assert "50.0% of 1.0 KB" in line and "20 docs/s" in line and "ETA 0:00:10" in line
    assert "tokens/s" not in line and "ETA" not in summarize([dict(states[0], bytes=1000)], 10.0)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_workers_progress_files_become_one_redrawn_line_per_pass(tmp_path):
    progress = PassProgress("tokenize", 2_000_000, str(tmp_path), every_s=0)
    progress.add(nbytes=1_000_000, docs=10, tokens=5_000)
    assert json.loads(open(os.path.join(tmp_path, os.listdir(tmp_path)[0])).read())["bytes"] == 1_000_000
    screen = _Terminal()
    report = ProgressReport(str(tmp_path), stream=screen)
    report.tick()
    report.tick()  # nothing new: nothing redrawn
    assert screen.getvalue().count("\r") == 1
    assert "tokenize" in screen.getvalue() and "50.0% of 2.0 MB" in screen.getvalue()


def test_local_runs_use_every_core_where_python_does_the_work_unless_told_otherwise(monkeypatch):
    direct = pipeline_options([], workers=4).view_as(DirectOptions)
    assert (direct.direct_running_mode, direct.direct_num_workers) == ("multi_processing", 4)
    assert pipeline_options([], workers=1).view_as(DirectOptions).direct_running_mode != "multi_processing"
    chosen = pipeline_options(["--direct_running_mode=in_memory"], workers=4).view_as(DirectOptions)
    assert chosen.direct_running_mode == "in_memory"
    monkeypatch.delenv("TOKENMILL_WORKERS")
    bpe_only = build_config({"output": "o", "seq_len": 8, "tokenizer": {"path": TOKENIZER_JSON},
                             "sources": [{"name": "s", "paths": [TOKENIZER_JSON]}]}, check_files=False)
    filtered = bpe_only.model_copy(update={"filters": [{"name": "gopher_quality"}]})
    assert _default_workers(bpe_only) == 1  # tokenizers already encodes on every core in one process
    assert _default_workers(filtered) == (os.cpu_count() or 1)
    monkeypatch.setenv("TOKENMILL_WORKERS", "3")
    assert _default_workers(filtered) == _default_workers(bpe_only) == 3
    assert build_parser().parse_args(["run", "c.yaml"]).workers is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "c.yaml", "--workers", "0"])
