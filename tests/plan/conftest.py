"""Small real datasets (GPT-NeoX tokens of Shakespeare) for the planner's tests, built once per session."""
import pytest
import yaml

from tests.trainer.dataset_fixture import build_dataset


@pytest.fixture(scope="session")
def dataset_64(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("plan_ds64"))
    build_dataset(path, seq_len=64, train_shards=2, validation_shards=1, train_rows=200)
    return path


@pytest.fixture(scope="session")
def dataset_1024(tmp_path_factory):
    """seq_len 1024, as examples/train_tiny_cpu.yaml expects."""
    path = str(tmp_path_factory.mktemp("plan_ds1024"))
    build_dataset(path, seq_len=1024, train_shards=2, validation_shards=1, train_rows=40)
    return path


@pytest.fixture
def train_yaml(dataset_64, tmp_path):
    """A trainer config file over dataset_64; keyword arguments override its keys."""
    def make(**overrides):
        raw = {"data": dataset_64, "out_dir": str(tmp_path / "run"), "device": "cpu",
               "model": {"n_layer": 2, "n_head": 2, "n_embd": 32}, "batch_size": 4, "grad_accum": 2,
               "max_steps": 100, "eval_every": 50, "eval_rows": 8, "peak_tflops": 1.0}
        raw.update(overrides)
        path = tmp_path / "train.yaml"
        path.write_text(yaml.safe_dump(raw))
        return str(path)
    return make
