"""The pipeline on Beam's portable runner: a standalone job service and an external SDK worker pool, each a
separate process on loopback (the Flink topology without Flink), must give the same shards, byte for
byte, as the in-process runner. Workers are fresh processes: what they need must be shipped or readable."""
import gzip
import json
import os
import subprocess
import sys

import pytest
import yaml

from deploy.local_job_server import LocalPortableCluster
from pipeline.cli import main
from tests.conftest import SAMPLE_DATA, TOKENIZER_JSON

pytestmark = pytest.mark.slow


def small_config(tmp_path, output: str) -> str:
    data = tmp_path / "data"
    if not data.exists():
        data.mkdir()
        with gzip.open(os.path.join(SAMPLE_DATA, "web", "cc_dolma.jsonl.gz"), "rt", encoding="utf-8") as f:
            first = [json.loads(line) for line in f][:3]
        with gzip.open(data / "dups.jsonl.gz", "wt", encoding="utf-8") as f:
            for i, d in enumerate(first):
                f.write(json.dumps({"id": f"dup-{i}", "text": d["text"]}) + "\n")
            f.write("{not json\n")
    cfg = {
        "output": output, "seed": 5, "seq_len": 256,
        "tokenizer": {"path": TOKENIZER_JSON},
        "validation_fraction": 0.1, "shards": {"train": 3, "validation": 1},
        "sources": [
            {"name": "web", "paths": [os.path.join(SAMPLE_DATA, "web", "cc_dolma.jsonl.gz"), str(data / "*.jsonl.gz")],
             "id_field": "id"},
            {"name": "warc", "paths": [os.path.join(SAMPLE_DATA, "web", "warc", "*.warc.gz")], "format": "warc"},
            {"name": "chat", "paths": [os.path.join(SAMPLE_DATA, "forum", "nps_chat.jsonl.gz")], "id_field": "id"},
        ],
        "dedup": {"exact": True},
    }
    path = tmp_path / f"{os.path.basename(output)}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def tokenmill_exe() -> str:
    return os.path.join(os.path.dirname(sys.executable), "tokenmill")


def test_portable_job_server_gives_the_same_shards_as_the_in_process_runner(tmp_path):
    assert main(["run", small_config(tmp_path, str(tmp_path / "inproc"))]) == 0

    with LocalPortableCluster(str(tmp_path / "cluster"), start_timeout_s=60) as cluster:
        res = subprocess.run([tokenmill_exe(), "run", small_config(tmp_path, str(tmp_path / "portable")),
                              "--", *cluster.beam_args], capture_output=True, text=True, timeout=300)
        pool_log = (tmp_path / "cluster" / "worker_pool.log").read_text()
    assert res.returncode == 0, res.stderr[-4000:]
    assert "Starting worker" in pool_log, "the job did not run on the external worker pool"

    a = json.loads((tmp_path / "inproc" / "manifest.json").read_text())
    b = json.loads((tmp_path / "portable" / "manifest.json").read_text())
    assert a["splits"] == b["splits"]  # same rows, tokens and xxh64 per shard
    assert a["splits"]["train"]["rows"] > 0 and a["splits"]["validation"]["rows"] > 0
    for block in a["splits"].values():
        for shard in block["shards"]:
            assert (tmp_path / "inproc" / shard["path"]).read_bytes() == (tmp_path / "portable" / shard["path"]).read_bytes()
    # The accounting was counted on the workers and must agree too (3 duplicates, 1 unreadable record).
    ra = json.loads((tmp_path / "inproc" / "report.json").read_text())["sources"]
    rb = json.loads((tmp_path / "portable" / "report.json").read_text())["sources"]
    assert ra == rb
    assert ra["web"]["duplicates"] == 3 and ra["web"]["unreadable"] == 1
