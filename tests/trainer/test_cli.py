"""`tokenmill train` end to end (through `trainer.cli.main` and as a real process): exit codes, and a
process killed with SIGKILL or stopped with SIGTERM resumes to the uninterrupted run's exact losses."""
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.trainer.dataset_fixture import REPO
from trainer.checkpoint import list_checkpoints
from trainer.cli import main
from trainer.config import build_train_config
from pipeline.dataset.manifest import read_manifest
from trainer.metrics import read_metrics
from trainer.train import train


def _write(tmp_path, raw, name="train.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def test_a_good_run_exits_0(train_raw, tmp_path, capsys):
    assert main([_write(tmp_path, train_raw(max_steps=4)), "--set", "max_steps=2", "--set", "eval_every=0"]) == 0
    out = capsys.readouterr().out
    assert "step 2/2" in out and "done: 2 steps" in out


@pytest.mark.parametrize("args, message", [
    (["--set", "model.n_layers=2"], "model.n_layers: unknown key"),
    (["--set", "batch_size=-1"], "batch_size"),
    (["--set", "nonsense"], "expected KEY=VALUE"),
])
def test_bad_config_exits_2_naming_the_key(train_raw, tmp_path, capsys, args, message):
    assert main([_write(tmp_path, train_raw())] + args) == 2
    assert message in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["/nonexistent/train.yaml"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_a_folder_without_manifest_exits_2(train_raw, tmp_path, capsys):
    (tmp_path / "unfinished").mkdir()
    assert main([_write(tmp_path, train_raw(data=str(tmp_path / "unfinished")))]) == 2
    assert "data: " in capsys.readouterr().err


def test_a_corrupt_shard_exits_1_naming_it(train_raw, dataset_copy, tmp_path, capsys):
    shard = read_manifest(dataset_copy).shards("validation")[0].path
    with open(os.path.join(dataset_copy, shard), "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01\x02\x03")
    assert main([_write(tmp_path, train_raw(data=dataset_copy))]) == 1
    assert f"shard {shard}: xxh64 is" in capsys.readouterr().err


def _wait_for(predicate, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "training made no progress"
        time.sleep(0.05)


@pytest.mark.slow
def test_killed_and_terminated_processes_resume_to_the_same_losses(train_raw, tmp_path):
    raw = train_raw(max_steps=8, checkpoint_every=2, eval_every=3, eval_rows=8, out_dir=str(tmp_path / "run"))
    straight = build_train_config({**raw, "out_dir": str(tmp_path / "straight")})
    train(straight)
    config = _write(tmp_path, raw)
    metrics = os.path.join(raw["out_dir"], "metrics.jsonl")
    cmd = [sys.executable, "-m", "trainer.cli", config]
    env = {**os.environ, "PYTHONPATH": REPO}

    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for(lambda: len(read_metrics(metrics)) >= 3, proc)
    proc.kill()  # SIGKILL after step 3 or later: no chance to save; the last checkpoint is at step 2
    proc.wait()

    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # a progress line means the loop, and so its signal handler, is running
    while not (line := proc.stdout.readline()).startswith("step "):
        assert line, "the resumed run ended before its first step"
    proc.send_signal(signal.SIGTERM)  # graceful: checkpoint at the step boundary, exit 1
    proc.stdout.read()
    assert proc.wait(timeout=120) == 1
    stopped_at = read_metrics(metrics)[-1]["step"]
    assert list_checkpoints(raw["out_dir"])[-1][0] == stopped_at < 8

    train(build_train_config(raw))  # the rest in this process: a third interpreter start costs seconds
    got = [(r["step"], r["loss"], r.get("val_loss")) for r in read_metrics(metrics)]
    want = [(r["step"], r["loss"], r.get("val_loss")) for r in read_metrics(os.path.join(straight.out_dir, "metrics.jsonl"))]
    assert got == want


def test_a_missing_shard_exits_1_naming_it_without_a_traceback(train_raw, dataset_copy, tmp_path, capsys):
    shard = read_manifest(dataset_copy).shards("train")[1].path
    os.remove(os.path.join(dataset_copy, shard))
    assert main([_write(tmp_path, train_raw(data=dataset_copy))]) == 1
    err = capsys.readouterr().err
    assert f"shard {shard}: missing" in err and "Traceback" not in err


def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous_one(train_raw, tmp_path, capsys):
    raw = train_raw(max_steps=8, checkpoint_every=2, eval_every=4, out_dir=str(tmp_path / "run"))
    straight = build_train_config({**raw, "out_dir": str(tmp_path / "straight")})
    train(straight)
    train(build_train_config(raw), stop_after=5)  # checkpoints at steps 2 and 4
    (step4,) = [p for s, p in list_checkpoints(raw["out_dir"]) if s == 4]
    with open(step4, "r+b") as f:
        f.truncate(os.path.getsize(step4) // 2)
    capsys.readouterr()
    assert main([_write(tmp_path, raw)]) == 0
    captured = capsys.readouterr()
    assert "step-00000004.pt is unreadable" in captured.err and "falling back" in captured.err
    assert "resuming from" in captured.out and "step-00000002.pt at step 2" in captured.out
    got = {r["step"]: r["loss"] for r in read_metrics(os.path.join(raw["out_dir"], "metrics.jsonl"))}
    want = {r["step"]: r["loss"] for r in read_metrics(os.path.join(straight.out_dir, "metrics.jsonl"))}
    assert got[8] == want[8]


def test_no_loadable_checkpoint_exits_1_naming_them(train_raw, tmp_path, capsys):
    raw = train_raw(max_steps=8, checkpoint_every=2, out_dir=str(tmp_path / "run"))
    train(build_train_config(raw), stop_after=3)  # a checkpoint at step 2
    for _, path in list_checkpoints(raw["out_dir"]):
        with open(path, "wb") as f:
            f.write(b"not a checkpoint")
    assert main([_write(tmp_path, raw)]) == 1
    err = capsys.readouterr().err
    assert "no checkpoint" in err and "step-00000002.pt" in err and "Traceback" not in err
