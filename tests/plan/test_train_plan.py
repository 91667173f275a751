"""`tokenmill plan train`: the arithmetic of pipeline.plan.train_plan on chosen numbers, and the command on a
real dataset (JSON keys of the contract, exit codes, --gpus, --mfu, --metrics)."""
import json

import pytest

from pipeline.cli import main
from pipeline.capacity import dataset_capacity
from pipeline.plan.chinchilla import compute_optimal, repeat_warning
from pipeline.plan.train_plan import DatasetFacts, Hardware, mfu_from_metrics, plan_training
from trainer.config import build_train_config
from trainer.hardware import accelerator
from trainer.sizing import ModelShape, count_parameters, shape_flops_per_token

CONTRACT_KEYS = {"parameters", "flops_per_token", "tokens", "dataset_tokens", "chinchilla_tokens", "total_flops",
                 "gpu_hours", "memory_per_gpu_bytes"}


def _cfg(dataset, **kw):
    raw = {"data": dataset, "out_dir": "unused", "model": {"n_layer": 4, "n_head": 4, "n_embd": 128},
           "batch_size": 8, "grad_accum": 4, "max_steps": 1000}
    raw.update(kw)
    return build_train_config(raw)


def _hw(key="h100", gpus=1, mfu=0.5, memory=None):
    acc = accelerator(key)
    return Hardware(acc, gpus, acc.peak_flops or 1e11, memory or acc.memory_bytes or 10**10, mfu, "test")


def test_tokens_flops_hours_follow_from_the_config(dataset_64):
    data = DatasetFacts(seq_len=256, vocab_size=50277, train_rows=10_000, validation_rows=50)
    plan = plan_training(_cfg(dataset_64), data, _hw(gpus=4))
    shape = ModelShape(vocab_size=50304, seq_len=256, n_layer=4, n_head=4, n_embd=128)
    n = count_parameters(shape).total
    assert plan["parameters"] == n and plan["flops_per_token"] == shape_flops_per_token(shape)
    assert plan["tokens"] == 1000 * 8 * 4 * 4 * 256
    assert plan["epochs"] == pytest.approx(1000 * 8 * 4 * 4 / 10_000)
    assert plan["dataset_tokens"] == 10_000 * 256
    assert plan["chinchilla_tokens"] == 20 * n
    assert plan["total_flops"] == plan["flops_per_token"] * plan["tokens"]
    assert plan["gpu_hours"] == pytest.approx(plan["total_flops"] / (989e12 * 0.5) / 3600)
    assert plan["wall_hours"] == pytest.approx(plan["gpu_hours"] / 4)
    assert plan["seconds_per_step"] * 1000 / 3600 == pytest.approx(plan["wall_hours"])
    assert plan["strategy"] == "ddp" and set(plan["memory"]) == {"ddp", "ddp+checkpointing", "fsdp", "fsdp+checkpointing"}
    assert plan["memory_per_gpu_bytes"] == plan["memory"]["ddp"]["total"]
    assert plan["precision"] == "bf16 autocast"


def test_repeats_beyond_four_epochs_are_flagged_per_source(dataset_64):
    data = DatasetFacts(seq_len=256, vocab_size=1000, train_rows=32_000, source_repeats={"web": 1.0, "math": 3.0})
    plan = plan_training(_cfg(dataset_64), data, _hw())  # 1000 x 32 sequences = exactly one epoch
    assert plan["epochs"] == 1.0 and plan["source_epochs"] == {"math": 3.0, "web": 1.0}
    assert plan["warnings"] == []
    plan = plan_training(_cfg(dataset_64, max_steps=2000), data, _hw())
    assert [w.split(" is repeated")[0] for w in plan["warnings"]] == ["source 'math' (mix repeats 3 x 2.00 epochs)"]
    plan = plan_training(_cfg(dataset_64, max_steps=5000), data, _hw())
    assert any(w.startswith("the dataset is repeated 5.0 times") for w in plan["warnings"])
    assert repeat_warning(4.0, "x") is None and "next to nothing" in repeat_warning(17, "x")


