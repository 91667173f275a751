"""The memory arithmetic of pipeline.plan.memory against the real model: the activations it predicts are the
bytes autograd actually saves (counted storage by storage), and a checkpoint's size is the file's."""
import os

import pytest
import torch

from pipeline.plan.memory import (activation_bytes, checkpoint_bytes, head_activation_bytes_per_token,
                             layer_activation_bytes_per_token, training_memory)
from trainer.model import GPT, GPTConfig
from trainer.sizing import ModelShape, count_parameters


def _shape(**kw) -> ModelShape:
    cfg = dict(vocab_size=320, seq_len=64, n_layer=3, n_head=4, n_embd=64)
    cfg.update(kw)
    return ModelShape(**cfg)


def saved_bytes(shape: ModelShape, batch: int) -> int:
    """Bytes of the distinct storages autograd saves in one forward pass of the real model (fp32, CPU),
    parameters and buffers left out; idx and targets are views of one (B, T + 1) int64 tensor, as in training
    (the embedding saves that tensor; the loss a contiguous copy of the targets)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=shape.vocab_size, seq_len=shape.seq_len, n_layer=shape.n_layer,
                          n_head=shape.n_head, n_embd=shape.n_embd, n_kv_head=shape.n_kv_head, norm=shape.norm,
                          mlp_ratio=shape.mlp_ratio))
    own = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    seen = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in own:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    rows = torch.randint(0, shape.vocab_size, (batch, shape.seq_len + 1))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(rows[:, :-1], rows[:, 1:])
    return sum(seen.values())


@pytest.mark.parametrize("kw", [{}, {"n_kv_head": 2}, {"norm": "layernorm"}, {"n_kv_head": 1, "mlp_ratio": 3.0},
                                {"n_layer": 1, "n_embd": 32, "n_head": 2}])
def test_fp32_saved_activations_are_exactly_what_autograd_keeps(kw):
    shape = _shape(**kw)
    fused = shape.norm == "layernorm"  # CPU's RMSNorm is composite; layer_norm is one op everywhere
    per_token = (shape.n_layer * layer_activation_bytes_per_token(shape, False, fused)
                 + head_activation_bytes_per_token(shape, False, fused)[0])
    # beyond the per-token figure: the (B, T + 1) id tensor's extra column, and the loss's total weight
    assert saved_bytes(shape, batch=2) == 2 * shape.seq_len * per_token + 2 * 8 + 4


def test_the_formula_in_the_docstring():
    shape = _shape(n_kv_head=2)
    c, k, h = 64, 32, 4
    assert layer_activation_bytes_per_token(shape, bf16=False, fused_norm=False) == 72 * c + 12 * k + 4 * h + 8
    assert layer_activation_bytes_per_token(shape, bf16=True, fused_norm=True) == 36 * c + 6 * k + 4 * h + 8


def test_checkpointing_keeps_one_residual_per_block_plus_one_block():
    shape = _shape(n_layer=12)
    full = activation_bytes(shape, 100, bf16=True, fused_norm=True)
    ckpt = activation_bytes(shape, 100, bf16=True, fused_norm=True, checkpointing=True)
    layer = layer_activation_bytes_per_token(shape, True, True)
    assert full - ckpt == 100 * (11 * layer - 12 * 4 * 64)


def test_sharding_divides_states_and_ddp_adds_its_buckets():
    shape = _shape()
    params = count_parameters(shape)
    n = params.total
    single = training_memory(params, shape, 2, bf16=True, fused_norm=True)
    ddp = training_memory(params, shape, 2, bf16=True, fused_norm=True, strategy="ddp", world_size=8)
    fsdp = training_memory(params, shape, 2, bf16=True, fused_norm=True, strategy="fsdp", world_size=8)
    assert (single.weights, single.gradients, single.optimizer, single.gradient_buckets) == (4 * n, 4 * n, 8 * n, 0)
    assert ddp.total - single.total == 4 * n
    assert fsdp.weights == -(-4 * n // 8) and fsdp.optimizer == -(-8 * n // 8)
    assert fsdp.activations == single.activations
    fp32 = training_memory(params, shape, 2, bf16=False, fused_norm=False)
    assert fp32.weight_copies == 0 and single.weight_copies == 2 * (n - 3 * 2 * 64 - 64)
    with pytest.raises(ValueError, match="strategy"):
        training_memory(params, shape, 2, bf16=True, fused_norm=True, strategy="zero3")


def test_checkpoint_size_is_the_saved_files(tmp_path):
    shape = _shape(vocab_size=1024, n_embd=128)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=1024, seq_len=64, n_layer=3, n_head=4, n_embd=128))
    opt = torch.optim.AdamW(model.optimizer_groups(0.1), lr=1e-3)
    rows = torch.randint(0, 1024, (2, 65))
    model(rows[:, :-1], rows[:, 1:])[1].backward()
    opt.step()
    path = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 1}, path)
    predicted = checkpoint_bytes(count_parameters(shape))
    assert abs(os.path.getsize(path) - predicted) / predicted < 0.03
