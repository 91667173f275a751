"""What a run may delete: only what a previous run of tokenmill recorded (its file list, or for an older
dataset what its manifest implies) and its own staging area; inputs inside the output and foreign files
in the way are refused before anything is touched; the previous dataset stays whole until the commit
step, which an interruption at any point leaves either complete (with a manifest) or recoverable."""
import dataclasses
import hashlib
import json
import os

import pytest
from apache_beam.io.filesystems import FileSystems

from pipeline.config_base import ConfigError
from pipeline.output_safety import (FILE_LIST, check_output, collisions, inputs_inside_output, owned_files,
                                    present_run_files)
from pipeline.transforms.commit import CommitRefused, commit_run
from tests.pipeline.test_commit import COUNTS, config, shard_stat

OLD = ["train/shard-00000-of-00003.arrow", "train/shard-00001-of-00003.arrow", "train/shard-00002-of-00003.arrow",
       "validation/shard-00000-of-00001.arrow", "errors/errors-00000-of-00002.jsonl", "errors/errors-00001-of-00002.jsonl"]
NEW = ["train/shard-00000-of-00002.arrow", "train/shard-00001-of-00002.arrow", "validation/shard-00000-of-00001.arrow"]
NEW_SIDE = ["errors/errors-00000-of-00001.jsonl", "rejects/rejects-00000-of-00001.parquet"]
FOREIGN = ["notes.txt", "errors/notes.txt", "train/README", "mine/data.jsonl"]


def tree(root):
    """{relative path: sha256} of every file under root."""
    out = {}
    for folder, _, names in os.walk(root):
        for n in names:
            path = os.path.join(folder, n)
            out[os.path.relpath(path, root)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out


def previous_dataset(out, with_list=True):
    """A committed previous run (OLD files, a manifest naming its shards) plus foreign files."""
    for rel in OLD + FOREIGN:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(b"old " + rel.encode())
    for rel in ("report.json", "report.html", "tokenizer.json"):
        (out / rel).write_text("old")
    shards = [{"path": p} for p in OLD if p.endswith(".arrow")]
    (out / "manifest.json").write_text(json.dumps({"format": "tokenmill.shards/1", "splits": {"train": {"shards": shards}}}))
    if with_list:
        files = OLD + ["report.json", "report.html", "tokenizer.json", "manifest.json", FILE_LIST]
        (out / FILE_LIST).write_text(json.dumps({"format": "tokenmill.files/1", "files": files}))


def stage_new(out):
    for rel in NEW + NEW_SIDE:
        (out / ".tmp" / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / ".tmp" / rel).write_bytes(b"new " + rel.encode())
    return [str(out / ".tmp" / rel) for rel in NEW_SIDE]


def expected_after_commit(out):
    files = set(NEW + NEW_SIDE + FOREIGN) | {"report.json", "report.html", "tokenizer.json", "manifest.json", FILE_LIST}
    assert set(tree(out)) == files, set(tree(out)) ^ files
    for rel in NEW + NEW_SIDE:
        assert (out / rel).read_bytes() == b"new " + rel.encode()
    for rel in FOREIGN:
        assert (out / rel).read_bytes() == b"old " + rel.encode()
    assert sorted(json.loads((out / FILE_LIST).read_text())["files"]) == sorted(files - set(FOREIGN))


@pytest.mark.parametrize("with_list", [True, False], ids=["file-list", "older-dataset"])
def test_a_commit_replaces_exactly_the_previous_runs_files(tmp_path, with_list):
    out = tmp_path / "out"
    previous_dataset(out, with_list)
    written = stage_new(out)
    commit_run(config(tmp_path), COUNTS, [shard_stat(p, 2) for p in NEW], None, started=0, written=written)
    expected_after_commit(out)


def test_an_interrupted_commit_leaves_a_complete_dataset_or_none_and_a_retry_finishes_it(tmp_path, monkeypatch):
    """Interrupts the commit at each of its file operations in turn: whatever it left, a directory with
    a manifest is complete, foreign files are untouched, and the retried commit ends as an uninterrupted one."""
    calls = {"n": 0, "fail_at": None}
    for name in ("rename", "delete", "create", "mkdirs"):
        original = getattr(FileSystems, name)

        def counting(*args, _original=original, **kwargs):
            calls["n"] += 1
            if calls["n"] == calls["fail_at"]:
                raise OSError("killed")
            return _original(*args, **kwargs)

        monkeypatch.setattr(FileSystems, name, counting)
    stats = [shard_stat(p, 2) for p in NEW]
    step = 0
    while True:
        step += 1
        out = tmp_path / f"run{step}" / "out"
        previous_dataset(out)
        written = stage_new(out)
        cfg = config(tmp_path / f"run{step}")
        calls.update(n=0, fail_at=step)
        try:
            commit_run(cfg, COUNTS, stats, None, started=0, written=written)
            break  # the commit has fewer operations than `step`: every point was tried
        except OSError:
            pass
        if (out / "manifest.json").exists():
            manifest = json.loads((out / "manifest.json").read_text())
            shards = [s["path"] for b in manifest["splits"].values() for s in b["shards"]]
            assert shards in (NEW, [p for p in OLD if p.endswith(".arrow")])
            assert all((out / p).exists() for p in shards)
            if shards == NEW:
                assert all((out / p).read_bytes() == b"new " + p.encode() for p in NEW)
        assert all((out / rel).read_bytes() == b"old " + rel.encode() for rel in FOREIGN)
        calls.update(fail_at=None)
        commit_run(cfg, COUNTS, stats, None, started=0, written=written)
        expected_after_commit(out)
    assert step > 10


def test_a_refused_commit_leaves_the_previous_dataset_as_it_was(tmp_path):
    out = tmp_path / "out"
    previous_dataset(out)
    before = tree(out)
    stage_new(out)
    empty = [dataclasses.replace(shard_stat(p, 0), documents=3, dropped_tail_tokens=12) for p in NEW]
    with pytest.raises(CommitRefused, match=r"train split holds no complete row: all 6 of its documents"):
        commit_run(config(tmp_path), COUNTS, empty, None, started=0)
    assert {k: v for k, v in tree(out).items() if not k.startswith(".tmp")} == before
    assert json.loads((out / ".tmp" / "report.json").read_text())["failed"]


def test_ownership_comes_from_the_file_list_or_a_tokenmill_manifest_and_nothing_else():
    present = ["report.json", "train/shard-00000-of-00001.arrow", "errors/errors-00000-of-00001.jsonl", "errors/mine.jsonl"]
    listed = {"format": "tokenmill.files/1", "files": ["report.json", "../../etc/passwd", "/etc/hosts", "mine/x.txt"]}
    assert owned_files(listed, None, present) == {"report.json", FILE_LIST}
    manifest = {"format": "tokenmill.shards/1", "splits": {"train": {"shards": [
        {"path": "train/shard-00000-of-00001.arrow"}, {"path": "../outside/shard-00000-of-00001.arrow"}]}}}
    owned = owned_files(None, manifest, present)
    assert "train/shard-00000-of-00001.arrow" in owned and "errors/errors-00000-of-00001.jsonl" in owned
    assert not any(".." in p for p in owned) and "errors/mine.jsonl" not in owned
    assert owned_files(None, {"format": "something else"}, present) == set()
    assert collisions(present, set()) == ["errors/errors-00000-of-00001.jsonl", "report.json",
                                          "train/shard-00000-of-00001.arrow"]
    matches = ["decontamination/matches-00003.parquet", "decontamination/notes.parquet"]
    assert owned_files(None, manifest, matches) == owned - {"errors/errors-00000-of-00001.jsonl"} | {matches[0]}


def test_inputs_inside_the_output_are_named(tmp_path):
    out = str(tmp_path / "out")
    found = inputs_inside_output(out, [
        ("tokenizer.path", f"{out}/tokenizer.json", [f"{out}/tokenizer.json"]),
        ("sources.0.paths.0", f"{out}/train/*.jsonl", []),
        ("sources.1.paths.0", f"{tmp_path}/**/*.jsonl", [f"{tmp_path}/data/a.jsonl", f"{out}/errors/e.jsonl"]),
        ("sources.2.paths.0", f"{tmp_path}/data/*.jsonl", [f"{tmp_path}/data/a.jsonl"]),
        ("filters.0.model", "gs://bucket/out/model.bin", []),
    ])
    assert [f.split(":")[0] for f in found] == ["tokenizer.path", "sources.0.paths.0", "sources.1.paths.0"]
    assert inputs_inside_output("gs://bucket/out", [("filters.0.model", "gs://bucket/out/model.bin", [])])
    assert not inputs_inside_output("gs://bucket/out", [("filters.0.model", "gs://bucket/outside/model.bin", [])])


def test_a_symlinked_input_into_the_output_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "tok.json").write_text("{}")
    os.symlink(out / "tok.json", tmp_path / "tok.json")
    assert inputs_inside_output(str(out), [("tokenizer.path", str(tmp_path / "tok.json"), [])])


