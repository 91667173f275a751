"""metrics.jsonl (one JSON object per logged step, flushed as it goes), the loss-curve PNG, and the
peak FLOP/s that model FLOPs utilisation (MFU) is measured against. Torch-free except for the CPU
matmul probe, which imports torch when called."""
from __future__ import annotations

import json
import os
import time

from trainer.hardware import ACCELERATORS, match_device

METRICS_FILE = "metrics.jsonl"
PLOT_FILE = "loss.png"

# Dense bf16 peaks by device-name substring, from the one table the planner shares (trainer.hardware).
GPU_PEAK_BF16 = {a.match: a.peak_flops for a in ACCELERATORS if a.peak_flops}


def gpu_peak_flops(device_name: str) -> float | None:
    found = match_device(device_name)
    return found.peak_flops if found else None


def cpu_peak_flops(n: int = 1024, repeats: int = 5) -> float:
    """Measured fp32 matmul throughput of this process's CPU threads: the practical ceiling that CPU
    MFU is reported against (CPUs publish no single peak figure)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


class MetricsLog:
    """Appends one JSON line per logged step. On resume, lines past the checkpoint's step are dropped
    first, so the file reads as if the run had never stopped."""

    def __init__(self, out_dir: str, resume_step: int):
        self.path = os.path.join(out_dir, METRICS_FILE)
        os.makedirs(out_dir, exist_ok=True)
        kept = [r for r in read_metrics(self.path) if r.get("step", 0) <= resume_step]
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in kept)
        os.replace(tmp, self.path)
        self._file = open(self.path, "a", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class ProgressLog:
    """Per logged step: throughput and MFU since the previous logged step, one metrics.jsonl line (on the
    main process) and one progress line. Time spent evaluating and logging is not counted as training."""

    def __init__(self, metrics: MetricsLog | None, print_line, *, first_step: int, max_steps: int,
                 tokens_per_step: int, flops_per_token: float, peak_flops: float | None, world_size: int):
        self.metrics, self.print_line = metrics, print_line
        self.first_step = self.logged_step = first_step
        self.max_steps, self.tokens_per_step = max_steps, tokens_per_step
        self.flops_per_token, self.peak_flops, self.world_size = flops_per_token, peak_flops, world_size
        self.t_start = self.t_log = time.perf_counter()

    def record(self, step: int, *, loss: float, lr: float, grad_norm: float, tokens_seen: int, evaluate=None) -> dict:
        """`evaluate`: a callable giving the validation metrics, on eval steps (run after the clock is read)."""
        now = time.perf_counter()
        tokens_per_s = (step - self.logged_step) * self.tokens_per_step / (now - self.t_log)
        mfu = self.flops_per_token * tokens_per_s / (self.peak_flops * self.world_size) if self.peak_flops else None
        record = {"step": step, "loss": loss, "lr": lr, "grad_norm": grad_norm, "tokens_seen": tokens_seen,
                  "tokens_per_s": tokens_per_s, "mfu": mfu, "peak_flops": self.peak_flops}
        if evaluate is not None:
            record.update(evaluate())
        if self.metrics:
            self.metrics.write(record)
        eta = (now - self.t_start) / (step - self.first_step) * (self.max_steps - step)
        self.print_line(format_progress(record, self.max_steps, eta))
        self.t_log, self.logged_step = time.perf_counter(), step
        return record


def read_metrics(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        # A run killed mid-write can leave a partial last line; it is dropped.
        return [json.loads(line) for line in f if line.endswith("\n") and line.strip()]


def plot_losses(out_dir: str) -> str:
    """loss.png: training loss per logged step, validation loss on eval steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_metrics(os.path.join(out_dir, METRICS_FILE))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["step"] for r in records], [r["loss"] for r in records], label="train loss", lw=1)
    evals = [r for r in records if "val_loss" in r]
    if evals:
        ax.plot([r["step"] for r in evals], [r["val_loss"] for r in evals], "o-", label="validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.grid(alpha=0.3)
    ax.legend()
    path = os.path.join(out_dir, PLOT_FILE)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def format_progress(r: dict, max_steps: int, eta_s: float | None) -> str:
    parts = [f"step {r['step']}/{max_steps}", f"loss {r['loss']:.4f}", f"lr {r['lr']:.2e}",
             f"{r['tokens_per_s']:,.0f} tok/s"]
    if r.get("mfu") is not None:
        parts.append(f"mfu {100 * r['mfu']:.1f}%")
    if "val_loss" in r:
        parts.append(f"val_loss {r['val_loss']:.4f} (ppl {r['val_ppl']:.1f})")
    if eta_s is not None:
        parts.append(f"eta {int(eta_s) // 60}m{int(eta_s) % 60:02d}s")
    return " | ".join(parts)
