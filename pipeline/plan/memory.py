"""Training memory per device for `trainer.model.GPT` under `trainer.train` (pure arithmetic).

States, bytes per parameter: fp32 weights (4), fp32 gradients (4), AdamW's two fp32 moments (8); under bf16
autocast (the trainer's default on CUDA) the bf16 copies autocast makes of every matrix for the step (2);
under DDP the flat all-reduce buckets, a second copy of the gradients (4; the trainer leaves
`gradient_as_bucket_view` off). FSDP (deploy/TRAINING.md) shards weights, gradients and moments over the
ranks and gathers one block at a time in bf16.

Activations are what autograd saves for the backward pass, counted tensor by tensor for this model
(`activation_bytes_per_token`): per layer and token, in fp32 on CPU,
    72 C + 12 K + 4 H + 8 bytes
(C = n_embd, K = n_kv_head x head_dim, H = n_head; RMSNorm): the residual into both norms and their
normalised and scaled outputs (CPU's RMSNorm is composite), the fused q/k/v output (the values are a view of it), the rotated
queries and keys, attention's output, logsumexp and the contiguous copy c_proj reads, the MLP's GELU input
and output. Under bf16 autocast with fused norms (CUDA) the matmul outputs take 2 bytes and each norm saves
only its input: 36 C + 6 K + 4 H + 8. Attention is flash/memory-efficient SDPA (no T x T matrix kept). The
fp32 figure is checked exactly against the saved tensors of the real model (tests/plan).

The output layer dominates small models: the loss keeps log_softmax's fp32 output (4 V bytes per token),
and the backward pass of cross-entropy briefly holds three more logits-sized tensors (the logits the
training step still references, the gradient into log_softmax and the one out of it): 16 V per token in
fp32, 14 V with bf16 logits. Activation checkpointing per block keeps only each block's input (the fp32
residual, 4 C) and recomputes one block at a time.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from trainer.sizing import ModelShape, ParameterCount

STRATEGIES = ("single", "ddp", "fsdp")
GIB = 1024**3
# What a CUDA process holds beyond its tensors (context, cuBLAS workspaces, NCCL buffers), and the caching
# allocator's fragmentation: a tensor total must fit in memory / (1 + ALLOCATOR_SLACK) - RUNTIME_BYTES.
CUDA_RUNTIME_BYTES = 1 * GIB
CPU_RUNTIME_BYTES = GIB // 2  # the interpreter, torch and pyarrow themselves
ALLOCATOR_SLACK = 0.10


def _norm_bytes(shape: ModelShape, bf16: bool, fused_norm: bool) -> int:
    """Per norm and token, beyond its input: its statistics, the outputs a composite norm saves (the
    normalised x and its product with the weight, fp32), and the copy the next matmul saves of its output
    (bf16 under autocast; the fp32 output itself after a fused norm)."""
    c = shape.n_embd
    stats = 8 if shape.norm == "layernorm" else 4  # mean and rstd, or rstd
    outputs = 0 if fused_norm else 2 * c * 4
    linear_input = 2 * c if bf16 else (4 * c if fused_norm else 0)
    return stats + outputs + linear_input


def layer_activation_bytes_per_token(shape: ModelShape, bf16: bool, fused_norm: bool) -> int:
    """Bytes autograd saves per token in one block (see the module docstring)."""
    c, k, h = shape.n_embd, shape.kv_dim, shape.n_head
    e = 2 if bf16 else 4  # matmul outputs
    residuals = 2 * c * 4  # the fp32 residual stream into each norm
    attention = (c + 2 * k) * e + (c + k) * e + c * e + c * e + 4 * h  # q/k/v, rotated q and k, SDPA out, its copy, lse
    mlp = 2 * shape.mlp_hidden * e  # GELU's input and output
    return residuals + 2 * _norm_bytes(shape, bf16, fused_norm) + attention + mlp


def head_activation_bytes_per_token(shape: ModelShape, bf16: bool, fused_norm: bool) -> tuple[int, int]:
    """(saved until the backward pass, extra at the peak of cross-entropy's backward), per token."""
    c, v = shape.n_embd, shape.vocab_size
    # the final norm, log_softmax's output, the int64 ids and targets
    saved = 4 * c + _norm_bytes(shape, bf16, fused_norm) + 4 * v + 16
    transient = (2 if bf16 else 4) * v + 8 * v  # the logits still referenced + two fp32 gradients
    return saved, transient


def activation_bytes(shape: ModelShape, tokens: int, *, bf16: bool, fused_norm: bool, checkpointing: bool = False) -> int:
    """Peak activation memory for a micro-batch of `tokens` (batch_size x seq_len): every block's saved
    tensors plus the output layer's at the peak of its backward pass."""
    layer = layer_activation_bytes_per_token(shape, bf16, fused_norm)
    saved, transient = head_activation_bytes_per_token(shape, bf16, fused_norm)
    blocks = shape.n_layer * 4 * shape.n_embd + layer if checkpointing else shape.n_layer * layer
    return tokens * (blocks + saved + transient)


@dataclass(frozen=True)
class MemoryBreakdown:
    strategy: str
    weights: int
    weight_copies: int  # bf16 copies under autocast; FSDP's gathered bf16 blocks
    gradients: int
    gradient_buckets: int  # DDP
    optimizer: int
    activations: int
    activation_checkpointing: bool

    @property
    def total(self) -> int:
        return (self.weights + self.weight_copies + self.gradients + self.gradient_buckets + self.optimizer
                + self.activations)

    def as_dict(self) -> dict:
        return {**asdict(self), "total": self.total}


def training_memory(params: ParameterCount, shape: ModelShape, micro_batch: int, *, bf16: bool, fused_norm: bool,
                    strategy: str = "single", world_size: int = 1, checkpointing: bool = False) -> MemoryBreakdown:
    """Bytes per device for one process training with micro-batches of `micro_batch` sequences."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    n = params.total
    matrices = n - params.n_layer * 2 * shape.n_embd - params.final_norm  # what autocast copies to bf16
    shards = world_size if strategy == "fsdp" else 1
    copies = 2 * matrices if bf16 else 0
    if strategy == "fsdp":
        # The root unit (tied embedding, final norm) stays gathered in bf16 for the step; two blocks are
        # gathered at a time (one prefetched), and one block's gradients exist unsharded in bf16 and fp32.
        copies = 2 * (params.embedding + params.final_norm) + (2 * 2 + 2 + 4) * params.per_block
    return MemoryBreakdown(
        strategy=strategy,
        weights=-(-4 * n // shards),
        weight_copies=copies,
        gradients=-(-4 * n // shards),
        gradient_buckets=4 * n if strategy == "ddp" else 0,
        optimizer=-(-8 * n // shards),
        activations=activation_bytes(shape, micro_batch * shape.seq_len, bf16=bf16, fused_norm=fused_norm,
                                     checkpointing=checkpointing),
        activation_checkpointing=checkpointing,
    )


def checkpoint_bytes(params: ParameterCount) -> int:
    """A checkpoint file: fp32 weights and AdamW's two moments (the tied embedding stored once); the
    step, RNG states and config add a few KB."""
    return 12 * params.total


def usable_bytes(memory_bytes: int, cuda: bool) -> int:
    """What a device's memory leaves for tensors, after the runtime and the allocator's slack."""
    runtime = CUDA_RUNTIME_BYTES if cuda else CPU_RUNTIME_BYTES
    return max(0, int(memory_bytes / (1 + ALLOCATOR_SLACK)) - runtime)
