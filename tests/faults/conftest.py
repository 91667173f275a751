"""The fault-injection harness: each case gets a workspace with a few real records (from
examples/data), an output directory already holding a committed dataset of an earlier run plus files
of the user's own, and a `tokenmill` CLI run in this process. Cases assert the exit code, the message,
the accounting identity and that no input or foreign file changed (sha256 before and after)."""
import gzip
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field

import pytest
import yaml

from pipeline.cli import main
from tests.conftest import SAMPLE_DATA, TOKENIZER_JSON

# Files of the user's own inside the output directory: no run may touch them.
FOREIGN = {"notes.txt": b"my notes\n", "errors/how-to-read.txt": b"mine\n", "train/README.md": b"# mine\n"}


def sample_records(n: int) -> list[dict]:
    """The first n records of a bundled web sample (about 7 KB of text each)."""
    with gzip.open(os.path.join(SAMPLE_DATA, "web", "cc_dolma.jsonl.gz"), "rt", encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f)]


def jsonl_bytes(records) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def file_hashes(root) -> dict[str, str]:
    """{relative path: sha256} of every file under root (an empty dict for a missing root)."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return found


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


@dataclass
class Workspace:
    """data/ (inputs), out/ (a previous dataset + FOREIGN files), and the config that reads data/."""

    root: str
    capsys: object
    sources: list = field(default_factory=list)

    @property
    def data(self) -> str:
        return os.path.join(self.root, "data")

    @property
    def out(self) -> str:
        return os.path.join(self.root, "out")

    def write_input(self, name: str, data: bytes) -> str:
        path = os.path.join(self.data, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def config(self, sources=None, **extra) -> str:
        cfg = {"output": self.out, "seed": 7, "seq_len": 64, "tokenizer": {"path": TOKENIZER_JSON},
               "validation_fraction": 0.1, "shards": {"train": 2, "validation": 1},
               "sources": sources or [{"name": "web", "paths": [os.path.join(self.data, "*.jsonl*")]}]}
        cfg.update(extra)
        path = os.path.join(self.root, "config.yaml")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f)
        return path

    def run(self, *args) -> tuple[int, str, str]:
        return run_cli(list(args), self.capsys)

    def protected(self) -> dict[str, str]:
        """Hashes of what a run must never change: every input and every foreign file."""
        hashes = {f"data/{k}": v for k, v in file_hashes(self.data).items()}
        hashes[TOKENIZER_JSON] = file_hashes(os.path.dirname(TOKENIZER_JSON))[os.path.basename(TOKENIZER_JSON)]
        out = file_hashes(self.out)
        return hashes | {f"out/{k}": out.get(k) for k in FOREIGN}

    def previous(self) -> dict[str, str]:
        """Hashes of the output directory apart from the staging area."""
        return {k: v for k, v in file_hashes(self.out).items() if not k.startswith(".tmp")}

    def report(self) -> dict:
        with open(os.path.join(self.out, "report.json")) as f:
            return json.load(f)

    def errors(self) -> list[dict]:
        folder = os.path.join(self.out, "errors")
        return [json.loads(line) for name in sorted(os.listdir(folder)) if name.startswith("errors-")
                for line in open(os.path.join(folder, name))]


@pytest.fixture(scope="session")
def previous_dataset(tmp_path_factory):
    """An output directory holding a dataset committed by an earlier run (built once)."""
    root = str(tmp_path_factory.mktemp("previous"))
    ws = Workspace(root, capsys=None)
    ws.write_input("earlier.jsonl", jsonl_bytes(sample_records(8)))
    assert main(["run", ws.config()]) == 0
    return ws.out


@pytest.fixture
def ws(tmp_path, capsys, previous_dataset):
    """A workspace whose out/ already holds the earlier run's dataset and the user's own files."""
    w = Workspace(str(tmp_path), capsys)
    shutil.copytree(previous_dataset, w.out)
    for rel, data in FOREIGN.items():
        os.makedirs(os.path.dirname(os.path.join(w.out, rel)), exist_ok=True)
        with open(os.path.join(w.out, rel), "wb") as f:
            f.write(data)
    return w
