"""Training-step throughput and model FLOPs utilisation (MFU) on this machine's CPU.

    python -m bench.bench_train_step [--steps 6]

For each config, one full optimizer step (forward, backward, clip, AdamW) of trainer.model.GPT on
real rows (GPT-NeoX tokens of the bundled Shakespeare), timed after one warm-up step. MFU is model
FLOPs (6N + 12 L C T per token, see GPT.flops_per_token) per second over the fp32 matmul throughput
measured in the same process moments before (trainer.metrics.cpu_peak_flops): CPUs publish no single
peak, and that probe is what a perfectly matmul-bound step could reach here.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.trainer.dataset_fixture import build_dataset  # noqa: E402
from pipeline.dataset.manifest import read_manifest  # noqa: E402
from trainer.metrics import cpu_peak_flops  # noqa: E402
from trainer.model import GPT, GPTConfig  # noqa: E402
from trainer.sizing import padded_vocab  # noqa: E402
from trainer.split import SplitReader  # noqa: E402

CONFIGS = {  # name: (n_layer, n_head, n_embd, seq_len, batch)
    "tiny preset (examples/train_tiny_cpu.yaml)": (2, 2, 64, 1024, 2),
    "small: 4 layers x 256": (4, 4, 256, 256, 8),
    "small: 6 layers x 384": (6, 6, 384, 256, 4),
}


def measure(n_layer, n_head, n_embd, seq_len, batch, steps, data_dir) -> dict:
    build_dataset(data_dir, seq_len=seq_len, train_shards=1, validation_shards=0, train_rows=batch * steps)
    m = read_manifest(data_dir)
    rows = SplitReader(m, "train").reader(0).take(np.arange(m.shards("train")[0].rows))
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=padded_vocab(m.vocab_size, 64), seq_len=seq_len, n_layer=n_layer,
                          n_head=n_head, n_embd=n_embd))
    opt = torch.optim.AdamW(model.optimizer_groups(0.1), lr=1e-3, betas=(0.9, 0.95))
    times = []
    for step in range(steps + 1):
        x = torch.from_numpy(rows[(step * batch) % len(rows):][:batch].astype(np.int64))
        t0 = time.perf_counter()
        _, loss = model(x[:, :-1], x[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if step:  # step 0 warms up allocators and kernels
            times.append(time.perf_counter() - t0)
    tokens_per_s = batch * seq_len / float(np.median(times))
    return {"params": model.num_params(), "tokens_per_s": tokens_per_s,
            "flops": model.flops_per_token() * tokens_per_s}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6)
    args = ap.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores, fp32")
    print("\n| config | params | tokens/step | tokens/s (median) | model GFLOP/s | matmul probe GFLOP/s | MFU |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as work:
        for i, (name, (n_layer, n_head, n_embd, seq_len, batch)) in enumerate(CONFIGS.items()):
            peak = cpu_peak_flops()
            r = measure(n_layer, n_head, n_embd, seq_len, batch, args.steps, os.path.join(work, str(i)))
            print(f"| {name} | {r['params'] / 1e6:.1f}M | {batch * seq_len:,} | {r['tokens_per_s']:,.0f} | "
                  f"{r['flops'] / 1e9:.1f} | {peak / 1e9:.1f} | {r['flops'] / peak:.0%} |", flush=True)
    print("\nGPU MFU is not measured here: no GPU was available to this run.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
