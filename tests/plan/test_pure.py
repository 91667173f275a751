"""The planning arithmetic (and the trainer's sizing and accelerator table it shares) imports neither torch
nor Beam: `plan train` on a GPU type, report.json's capacity and `inspect` need neither."""
import subprocess
import sys

import pytest

PURE = ["pipeline.plan.memory", "pipeline.plan.chinchilla", "pipeline.plan.train_plan", "pipeline.plan.render", "pipeline.plan.extrapolate",
        "pipeline.plan.cli", "trainer.sizing", "trainer.hardware", "trainer.metrics"]


@pytest.mark.parametrize("module", PURE)
def test_module_does_not_pull_in_beam_or_torch(module):
    code = f"import sys, {module}; print(sorted(m for m in ('apache_beam', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"{module} imports {out}"
