"""Pure-logic modules must import neither Beam nor torch, so they stay cheap to test and reuse."""
import subprocess
import sys

import pytest

PURE = ["pipeline.config", "pipeline.document", "pipeline.hashing", "pipeline.ids", "pipeline.readers",
        "pipeline.tokenize", "pipeline.packing", "pipeline.dataset.shard_writer", "pipeline.dataset.shard_reader",
        "pipeline.dataset.manifest", "pipeline.run_manifest", "pipeline.accounting",
        "pipeline.summary", "pipeline.dataset.verify", "pipeline.shard_layout", "pipeline.dedup_keys",
        "pipeline.distributions", "pipeline.report_parts", "pipeline.report_data", "pipeline.report_html",
        "pipeline.decontam.ngrams", "pipeline.decontam.index", "pipeline.decontam.decide", "pipeline.decontam.report",
        # the planner's arithmetic and the trainer's sizing and accelerator table it shares: `plan train` on a GPU
        # type, report.json's capacity and `inspect` need neither
        "pipeline.plan.memory", "pipeline.plan.chinchilla", "pipeline.plan.train_plan", "pipeline.plan.render",
        "pipeline.plan.extrapolate", "pipeline.plan.cli", "trainer.sizing", "trainer.hardware", "trainer.metrics"]


@pytest.mark.parametrize("module", PURE)
def test_module_does_not_pull_in_beam_or_torch(module):
    code = f"import sys, {module}; print(sorted(m for m in ('apache_beam', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"{module} imports {out}"
