"""Checkpoint files: atomic, newest wins, old ones pruned, leftovers of a killed save ignored, and
RNG state round-trips through `torch.load(weights_only=True)`."""
import os
import random

import numpy as np
import torch

from trainer import checkpoint as ckpt


def test_latest_is_the_highest_step_and_old_ones_are_pruned(tmp_path):
    out = str(tmp_path)
    for step in (5, 10, 15):
        ckpt.save_checkpoint(out, step, {"step": step}, keep=2)
    assert [s for s, _ in ckpt.list_checkpoints(out)] == [10, 15]
    assert ckpt.load_checkpoint(ckpt.latest_checkpoint(out))["step"] == 15


def test_a_partial_save_is_never_taken_for_a_checkpoint(tmp_path):
    out = str(tmp_path)
    ckpt.save_checkpoint(out, 4, {"step": 4}, keep=2)
    partial = ckpt.checkpoint_path(out, 8) + ".tmp-1234"
    with open(partial, "wb") as f:
        f.write(b"half a checkpoint")
    assert ckpt.latest_checkpoint(out).endswith("step-00000004.pt")
    ckpt.remove_partial_saves(out)
    assert not os.path.exists(partial)
    assert ckpt.latest_checkpoint(str(tmp_path / "empty")) is None


def test_rng_state_round_trips(tmp_path):
    ckpt.seed_everything(3)
    state = ckpt.rng_state()
    ckpt.save_checkpoint(str(tmp_path), 1, {"rng": [state]}, keep=1)
    want = (torch.rand(3), np.random.rand(3), random.random())
    ckpt.seed_everything(99)
    ckpt.set_rng_state(ckpt.load_checkpoint(ckpt.latest_checkpoint(str(tmp_path)))["rng"][0])
    got = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(want[0], got[0]) and (want[1] == got[1]).all() and want[2] == got[2]
