"""The GPT's size in numbers, torch-free: parameters, per-token training FLOPs and the padded vocabulary.
`trainer.model.GPT` uses these functions for its own MFU, and `tokenmill plan train` for its estimates,
so the two cannot drift apart. Tests check the count against `sum(p.numel())` of the real model.
"""
from __future__ import annotations

from dataclasses import dataclass


def padded_vocab(vocab_size: int, multiple: int) -> int:
    return -(-vocab_size // multiple) * multiple


@dataclass(frozen=True)
class ModelShape:
    """What the parameter count and FLOPs depend on (`trainer.model.GPTConfig` extends it)."""

    vocab_size: int  # padded
    seq_len: int
    n_layer: int
    n_head: int
    n_embd: int
    n_kv_head: int | None = None
    mlp_ratio: float = 4.0
    norm: str = "rmsnorm"  # or "layernorm" (no bias): the same parameters, different saved activations

    @property
    def kv_heads(self) -> int:
        return self.n_kv_head or self.n_head

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def kv_dim(self) -> int:
        """Width of the keys (and of the values): n_kv_head x head_dim; n_embd without GQA."""
        return self.kv_heads * self.head_dim

    @property
    def mlp_hidden(self) -> int:
        return int(self.mlp_ratio * self.n_embd)


@dataclass(frozen=True)
class ParameterCount:
    embedding: int  # the tied input embedding / output projection, counted once
    per_block: int
    n_layer: int
    final_norm: int

    @property
    def total(self) -> int:
        return self.embedding + self.n_layer * self.per_block + self.final_norm

    @property
    def non_embedding(self) -> int:
        return self.total - self.embedding


def count_parameters(shape: ModelShape) -> ParameterCount:
    """No biases; one weight vector per norm (RMSNorm, or LayerNorm without bias)."""
    c = shape.n_embd
    attention = c * (c + 2 * shape.kv_dim) + c * c  # c_attn (q, k, v) + c_proj
    mlp = 2 * c * shape.mlp_hidden  # c_fc + c_proj
    return ParameterCount(embedding=shape.vocab_size * c, per_block=attention + mlp + 2 * c, n_layer=shape.n_layer,
                          final_norm=c)


def flops_per_token(num_params: int, n_layer: int, n_embd: int, seq_len: int) -> float:
    """Training FLOPs per token, forward + backward: 6 per parameter (the tied embedding counts once, for
    the output projection) plus attention's 12 * n_layer * n_embd * seq_len, counting the full T x T
    score matrix as the PaLM paper (appendix B) and nanoGPT do."""
    return 6.0 * num_params + 12.0 * n_layer * n_embd * seq_len


def shape_flops_per_token(shape: ModelShape) -> float:
    return flops_per_token(count_parameters(shape).total, shape.n_layer, shape.n_embd, shape.seq_len)
