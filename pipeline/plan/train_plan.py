"""`tokenmill plan train`: what a training run will cost, from its config, its dataset's manifest and an
accelerator (pure arithmetic; the CLI gathers the inputs).

Tokens per step are the trainer's: batch_size x grad_accum x GPUs sequences of seq_len predicted tokens.
FLOPs per token are the trainer's MFU formula (trainer.sizing), so `mfu` here and in metrics.jsonl are the
same quantity: GPU seconds = FLOPs / (peak x MFU). Memory is pipeline.plan.memory's, for the way the trainer
runs (one process, or DDP across GPUs) and for the alternatives (FSDP, activation checkpointing).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from pipeline.plan.chinchilla import compute_optimal, optimal_tokens, repeat_warning
from pipeline.plan.memory import STRATEGIES, checkpoint_bytes, training_memory, usable_bytes
from trainer.config import TrainConfig
from trainer.hardware import Accelerator
from trainer.sizing import ModelShape, count_parameters, flops_per_token, padded_vocab

DEFAULT_MFU = 0.4  # typical of a well-tuned dense GPT on H100/A100s: 30-50%


@dataclass(frozen=True)
class DatasetFacts:
    """What the plan needs from a built dataset's manifest.json."""

    seq_len: int
    vocab_size: int
    train_rows: int
    validation_rows: int = 0
    source_repeats: dict[str, float] = field(default_factory=dict)  # output tokens per kept token, per source


@dataclass(frozen=True)
class Hardware:
    accelerator: Accelerator
    gpus: int
    peak_flops: float  # per device, resolved (the table, or a measured CPU figure)
    memory_bytes: int  # per device, resolved (the table, or the host's RAM)
    mfu: float
    mfu_source: str  # "default", "--mfu", or the metrics.jsonl it was measured in

    @property
    def cuda(self) -> bool:
        return self.accelerator.key != "cpu"


def model_shape(cfg: TrainConfig, data: DatasetFacts) -> ModelShape:
    """The model trainer.train.build_model makes for this config and dataset."""
    m = cfg.model
    return ModelShape(vocab_size=padded_vocab(data.vocab_size, m.vocab_multiple), seq_len=data.seq_len,
                      n_layer=m.n_layer, n_head=m.n_head, n_embd=m.n_embd, n_kv_head=m.n_kv_head,
                      mlp_ratio=m.mlp_ratio, norm=m.norm)


def mfu_from_metrics(records: list[dict]) -> float | None:
    """The median `mfu` of a run's metrics.jsonl, leaving out the first logged step (warm-up, allocation)."""
    values = [r["mfu"] for r in records if isinstance(r.get("mfu"), (int, float))]
    values = values[1:] if len(values) > 1 else values
    return statistics.median(values) if values else None


def uses_bf16(cfg: TrainConfig, cuda: bool) -> bool:
    """trainer.train.autocast_dtype: bf16 autocast on CUDA unless dtype says float32; fp32 on CPU unless bfloat16."""
    return cfg.dtype == "bfloat16" or (cfg.dtype == "auto" and cuda)