def test_fit_and_the_largest_batch_that_fits(dataset_64):
    data = DatasetFacts(seq_len=1024, vocab_size=50277, train_rows=10_000)
    model = {"n_layer": 12, "n_head": 16, "n_embd": 1024}
    plan = plan_training(_cfg(dataset_64, model=model), data, _hw(key="l4"))
    b = plan["max_batch_size"]
    fits_at = lambda batch: plan_training(_cfg(dataset_64, model=model, batch_size=batch), data, _hw(key="l4"))
    assert 8 < b < 100 and fits_at(b)["fits"] and not fits_at(b + 1)["fits"]
    assert not any(w.startswith("does not fit") for w in fits_at(b)["warnings"])
    assert any(w.startswith(f"does not fit") and f"largest batch_size that fits: {b}" in w
               for w in fits_at(b + 1)["warnings"])
    huge = plan_training(_cfg(dataset_64, model={"n_layer": 48, "n_head": 16, "n_embd": 2048}), data, _hw(key="l4"))
    assert huge["max_batch_size"] == 0 and not huge["fits"] and "shard the states with FSDP" in huge["warnings"][-1]


def test_measured_mfu_is_the_median_after_warm_up():
    assert mfu_from_metrics([{"mfu": 0.9}, {"mfu": 0.2}, {"mfu": 0.3}, {"mfu": 0.4}, {"step": 5}]) == 0.3
    assert mfu_from_metrics([{"mfu": 0.25}]) == 0.25
    assert mfu_from_metrics([{"mfu": None}]) is None


def test_compute_optimal_and_capacity():
    params, tokens = compute_optimal(6 * 1e9 * 20e9)
    assert params == pytest.approx(1e9, rel=1e-6) and tokens == pytest.approx(20e9, rel=1e-6)
    cap = dataset_capacity(2_000_000, {"web": 1_500_000, "books": 600_000})
    assert cap["optimal_parameters"] == 100_000 and cap["optimal_parameters_4_epochs"] == 400_000
    assert list(cap["tokens_per_source"]) == ["books", "web"]


def test_cli_json_has_the_contract_keys(train_yaml, capsys):
    assert main(["plan", "train", train_yaml(), "--gpu", "a100", "--gpus", "2", "--mfu", "0.5", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert CONTRACT_KEYS <= set(plan)
    assert plan["gpus"] == 2 and plan["gpu"] == "a100" and plan["mfu"] == 0.5 and plan["mfu_source"] == "--mfu"
    assert plan["tokens"] == 100 * 4 * 2 * 2 * 64
    assert plan["peak_flops"] == 1e12  # the config's peak_tflops wins, as in the trainer's MFU


def test_cli_text_names_the_figures(train_yaml, capsys):
    assert main(["plan", "train", train_yaml(), "--set", "max_steps=10000"]) == 0
    out = capsys.readouterr().out
    for phrase in ("parameters", "FLOPs/token", "epochs", "Chinchilla", "device-hours", "checkpoint", "fits",
                   "warning      the dataset is repeated"):
        assert phrase in out


def test_cli_reads_mfu_from_a_runs_metrics(train_yaml, tmp_path, capsys):
    run = tmp_path / "measured"
    run.mkdir()
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": i, "mfu": m}) + "\n"
                                               for i, m in enumerate([0.01, 0.2, 0.3, 0.25], 1)))
    assert main(["plan", "train", train_yaml(), "--metrics", str(run), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["mfu"] == 0.25 and plan["mfu_source"] == f"measured in {run}"


@pytest.mark.parametrize("args, message", [
    (["--set", "bogus=1"], "bogus: unknown key"),
    (["--set", "data=/nonexistent"], "data: no dataset folder"),
    (["--mfu", "1.5"], "--mfu: must be in"),
    (["--gpu", "tpu"], "--gpu: invalid choice"),
    (["--gpus", "0"], "--gpus: must be at least 1"),
    (["--metrics", "/nonexistent/metrics.jsonl"], "--metrics: no such file"),
    (["--mfu", "0.3", "--metrics", "x"], "not allowed with argument"),
])
def test_cli_usage_and_config_errors_exit_2(train_yaml, capsys, args, message):
    assert main(["plan", "train", train_yaml(), *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_a_folder_without_manifest(train_yaml, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["plan", "train", train_yaml(data=str(tmp_path / "empty"))]) == 2
    assert "data: " in capsys.readouterr().err
