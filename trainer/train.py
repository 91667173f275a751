"""The pretraining loop: AdamW (decay on matrices only), warmup + cosine LR, gradient clipping and
accumulation, bf16 autocast on CUDA, optional torch.compile, DDP under torchrun, periodic validation,
atomic checkpoints and metrics.jsonl. A run started again with the same out_dir resumes from its
latest checkpoint and sees exactly the batches it would have seen uninterrupted.
"""
from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time

import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from pipeline.config_base import ConfigError
from pipeline.dataset.files import file_sha256
from pipeline.dataset.manifest import DatasetError, Manifest, check_compatible, read_manifest
from pipeline.dataset.paths import is_remote
from trainer import checkpoint as ckpt
from trainer.cache import ShardCache, default_cache_dir
from trainer.config import TrainConfig
from trainer.data import TrainBatches, eval_batches, train_loader, verify_dataset
from trainer.distributed import DistInfo, all_reduce_max, all_reduce_sum, barrier, gather_objects, init_distributed, shutdown
from trainer.metrics import MetricsLog, ProgressLog, cpu_peak_flops, gpu_peak_flops, plot_losses
from trainer.model import GPT, GPTConfig
from trainer.order import Partition, data_state
from trainer.schedule import Cadence, learning_rate
from trainer.sizing import padded_vocab


