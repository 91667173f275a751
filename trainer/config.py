"""The validated trainer config (TRAIN.yaml plus `--set` overrides), checked before any work starts.

Torch-free. Every mistake is a `ConfigError` (a `ValueError`) naming the key; the CLI turns it into
exit code 2. A relative `data` path is looked up against the working directory first, then against
the config file's folder; `out_dir` is relative to the working directory.
"""
from __future__ import annotations

import os
from typing import Literal, Optional

from pydantic import Field, ValidationError, model_validator

from pipeline.config_base import (
    MAX_SEQ_LEN, ConfigError, StrictModel, format_validation_error, read_yaml_config, resolve_input_path,
)
from pipeline.overrides import apply_overrides


class ModelConfig(StrictModel):
    n_layer: int = Field(ge=1)
    n_head: int = Field(ge=1)
    n_embd: int = Field(ge=2)
    n_kv_head: Optional[int] = Field(default=None, ge=1)  # grouped-query attention; None = n_head
    norm: Literal["rmsnorm", "layernorm"] = "rmsnorm"
    mlp_ratio: float = Field(default=4.0, gt=0)
    rope_theta: float = Field(default=10000.0, gt=0)
    dropout: float = Field(default=0.0, ge=0, lt=1)
    # The embedding is padded to a multiple of this (50280 -> 50304) for faster matmuls.
    vocab_multiple: int = Field(default=64, ge=1)

    @model_validator(mode="after")
    def _heads(self):
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if (self.n_embd // self.n_head) % 2:
            raise ValueError(f"head size n_embd/n_head ({self.n_embd // self.n_head}) must be even for RoPE")
        if self.n_kv_head is not None and self.n_head % self.n_kv_head:
            raise ValueError(f"n_head ({self.n_head}) must be a multiple of n_kv_head ({self.n_kv_head})")
        return self


class TrainConfig(StrictModel):
    data: str = Field(min_length=1)
    out_dir: str = Field(min_length=1)
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"  # auto: bf16 autocast on CUDA, fp32 on CPU
    compile: bool = False
    model: ModelConfig
    batch_size: int = Field(ge=1)  # sequences per micro-batch per process
    grad_accum: int = Field(default=1, ge=1)
    max_steps: int = Field(ge=1)
    lr: float = Field(default=6.0e-4, gt=0)
    min_lr: float = Field(default=6.0e-5, ge=0)
    warmup_steps: int = Field(default=0, ge=0)
    weight_decay: float = Field(default=0.1, ge=0)
    beta1: float = Field(default=0.9, ge=0, lt=1)
    beta2: float = Field(default=0.95, ge=0, lt=1)
    grad_clip: float = Field(default=1.0, ge=0)  # 0 disables clipping
    eval_every: int = Field(default=50, ge=0)  # 0: only at the end
    eval_rows: int = Field(default=256, ge=1)  # the fixed validation set: first rows of the split
    checkpoint_every: int = Field(default=50, ge=0)  # 0: only at the end
    keep_checkpoints: int = Field(default=2, ge=1)
    log_every: int = Field(default=1, ge=1)
    num_workers: int = Field(default=1, ge=0)  # DataLoader worker processes per training process
    shuffle: bool = True
    verify_checksums: bool = True  # xxh64 of every local shard at start, split between ranks
    cache_dir: Optional[str] = None  # for remote datasets; default ~/.cache/tokenmill/shards
    cache_max_gb: float = Field(default=50.0, gt=0)
    seq_len: Optional[int] = Field(default=None, ge=1, le=MAX_SEQ_LEN)  # when set, the dataset's seq_len must equal it
    tokenizer: Optional[str] = None  # a tokenizer.json whose sha256 the dataset's manifest must carry
    peak_tflops: Optional[float] = Field(default=None, gt=0)  # for MFU; default: GPU table or CPU matmul probe
    plot: bool = True  # loss.png at the end

    @model_validator(mode="after")
    def _cross_checks(self):
        if self.min_lr > self.lr:
            raise ValueError(f"min_lr ({self.min_lr}) exceeds lr ({self.lr})")
        if self.warmup_steps > self.max_steps:
            raise ValueError(f"warmup_steps ({self.warmup_steps}) exceeds max_steps ({self.max_steps})")
        return self


def build_train_config(raw, overrides: list[str] = (), config_dir: str = ".") -> TrainConfig:
    if not isinstance(raw, dict):
        raise ConfigError("trainer config must be a YAML mapping of keys to values")
    raw = apply_overrides(raw, list(overrides))
    try:
        cfg = TrainConfig.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, "trainer config")) from None
    cfg.data = resolve_input_path(cfg.data, config_dir)
    if "://" not in cfg.data and not os.path.isdir(cfg.data):
        raise ConfigError(f"data: no dataset folder at {cfg.data}")
    if cfg.tokenizer is not None:
        cfg.tokenizer = resolve_input_path(cfg.tokenizer, config_dir)
        if not os.path.isfile(cfg.tokenizer):
            raise ConfigError(f"tokenizer: no such file: {cfg.tokenizer}")
    return cfg


def load_train_config(path: str, overrides: list[str] = ()) -> TrainConfig:
    raw, config_dir = read_yaml_config(path)
    return build_train_config(raw, overrides, config_dir)
