"""The accelerators the trainer measures MFU against and `tokenmill plan train` sizes runs for: dense bf16
tensor-core peak FLOP/s (vendors' datasheets, without sparsity) and memory per device. Torch-free: the
one table both the trainer's MFU (`trainer.metrics.gpu_peak_flops`) and the planner read.

CPUs publish no single peak: their entry has `peak_flops=None`, and the caller measures one
(`trainer.metrics.cpu_peak_flops`, an fp32 matmul probe), as the trainer does for CPU MFU.
"""
from __future__ import annotations

from dataclasses import dataclass

GB = 10**9


@dataclass(frozen=True)
class Accelerator:
    key: str  # the name `plan train --gpu` takes
    match: str  # a substring of torch.cuda.get_device_name()
    peak_flops: float | None  # dense bf16 FLOP/s; None: measured at run time (CPU)
    memory_bytes: int | None  # per device; None: the host's RAM (CPU)


# Matched against device names in this order, so longer names come first (A100 before A10, L40S before L40).
ACCELERATORS = (
    Accelerator("h200", "H200", 989e12, 141 * GB),
    Accelerator("h100", "H100", 989e12, 80 * GB),
    Accelerator("a100", "A100", 312e12, 80 * GB),
    Accelerator("a100-40gb", "A100-SXM4-40GB", 312e12, 40 * GB),
    Accelerator("l40s", "L40S", 362e12, 48 * GB),
    Accelerator("l40", "L40", 181e12, 48 * GB),
    Accelerator("l4", "L4", 121e12, 24 * GB),
    Accelerator("a10g", "A10G", 125e12, 24 * GB),
    Accelerator("a10", "A10", 125e12, 24 * GB),
    Accelerator("rtx4090", "RTX 4090", 165e12, 24 * GB),
    Accelerator("rtx3090", "RTX 3090", 71e12, 24 * GB),
    Accelerator("v100", "V100", 125e12, 32 * GB),  # fp16 tensor cores: V100 has no bf16
    Accelerator("cpu", "", None, None),
)
BY_KEY = {a.key: a for a in ACCELERATORS}


def accelerator(key: str) -> Accelerator:
    try:
        return BY_KEY[key.lower()]
    except KeyError:
        raise ValueError(f"unknown accelerator {key!r}; one of: {', '.join(BY_KEY)}") from None


def match_device(device_name: str) -> Accelerator | None:
    """The table's entry for a CUDA device name ("NVIDIA H100 80GB HBM3"), or None. The 40 GB A100 is told
    apart by its name; every other A100 is the 80 GB part."""
    for a in ACCELERATORS:
        if a.match and a.match in device_name and a.key != "a100-40gb":
            return BY_KEY["a100-40gb"] if a.key == "a100" and "40GB" in device_name else a
    return None
