"""trainer.sizing (torch-free) against the real model: the parameter count is `sum(p.numel())`, the
embedding share is the tied matrix, and the FLOPs per token are the ones the trainer's MFU uses. And the
accelerator table the MFU and the planner share."""
import pytest
import torch

from trainer.hardware import accelerator, match_device
from trainer.metrics import GPU_PEAK_BF16, gpu_peak_flops
from trainer.model import GPT, GPTConfig
from trainer.sizing import ModelShape, count_parameters, flops_per_token, padded_vocab, shape_flops_per_token

SHAPES = [
    dict(vocab_size=padded_vocab(50277, 64), seq_len=64, n_layer=2, n_head=2, n_embd=64),
    dict(vocab_size=512, seq_len=32, n_layer=3, n_head=8, n_embd=128, n_kv_head=2),
    dict(vocab_size=256, seq_len=16, n_layer=1, n_head=4, n_embd=96, mlp_ratio=8 / 3, norm="layernorm"),
]


@pytest.mark.parametrize("kw", SHAPES)
def test_parameter_count_is_the_models(kw):
    model = GPT(GPTConfig(**kw))
    count = count_parameters(ModelShape(**kw))
    assert count.total == sum(p.numel() for p in model.parameters()) == model.num_params()
    assert count.embedding == model.wte.weight.numel()
    assert count.non_embedding == sum(p.numel() for n, p in model.named_parameters() if n != "wte.weight")
    assert count.per_block == sum(p.numel() for p in model.blocks[0].parameters())


@pytest.mark.parametrize("kw", SHAPES)
def test_flops_per_token_is_the_trainers(kw):
    model = GPT(GPTConfig(**kw))
    assert shape_flops_per_token(ModelShape(**kw)) == model.flops_per_token()
    assert flops_per_token(1000, 2, 8, 16) == 6 * 1000 + 12 * 2 * 8 * 16


def test_the_gpu_table_serves_the_trainers_mfu_and_the_planner():
    assert gpu_peak_flops("NVIDIA H100 80GB HBM3") == accelerator("h100").peak_flops == 989e12
    assert gpu_peak_flops("NVIDIA A100-SXM4-80GB") == accelerator("a100").peak_flops == 312e12
    assert match_device("NVIDIA A100-SXM4-40GB").memory_bytes == 40 * 10**9
    assert match_device("NVIDIA A10G").key == "a10g" and match_device("NVIDIA L40S").key == "l40s"
    assert match_device("NVIDIA H200").memory_bytes == 141 * 10**9
    assert gpu_peak_flops("Some Other GPU") is None
    assert accelerator("cpu").peak_flops is None
    assert GPU_PEAK_BF16["H100"] == 989e12
    with pytest.raises(ValueError, match="unknown accelerator 'tpu'"):
        accelerator("tpu")
