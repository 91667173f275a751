"""Fixtures for the trainer tests: one small real dataset (GPT-NeoX tokens of Shakespeare, seq_len 64)
built once per session, and a factory for valid trainer configs over it."""
import shutil

import pytest

from tests.trainer.dataset_fixture import build_dataset


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory):
    """Read-only: tests that corrupt a dataset copy it first (`dataset_copy`)."""
    path = str(tmp_path_factory.mktemp("dataset"))
    build_dataset(path, seq_len=64, train_shards=3, validation_shards=1, train_rows=300)
    return path


@pytest.fixture
def dataset_copy(dataset_dir, tmp_path):
    path = str(tmp_path / "dataset")
    shutil.copytree(dataset_dir, path)
    return path


@pytest.fixture
def train_raw(dataset_dir, tmp_path):
    """A raw (dict) trainer config small enough for a CPU step in a fraction of a second."""
    def make(**overrides):
        raw = {
            "data": dataset_dir, "out_dir": str(tmp_path / "run"), "seed": 0, "device": "cpu",
            "model": {"n_layer": 2, "n_head": 2, "n_embd": 32},
            "batch_size": 2, "grad_accum": 1, "max_steps": 8, "lr": 1e-2, "min_lr": 1e-3, "warmup_steps": 2,
            "eval_every": 4, "eval_rows": 16, "checkpoint_every": 4, "num_workers": 0, "plot": False,
            "peak_tflops": 1.0,
        }
        raw.update(overrides)
        return raw
    return make
