"""Real data parallelism on CPU: two processes over gloo, as `torchrun --nproc_per_node 2` would
start them, train the same global batch as one process does and reach the same losses."""
import os
import socket
import time

import pytest
import torch.multiprocessing as mp

from trainer.checkpoint import latest_checkpoint, load_checkpoint
from trainer.config import build_train_config
from trainer.metrics import read_metrics
from trainer.train import train


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, port: int, raw: dict) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    import torch

    torch.set_num_threads(1)
    train(build_train_config(raw))


def test_two_processes_match_one_process_at_the_same_global_batch(train_raw, tmp_path):
    common = dict(max_steps=4, eval_every=2, checkpoint_every=0)
    single = train_raw(out_dir=str(tmp_path / "single"), batch_size=2, **common)
    train(build_train_config(single))
    ddp = train_raw(out_dir=str(tmp_path / "ddp"), batch_size=1, **common)
    # fork: spawned children would import torch again, several seconds each on a busy 2-core machine.
    ctx = mp.start_processes(_worker, args=(2, _free_port(), ddp), nprocs=2, join=False, start_method="fork")
    deadline = time.monotonic() + 240
    while not ctx.join(timeout=2):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail("the two training processes did not finish in time")

    one = read_metrics(os.path.join(single["out_dir"], "metrics.jsonl"))
    two = read_metrics(os.path.join(ddp["out_dir"], "metrics.jsonl"))
    assert [r["step"] for r in two] == [1, 2, 3, 4]
    for a, b in zip(one, two):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4)
        assert b["tokens_seen"] == a["tokens_seen"]
    assert two[-1]["val_loss"] == pytest.approx(one[-1]["val_loss"], rel=1e-4)
    state = load_checkpoint(latest_checkpoint(ddp["out_dir"]))
    assert len(state["rng"]) == 2 and state["data"]["samples_seen"] == 8