def plan_training(cfg: TrainConfig, data: DatasetFacts, hw: Hardware) -> dict:
    shape = model_shape(cfg, data)
    params = count_parameters(shape)
    fpt = flops_per_token(params.total, shape.n_layer, shape.n_embd, shape.seq_len)
    sequences_per_step = cfg.batch_size * cfg.grad_accum * hw.gpus
    tokens_per_step = sequences_per_step * data.seq_len
    tokens = cfg.max_steps * tokens_per_step
    dataset_tokens = data.train_rows * data.seq_len
    epochs = cfg.max_steps * sequences_per_step / data.train_rows
    total_flops = fpt * tokens
    achieved = hw.peak_flops * hw.mfu  # FLOP/s per device
    seconds_per_step = tokens_per_step * fpt / (achieved * hw.gpus)
    evals = (cfg.max_steps // cfg.eval_every + bool(cfg.max_steps % cfg.eval_every)) if cfg.eval_every else 1  # + the last
    eval_flops = fpt / 3 * min(cfg.eval_rows, data.validation_rows) * data.seq_len * evals  # forward: a third

    bf16 = uses_bf16(cfg, hw.cuda)
    fused_norm = cfg.model.norm == "layernorm" or hw.cuda
    strategy = "ddp" if hw.gpus > 1 else "single"
    memory = {}
    for name in (STRATEGIES[1:] if hw.gpus > 1 else STRATEGIES[:1]):
        for ckpt in (False, True):
            m = training_memory(params, shape, cfg.batch_size, bf16=bf16, fused_norm=fused_norm, strategy=name,
                                world_size=hw.gpus, checkpointing=ckpt)
            memory[name + ("+checkpointing" if ckpt else "")] = m.as_dict()
    usable = usable_bytes(hw.memory_bytes, hw.cuda)
    chosen = memory[strategy]
    per_sequence = training_memory(params, shape, 1, bf16=bf16, fused_norm=fused_norm, strategy=strategy,
                                   world_size=hw.gpus).activations
    max_batch = max(0, (usable - (chosen["total"] - chosen["activations"])) // per_sequence)
    compute_params, compute_tokens = compute_optimal(total_flops)
    chinchilla = optimal_tokens(params.total)

    warnings = [w for w in [repeat_warning(epochs, "the dataset")] if w]
    for name, repeats in sorted(data.source_repeats.items()):
        w = repeat_warning(repeats * epochs, f"source {name!r} (mix repeats {repeats:g} x {epochs:.2f} epochs)")
        if w and repeats * epochs > epochs:
            warnings.append(w)
    if chosen["total"] > usable:
        warnings.append(f"does not fit: {chosen['total'] / 1e9:.1f} GB of tensors per device, {usable / 1e9:.1f} GB usable; "
                        f"largest batch_size that fits: {max_batch}"
                        + ("" if max_batch else " (none: shard the states with FSDP)"))
    if hw.mfu > 0.7:
        warnings.append(f"MFU {hw.mfu:.0%} is above what dense training reaches in practice (30-60%)")
    return {
        "model": {"n_layer": shape.n_layer, "n_head": shape.n_head, "n_kv_head": shape.kv_heads, "n_embd": shape.n_embd,
                  "vocab_size": shape.vocab_size, "seq_len": shape.seq_len, "norm": shape.norm},
        "parameters": params.total,
        "parameters_non_embedding": params.non_embedding,
        "parameters_embedding": params.embedding,
        "flops_per_token": fpt,
        "steps": cfg.max_steps,
        "sequences_per_step": sequences_per_step,
        "tokens_per_step": tokens_per_step,
        "tokens": tokens,
        "dataset_tokens": dataset_tokens,
        "dataset_rows": data.train_rows,
        "epochs": epochs,
        "source_epochs": {n: r * epochs for n, r in sorted(data.source_repeats.items())},
        "chinchilla_tokens": chinchilla,
        "chinchilla_ratio": tokens / chinchilla,
        "tokens_per_parameter": tokens / params.total,
        "compute_optimal": {"parameters": compute_params, "tokens": compute_tokens},
        "total_flops": total_flops,
        "eval_flops": eval_flops,
        "gpu": hw.accelerator.key,
        "gpus": hw.gpus,
        "peak_flops": hw.peak_flops,
        "mfu": hw.mfu,
        "mfu_source": hw.mfu_source,
        "precision": "bf16 autocast" if bf16 else "fp32",
        "seconds_per_step": seconds_per_step,
        "tokens_per_s": tokens_per_step / seconds_per_step,
        "gpu_hours": total_flops / achieved / 3600,
        "wall_hours": total_flops / achieved / 3600 / hw.gpus,
        "strategy": strategy,
        "memory": memory,
        "memory_per_gpu_bytes": chosen["total"],
        "device_memory_bytes": hw.memory_bytes,
        "usable_memory_bytes": usable,
        "fits": chosen["total"] <= usable,
        "max_batch_size": max_batch,
        "checkpoint_bytes": checkpoint_bytes(params),
        "warnings": warnings,
    }