def resolve_device(name: str, local_rank: int) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda requested but torch sees no CUDA device")
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def autocast_dtype(name: str, device: torch.device) -> torch.dtype | None:
    """None means plain fp32. bf16 needs no loss scaling, unlike fp16."""
    if name == "bfloat16" or (name == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return None


def open_dataset(cfg: TrainConfig) -> Manifest:
    """The manifest, checked against what the config expects; problems name the `data` key."""
    try:
        manifest = read_manifest(cfg.data)
        sha = file_sha256(cfg.tokenizer) if cfg.tokenizer else None
        check_compatible(manifest, seq_len=cfg.seq_len, tokenizer_sha256=sha)
    except DatasetError as e:
        raise ConfigError(f"data: {e}") from None
    return manifest


def build_model(cfg: TrainConfig, manifest: Manifest) -> GPT:
    m = cfg.model
    return GPT(GPTConfig(vocab_size=padded_vocab(manifest.vocab_size, m.vocab_multiple), seq_len=manifest.seq_len,
                         n_layer=m.n_layer, n_head=m.n_head, n_embd=m.n_embd, n_kv_head=m.n_kv_head, norm=m.norm,
                         mlp_ratio=m.mlp_ratio, rope_theta=m.rope_theta, dropout=m.dropout))


def check_resumable(state: dict, cfg: TrainConfig, manifest: Manifest, path: str) -> None:
    if state["data"]["fingerprint"] != manifest.fingerprint:
        raise ConfigError(f"data: {cfg.data} is not the dataset {path} was trained on (its shards differ)")
    if state["config"]["model"] != cfg.model.model_dump():
        raise ConfigError(f"model: differs from the model in {path}; use a new out_dir for a new model")


class StopFlag:
    """Set by SIGTERM/SIGINT (a scheduler's preemption, Ctrl-C); the loop checkpoints and exits at the
    next step boundary, all ranks together."""

    def __init__(self):
        self.set = False
        self._old = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        self.set = True

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def train(cfg: TrainConfig, *, stop_after: int | None = None) -> dict:
    """Trains until cfg.max_steps and returns the last logged metrics. `stop_after` (tests, preemption
    drills) returns right after that step without checkpointing, as a killed process would."""
    device = resolve_device(cfg.device, int(os.environ.get("LOCAL_RANK", "0")))
    dist = init_distributed(device.type)
    try:
        return Trainer(cfg, dist, device).run(stop_after)
    finally:
        shutdown(dist)


class Trainer:
    """One training process: builds or resumes the state in __init__, then `run()` loops."""

    def __init__(self, cfg: TrainConfig, dist: DistInfo, device: torch.device):
        self.cfg, self.dist, self.device = cfg, dist, device
        self.log = print if dist.is_main else (lambda *a, **k: None)
        self.manifest = open_dataset(cfg)
        self.cache = (ShardCache(cfg.cache_dir or default_cache_dir(), int(cfg.cache_max_gb * 1e9))
                      if is_remote(cfg.data) else None)
        if cfg.verify_checksums:
            verify_dataset(self.manifest, rank=dist.rank, world_size=dist.world_size, cache=self.cache)
            barrier(dist)
        self.partition = Partition(cfg.batch_size, cfg.grad_accum, dist.rank, dist.world_size)
        self.amp_dtype = autocast_dtype(cfg.dtype, device)

        ckpt.seed_everything(cfg.seed)  # identical initial weights on every rank
        self.model = build_model(cfg, self.manifest).to(device)
        self.optimizer = torch.optim.AdamW(self.model.optimizer_groups(cfg.weight_decay), lr=cfg.lr,
                                           betas=(cfg.beta1, cfg.beta2), fused=device.type == "cuda")
        self.step, self.samples_seen = 0, 0
        self._resume()
        if dist.is_main:
            ckpt.remove_partial_saves(cfg.out_dir)

    def _resume(self) -> None:
        self.rng = None  # applied right before the first step: set-up code may draw random numbers
        found = ckpt.load_latest_intact(self.cfg.out_dir, warn=lambda m: self.log(f"warning: {m}", file=sys.stderr))
        if found is None:
            return
        path, state = found
        check_resumable(state, self.cfg, self.manifest, path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.samples_seen = state["step"], state["data"]["samples_seen"]
        if len(state["rng"]) == self.dist.world_size:
            self.rng = state["rng"][self.dist.rank]
        self.log(f"resuming from {path} at step {self.step} ({self.samples_seen:,} samples consumed)")

    def autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype) if self.amp_dtype else contextlib.nullcontext()

    def save(self) -> None:
        rngs = gather_objects(ckpt.rng_state(), self.dist)  # a collective: every rank calls save()
        if self.dist.is_main:
            ckpt.save_checkpoint(self.cfg.out_dir, self.step, {
                "version": 1, "step": self.step, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "rng": rngs, "config": self.cfg.model_dump(),
                "data": {**data_state(self.samples_seen, self.manifest.rows("train")),
                         "fingerprint": self.manifest.fingerprint},
            }, keep=self.cfg.keep_checkpoints)
        barrier(self.dist)

    @torch.no_grad()
    def evaluate(self) -> dict:
        """Mean token loss over the fixed validation set, summed across ranks (independent of world size)."""
        self.model.eval()
        totals = torch.zeros(2, dtype=torch.float64, device=self.device)  # summed token losses, tokens
        for rows in eval_batches(self.manifest, eval_rows=self.cfg.eval_rows, batch_size=self.cfg.batch_size,
                                 rank=self.dist.rank, world_size=self.dist.world_size, cache=self.cache):
            rows = rows.to(self.device).long()
            with self.autocast():
                _, loss_sum = self.model(rows[:, :-1], rows[:, 1:], reduction="sum")
            totals[0] += loss_sum.double()
            totals[1] += rows[:, 1:].numel()
        self.model.train()
        all_reduce_sum(totals, self.dist)
        if totals[1] == 0:
            return {}
        val_loss = (totals[0] / totals[1]).item()
        return {"val_loss": val_loss, "val_ppl": math.exp(min(val_loss, 50.0))}

    def train_step(self, runner, batches) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step over grad_accum micro-batches; returns (mean loss, grad norm) as tensors."""
        cfg = self.cfg
        loss_sum = torch.zeros((), device=self.device)
        for micro in range(cfg.grad_accum):
            rows = next(batches).to(self.device, non_blocking=True).long()
            # Under DDP, gradients are all-reduced only on the step's last micro-batch.
            sync = not self.dist.enabled or micro == cfg.grad_accum - 1
            with (contextlib.nullcontext() if sync else runner.no_sync()), self.autocast():
                _, loss = runner(rows[:, :-1], rows[:, 1:])
            (loss / cfg.grad_accum).backward()
            loss_sum += loss.detach()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip or math.inf)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss_sum / cfg.grad_accum, grad_norm

    def _prepare(self):
        """The wrapped model (compile, DDP) and this process's batch iterator, from the current step."""
        cfg = self.cfg
        compiled = torch.compile(self.model) if cfg.compile else self.model
        runner = compiled
        if self.dist.enabled:
            runner = DDP(compiled, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        dataset = TrainBatches(self.manifest, self.partition, seed=cfg.seed, start=self.samples_seen,
                               shuffle=cfg.shuffle, cache=self.cache, limit=(cfg.max_steps - self.step) * cfg.grad_accum)
        batches = iter(train_loader(dataset, num_workers=cfg.num_workers, pin_memory=self.device.type == "cuda"))
        return runner, batches

    def _peak_flops(self) -> float | None:
        if self.cfg.peak_tflops:
            return self.cfg.peak_tflops * 1e12
        if self.device.type == "cuda":
            return gpu_peak_flops(torch.cuda.get_device_name(self.device))
        return cpu_peak_flops()

    def run(self, stop_after: int | None = None) -> dict:
        cfg = self.cfg
        if self.step >= cfg.max_steps:
            self.log(f"{cfg.out_dir} already holds a finished run of {cfg.max_steps} steps; nothing to do")
            return {"step": self.step}
        metrics = MetricsLog(cfg.out_dir, resume_step=self.step) if self.dist.is_main else None
        started = time.perf_counter()
        try:
            last = self._loop(metrics, stop_after)
        finally:
            if metrics:
                metrics.close()
        if last.get("interrupted") or (stop_after is not None and self.step < cfg.max_steps):
            return last
        if metrics and cfg.plot:
            plot_losses(cfg.out_dir)
        self.log(f"done: {cfg.max_steps} steps in {time.perf_counter() - started:.1f}s; outputs in {cfg.out_dir}")
        return last

    def _loop(self, metrics: MetricsLog | None, stop_after: int | None) -> dict:
        """Steps until max_steps, `stop_after` (returns without a checkpoint, as a killed process would) or
        a stop signal (checkpoints first); returns the last logged metrics."""
        cfg, dist = self.cfg, self.dist
        runner, batches = self._prepare()
        progress = self._progress_log(metrics)
        self._restore_random_state()
        cadence = Cadence(cfg.max_steps, cfg.log_every, cfg.eval_every, cfg.checkpoint_every)
        last = {}
        with StopFlag() as stop:
            while self.step < cfg.max_steps:
                lr = learning_rate(self.step, lr=cfg.lr, min_lr=cfg.min_lr, warmup_steps=cfg.warmup_steps,
                                   max_steps=cfg.max_steps)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                loss, grad_norm = self.train_step(runner, batches)
                self.step += 1
                self.samples_seen += self.partition.global_batch
                if cadence.logs(self.step):
                    last = progress.record(
                        self.step, loss=all_reduce_sum(loss, dist).item() / dist.world_size, lr=lr,
                        grad_norm=grad_norm.item(), tokens_seen=self.samples_seen * self.manifest.seq_len,
                        evaluate=self.evaluate if cadence.evaluates(self.step) else None)
                if cadence.is_last(self.step):
                    self.save()
                elif stop_after is not None and self.step >= stop_after:
                    return last
                elif self._should_stop(stop):
                    self.save()
                    self.log(f"interrupted: checkpoint saved at step {self.step}; run the same command to resume")
                    return {**last, "interrupted": True}
                elif cadence.checkpoints(self.step):
                    self.save()
        return last

    def _progress_log(self, metrics: MetricsLog | None) -> ProgressLog:
        cfg, dist = self.cfg, self.dist
        tokens_per_step = self.partition.global_batch * self.manifest.seq_len
        peak = self._peak_flops()
        self.log(f"model: {self.model.num_params() / 1e6:.1f}M parameters | {dist.world_size} process(es) x "
                 f"{cfg.batch_size} rows x {cfg.grad_accum} accum = {self.partition.global_batch} rows "
                 f"({tokens_per_step:,} tokens) per step | {self.device}, {self.amp_dtype or torch.float32}")
        progress = ProgressLog(metrics, lambda line: self.log(line, flush=True), first_step=self.step,
                               max_steps=cfg.max_steps, tokens_per_step=tokens_per_step,
                               flops_per_token=self.model.flops_per_token(), peak_flops=peak,
                               world_size=dist.world_size)
        return progress

    def _restore_random_state(self) -> None:
        """Set last: building the loader and the FLOP probe draw random numbers."""
        if self.rng is not None:
            ckpt.set_rng_state(self.rng)
        else:  # a fresh run, or a different number of processes: dropout masks differ, the data order does not
            ckpt.seed_everything(self.cfg.seed + 1000 * self.step + self.dist.rank)

    def _should_stop(self, stop: StopFlag) -> bool:
        if not self.dist.enabled:
            return stop.set
        # Every rank must agree, or the next collective hangs.
        flag = torch.tensor(float(stop.set), device=self.device)
        return bool(all_reduce_max(flag, self.dist).item())
