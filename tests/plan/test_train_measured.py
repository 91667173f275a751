"""`tokenmill plan train` against a real run on this machine: examples/train_tiny_cpu.yaml for a few steps on
a small built dataset. The memory the plan predicts (tensors: weights, gradients, AdamW, activations) is
within 25% of what the run added to its process's resident memory, and its step time, calibrated with the
MFU that run measured (`--metrics`), within 2x of the measured one."""
import json
import os

import pytest

from pipeline.cli import main
from tests.plan.measured import REPO, measure_training

pytestmark = pytest.mark.slow
PRESET = os.path.join(REPO, "examples", "train_tiny_cpu.yaml")


def test_tiny_cpu_preset_memory_and_step_time(dataset_1024, tmp_path, capsys):
    out_dir = str(tmp_path / "run")
    overrides = [f"data={dataset_1024}", f"out_dir={out_dir}", "max_steps=4", "eval_every=0", "checkpoint_every=0",
                 "plot=false"]
    measured = measure_training(PRESET, overrides)
    assert main(["plan", "train", PRESET, *[a for o in overrides for a in ("--set", o)], "--metrics", out_dir,
                 "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["tokens_per_step"] == measured["tokens_per_step"] == 2 * 1024
    memory_ratio = plan["memory_per_gpu_bytes"] / measured["added_bytes"]
    step_ratio = plan["seconds_per_step"] / measured["step_seconds"]
    print(f"memory: planned {plan['memory_per_gpu_bytes'] / 1e6:.0f} MB, measured {measured['added_bytes'] / 1e6:.0f} MB; "
          f"step: planned {plan['seconds_per_step']:.2f} s, measured {measured['step_seconds']:.2f} s")
    assert 0.75 <= memory_ratio <= 1.25
    assert 0.5 <= step_ratio <= 2.0
