"""Checkpoints in OUT/checkpoints/step-00000100.pt, written atomically: a file is saved under a
temporary name, flushed to disk and renamed, so a run killed mid-save leaves the previous checkpoint
as the latest. A checkpoint damaged afterwards (a disk fault, a truncated copy) is skipped with a
warning in favour of the newest one that loads (`load_latest_intact`). A checkpoint holds the model, the optimizer, the step (the LR schedule is a pure
function of it), the data state (positions consumed), every rank's RNG state and the config.
"""
from __future__ import annotations

import os
import random
import re

import numpy as np
import torch

from trainer.errors import TrainingError

CHECKPOINT_DIR = "checkpoints"
REQUIRED_KEYS = frozenset({"step", "model", "optimizer", "rng", "config", "data"})
_NAME = re.compile(r"^step-(\d{8})\.pt$")


def checkpoint_path(out_dir: str, step: int) -> str:
    return os.path.join(out_dir, CHECKPOINT_DIR, f"step-{step:08d}.pt")


def list_checkpoints(out_dir: str) -> list[tuple[int, str]]:
    folder = os.path.join(out_dir, CHECKPOINT_DIR)
    if not os.path.isdir(folder):
        return []
    found = [(int(m.group(1)), os.path.join(folder, n)) for n in os.listdir(folder) if (m := _NAME.match(n))]
    return sorted(found)


def latest_checkpoint(out_dir: str) -> str | None:
    found = list_checkpoints(out_dir)
    return found[-1][1] if found else None


def remove_partial_saves(out_dir: str) -> None:
    folder = os.path.join(out_dir, CHECKPOINT_DIR)
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if ".tmp-" in name:
                os.remove(os.path.join(folder, name))


def save_checkpoint(out_dir: str, step: int, state: dict, keep: int) -> str:
    path = checkpoint_path(out_dir, step)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)
    for _, old in list_checkpoints(out_dir)[:-keep]:
        os.remove(old)
    return path


def load_checkpoint(path: str) -> dict:
    # weights_only: a checkpoint is plain tensors, numbers, strings and containers (see rng_state).
    return torch.load(path, map_location="cpu", weights_only=True)


def load_latest_intact(out_dir: str, warn, required: frozenset = REQUIRED_KEYS) -> tuple[str, dict] | None:
    """(path, state) of the newest checkpoint that loads and holds the `required` keys, or None when
    there is no checkpoint. Each newer one that does not load is named through `warn`; when none loads,
    TrainingError names them (training does not silently start again from scratch)."""
    broken = []
    for _, path in reversed(list_checkpoints(out_dir)):
        try:
            state = load_checkpoint(path)
            missing = sorted(required - state.keys()) if isinstance(state, dict) else ["(not a mapping)"]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
        except Exception as e:  # noqa: BLE001 - whatever torch.load raises, the file is unusable
            broken.append(path)
            warn(f"checkpoint {path} is unreadable ({type(e).__name__}: {str(e)[:200]}); "
                 "falling back to the previous one")
            continue
        return path, state
    if broken:
        raise TrainingError(f"no checkpoint in {os.path.join(out_dir, CHECKPOINT_DIR)} can be loaded "
                            f"({len(broken)} unreadable: {', '.join(os.path.basename(b) for b in broken)}); "
                            "move them away to train from scratch")
    return None


def rng_state() -> dict:
    """This process's RNG states in a form `torch.load(weights_only=True)` accepts."""
    name, key, pos, has_gauss, cached = np.random.get_state(legacy=True)
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        "numpy": [name, torch.from_numpy(key.astype(np.int64)), pos, has_gauss, cached],
    }


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    random.setstate(_as_tuples(state["python"]))
    name, key, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, key.numpy().astype(np.uint32), pos, has_gauss, cached))


def _as_tuples(x):
    return tuple(_as_tuples(v) for v in x) if isinstance(x, (list, tuple)) else x


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    torch.manual_seed(seed)
