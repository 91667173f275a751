"""Measuring a real training run for comparison with `tokenmill plan train` (shared by the tests and
bench/bench_plan.py): the run happens in a fresh Python process, which reports the resident memory it
had before the trainer built anything (interpreter, torch, the dataset's manifest) and its peak
afterwards (VmHWM); what the run added is the figure the plan's tensor total predicts."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_CHILD = r"""
import json, sys
def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key + ":"))
from trainer.config import load_train_config
from trainer.train import train
cfg = load_train_config(sys.argv[1], sys.argv[2:])
before = status("VmRSS")
train(cfg)
print("MEASURED " + json.dumps({"rss_before": before, "peak_rss": status("VmHWM")}))
"""


def measure_training(config: str, overrides: list[str], timeout_s: float = 600) -> dict:
    """Runs `train(config + overrides)` in a child process; returns rss_before, peak_rss, added_bytes (their
    difference), the run's metrics.jsonl records, and the median step time (from tokens_per_s, the first
    logged step left out as warm-up)."""
    from trainer.config import load_train_config
    from trainer.metrics import METRICS_FILE, read_metrics

    cfg = load_train_config(config, overrides)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", _CHILD, config, *overrides], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=timeout_s)
    if out.returncode:
        raise RuntimeError(f"training run failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    line = next(l for l in out.stdout.splitlines() if l.startswith("MEASURED "))
    result = json.loads(line.removeprefix("MEASURED "))
    records = read_metrics(os.path.join(cfg.out_dir, METRICS_FILE))
    tokens_per_step = records[0]["tokens_seen"] // records[0]["step"]
    rates = [r["tokens_per_s"] for r in records[1:]] or [records[0]["tokens_per_s"]]
    return {**result, "added_bytes": result["peak_rss"] - result["rss_before"], "records": records,
            "tokens_per_step": tokens_per_step, "step_seconds": tokens_per_step / statistics.median(rates)}