def test_check_output_refuses_overlaps_and_foreign_files_in_the_way_and_reads_only(tmp_path, tokenizer_path):
    out = tmp_path / "out"
    (out / "train").mkdir(parents=True)
    (out / "train" / "in.jsonl").write_text('{"text": "x"}\n')
    cfg = config(tmp_path)
    cfg.sources[0].paths = [str(out / "train" / "*.jsonl")]
    with pytest.raises(ConfigError, match=r"sources\.0\.paths\.0: .*train/\*\.jsonl"):
        check_output(cfg)
    cfg.sources[0].paths = [str(tmp_path / "elsewhere.jsonl")]
    (out / "report.json").write_text("mine")
    before = tree(out)
    with pytest.raises(ConfigError, match=r"no previous run of tokenmill recorded[^\n]*\n  report\.json"):
        check_output(cfg)
    assert tree(out) == before and present_run_files(str(out)) == ["report.json", "train/in.jsonl"]
    (out / "report.json").unlink()
    check_output(cfg)  # a foreign file with another name is no obstacle


def test_an_eval_set_inside_the_output_is_refused(tmp_path):
    out = tmp_path / "out"
    (out / "evals").mkdir(parents=True)
    cfg = config(tmp_path, decontaminate={"sets": [{"name": "gsm8k", "paths": [str(out / "evals" / "*.jsonl")]}]})
    cfg.sources[0].paths = [str(tmp_path / "elsewhere.jsonl")]
    with pytest.raises(ConfigError, match=r"decontaminate\.sets\.0\.paths\.0: .*evals/\*\.jsonl"):
        check_output(cfg)
