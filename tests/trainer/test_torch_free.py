"""The pure parts of the trainer (config, order, split, cache, schedule, metrics) and the dataset module
it reads with (manifest, shards) import neither torch nor Beam, so the CLI validates a config and tools
read datasets without them."""
import subprocess
import sys

PURE = ["trainer.config", "pipeline.dataset.manifest", "trainer.order", "pipeline.dataset.shard_reader", "trainer.split", "trainer.cache",
        "trainer.schedule", "trainer.metrics", "trainer.cli"]


def test_pure_modules_do_not_import_torch_or_beam():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in PURE) +
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'apache_beam'))\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
