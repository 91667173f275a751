"""The trainer config: unknown keys, wrong types and impossible values are errors naming the key,
before any work starts; --set overrides by dotted path."""
import pytest
import yaml

from pipeline.config_base import ConfigError
from trainer.config import build_train_config, load_train_config


def test_a_valid_config_with_defaults(train_raw):
    cfg = build_train_config(train_raw())
    assert cfg.model.n_kv_head is None and cfg.model.norm == "rmsnorm" and cfg.log_every == 1
    assert cfg.weight_decay == 0.1 and cfg.grad_clip == 1.0


@pytest.mark.parametrize("override, message", [
    ({"bogus": 1}, "bogus: unknown key"),
    ({"model": {"n_layer": 2, "n_head": 2, "n_embd": 32, "n_heads": 4}}, "model.n_heads: unknown key"),
    ({"batch_size": 0}, "batch_size: Input should be greater than or equal to 1"),
    ({"lr": "fast"}, "lr: Input should be a valid number"),
    ({"device": "tpu"}, "device: Input should be 'auto', 'cpu' or 'cuda'"),
    ({"min_lr": 1.0}, r"min_lr \(1.0\) exceeds lr"),
    ({"warmup_steps": 100}, r"warmup_steps \(100\) exceeds max_steps"),
    ({"model": {"n_layer": 2, "n_head": 3, "n_embd": 32}}, "model: Value error, n_embd .32. must be a multiple"),
    ({"model": {"n_layer": 2, "n_head": 4, "n_embd": 32, "n_kv_head": 3}}, "must be a multiple of n_kv_head"),
    ({"data": "/nonexistent/dataset"}, "data: no dataset folder at /nonexistent/dataset"),
    ({"batch_size": True}, "batch_size: Input should be a valid integer"),
    ({"max_steps": "8"}, "max_steps: Input should be a valid integer"),
    ({"seq_len": 1 << 21}, "seq_len: Input should be less than or equal to 1048576"),
])
def test_mistakes_name_the_key(train_raw, override, message):
    with pytest.raises(ConfigError, match=message):
        build_train_config(train_raw(**override))


def test_missing_required_key(train_raw):
    raw = train_raw()
    del raw["max_steps"]
    with pytest.raises(ConfigError, match="max_steps: required key is missing"):
        build_train_config(raw)


def test_set_overrides_by_dotted_path(train_raw):
    cfg = build_train_config(train_raw(), ["model.n_layer=3", "lr=1e-3", "compile=true"])
    assert cfg.model.n_layer == 3 and cfg.lr == 1e-3 and cfg.compile is True
    with pytest.raises(ConfigError, match="model.n_layers: unknown key"):
        build_train_config(train_raw(), ["model.n_layers=3"])


def test_relative_data_path_falls_back_to_the_config_folder(train_raw, tmp_path, dataset_dir, monkeypatch):
    import os
    import shutil

    shutil.copytree(dataset_dir, tmp_path / "cfgdir" / "ds")
    path = tmp_path / "cfgdir" / "train.yaml"
    path.write_text(yaml.safe_dump(train_raw(data="ds")))
    monkeypatch.chdir(tmp_path)
    assert load_train_config(str(path)).data == os.path.join(str(tmp_path), "cfgdir", "ds")


def test_unreadable_config_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_train_config(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_train_config(str(bad))
    bad.write_text("- a list")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_train_config(str(bad))


@pytest.mark.parametrize("name", ["train_tiny_cpu.yaml", "train_gpu_80gb.yaml"])
def test_the_example_configs_are_valid(name, dataset_dir):
    import os

    from tests.trainer.dataset_fixture import REPO

    cfg = load_train_config(os.path.join(REPO, "examples", name), [f"data={dataset_dir}"])
    assert cfg.max_steps > cfg.warmup_steps
