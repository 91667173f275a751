"""The GPT: shapes, causality, tied embeddings, GQA equal to explicit key/value repetition, the
initialisation the docs promise, and which parameters get weight decay."""
import math

import pytest
import torch
import torch.nn.functional as F

from trainer.model import GPT, GPTConfig, apply_rope, rope_tables
from trainer.sizing import padded_vocab


def _model(**kw):
    torch.manual_seed(0)
    cfg = dict(vocab_size=128, seq_len=16, n_layer=2, n_head=4, n_embd=32)
    cfg.update(kw)
    return GPT(GPTConfig(**cfg))


def test_logits_shape_and_loss_near_uniform_at_init():
    m = _model()
    x, y = torch.randint(0, 128, (3, 16)), torch.randint(0, 128, (3, 16))
    logits, loss = m(x, y)
    assert logits.shape == (3, 16, 128)
    assert abs(loss.item() - math.log(128)) < 0.1


def test_future_tokens_do_not_change_past_logits():
    m = _model().eval()
    x = torch.randint(0, 128, (1, 16))
    y = x.clone()
    y[0, 10:] = (y[0, 10:] + 1) % 128
    a, _ = m(x)
    b, _ = m(y)
    assert torch.allclose(a[0, :10], b[0, :10], atol=1e-6)
    assert not torch.allclose(a[0, 10:], b[0, 10:])


def test_embeddings_are_tied_and_counted_once():
    m = _model()
    assert m.lm_head.weight is m.wte.weight
    assert m.num_params() == sum(p.numel() for p in {id(p): p for p in m.parameters()}.values())


def test_initialisation_scales_residual_projections():
    m = _model(n_layer=8, n_embd=256, n_head=4, vocab_size=4096)
    assert abs(m.wte.weight.std().item() - 0.02) < 0.001
    assert abs(m.blocks[0].attn.c_attn.weight.std().item() - 0.02) < 0.001
    want = 0.02 / math.sqrt(2 * 8)
    for block in m.blocks:
        assert abs(block.attn.c_proj.weight.std().item() - want) < 0.0005
        assert abs(block.mlp.c_proj.weight.std().item() - want) < 0.0005


def test_grouped_query_attention_matches_repeated_keys_and_values():
    m = _model(n_kv_head=2).eval()
    attn = m.blocks[0].attn
    x = torch.randn(2, 16, 32)
    got = attn(x, m.rope_cos, m.rope_sin)
    assert attn.c_attn.weight.shape == ((4 + 2 * 2) * 8, 32)
    q, k, v = attn.c_attn(x).split([32, 16, 16], dim=-1)
    q = apply_rope(q.view(2, 16, 4, 8).transpose(1, 2), m.rope_cos, m.rope_sin)
    k = apply_rope(k.view(2, 16, 2, 8).transpose(1, 2), m.rope_cos, m.rope_sin).repeat_interleave(2, dim=1)
    v = v.view(2, 16, 2, 8).transpose(1, 2).repeat_interleave(2, dim=1)
    want = attn.c_proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(2, 16, 32))
    assert torch.allclose(got, want, atol=1e-5)


def test_rope_rotation_preserves_norms_and_depends_on_relative_position():
    cos, sin = rope_tables(16, 8, 10000.0)
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)
    rotated = apply_rope(q.expand(1, 1, 16, 8), cos, sin)
    assert torch.allclose(rotated.norm(dim=-1), q.norm(dim=-1).expand(1, 1, 16), atol=1e-5)
    qs, ks = apply_rope(q.expand(1, 1, 16, 8), cos, sin), apply_rope(k.expand(1, 1, 16, 8), cos, sin)
    score = lambda i, j: (qs[0, 0, i] * ks[0, 0, j]).sum()  # noqa: E731
    assert torch.allclose(score(5, 2), score(12, 9), atol=1e-5)


def test_weight_decay_goes_to_matrices_but_not_norms_or_embedding():
    m = _model(norm="layernorm")
    decay, no_decay = m.optimizer_groups(0.1)
    names = {id(p): n for n, p in m.named_parameters()}
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert {names[id(p)] for p in no_decay["params"]} == {"wte.weight", "norm_f.weight"} | {
        f"blocks.{i}.norm_{k}.weight" for i in range(2) for k in (1, 2)}
    assert all(p.dim() == 2 for p in decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(m.parameters()))


@pytest.mark.parametrize("vocab, multiple, want", [(50280, 64, 50304), (128, 64, 128), (7, 1, 7)])
def test_padded_vocab(vocab, multiple, want):
    assert padded_vocab(vocab, multiple) == want


def test_flops_per_token_follows_the_6n_rule():
    m = _model()
    assert m.flops_per_token() == 6 * m.num_params() + 12 * 2 * 32 * 16
