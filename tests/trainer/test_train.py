"""The loop on CPU: the loss falls, metrics.jsonl follows the contract, and a run stopped at any
step and started again continues with exactly the same batches (identical losses)."""
import json
import os

import pytest

from pipeline.config_base import ConfigError
from trainer.checkpoint import list_checkpoints
from trainer.config import build_train_config
from trainer.metrics import read_metrics
from trainer.train import train


def _losses(out_dir):
    return [(r["step"], r["loss"], r.get("val_loss")) for r in read_metrics(os.path.join(out_dir, "metrics.jsonl"))]


def test_loss_falls_and_metrics_follow_the_contract(train_raw, tmp_path):
    cfg = build_train_config(train_raw(max_steps=12, eval_every=6, plot=True))
    summary = train(cfg)
    records = read_metrics(os.path.join(cfg.out_dir, "metrics.jsonl"))
    assert [r["step"] for r in records] == list(range(1, 13))
    for r in records:
        assert {"step", "loss", "lr", "tokens_seen", "tokens_per_s", "mfu"} <= r.keys()
        assert r["tokens_seen"] == r["step"] * 2 * 64
    assert [r["step"] for r in records if "val_loss" in r] == [6, 12]
    assert records[-1]["val_ppl"] == pytest.approx(2.718281828 ** records[-1]["val_loss"], rel=1e-6)
    first, last = records[0]["loss"], sum(r["loss"] for r in records[-3:]) / 3
    assert last < first - 1.0, (first, last)
    assert records[-1]["val_loss"] < records[5]["val_loss"]
    assert summary["step"] == 12
    assert os.path.getsize(os.path.join(cfg.out_dir, "loss.png")) > 1000
    assert [s for s, _ in list_checkpoints(cfg.out_dir)] == [8, 12]


def test_stopped_and_resumed_run_equals_the_uninterrupted_run(train_raw, tmp_path):
    """With gradient accumulation, two DataLoader workers and dropout (RNG state); the plain case runs
    as real processes in test_cli."""
    stop_at = 3
    common = dict(max_steps=6, checkpoint_every=2, eval_every=3, grad_accum=2, batch_size=1, num_workers=2,
                  model={"n_layer": 2, "n_head": 2, "n_embd": 32, "dropout": 0.1})
    straight = build_train_config(train_raw(out_dir=str(tmp_path / "straight"), **common))
    train(straight)
    interrupted = build_train_config(train_raw(out_dir=str(tmp_path / "interrupted"), **common))
    train(interrupted, stop_after=stop_at)  # dies after step 3, before checkpointing it
    assert [s for s, _ in list_checkpoints(interrupted.out_dir)] == [2]
    assert len(_losses(interrupted.out_dir)) == stop_at
    train(interrupted)
    assert _losses(interrupted.out_dir) == _losses(straight.out_dir)  # exact, not approximate


def test_a_finished_run_is_not_trained_again(train_raw):
    cfg = build_train_config(train_raw(max_steps=2, checkpoint_every=0, eval_every=0))
    train(cfg)
    before = _losses(cfg.out_dir)
    assert train(cfg) == {"step": 2}
    assert _losses(cfg.out_dir) == before


def test_resuming_with_another_model_or_dataset_is_refused(train_raw, tmp_path):
    from tests.trainer.dataset_fixture import build_dataset

    cfg = build_train_config(train_raw(max_steps=2, eval_every=0))
    train(cfg)
    other_model = build_train_config(train_raw(max_steps=4, eval_every=0, model={"n_layer": 1, "n_head": 2, "n_embd": 32}))
    with pytest.raises(ConfigError, match="model: differs from the model in"):
        train(other_model)
    other = str(tmp_path / "other")
    build_dataset(other, seq_len=64, train_shards=2, train_rows=100)
    with pytest.raises(ConfigError, match="is not the dataset .* was trained on"):
        train(build_train_config(train_raw(max_steps=4, eval_every=0, data=other)))


def test_seq_len_and_tokenizer_expectations(train_raw, tmp_path):
    with pytest.raises(ConfigError, match="data: .*seq_len is 64, the model expects 128"):
        train(build_train_config(train_raw(seq_len=128)))
    wrong = tmp_path / "tok.json"
    wrong.write_text(json.dumps({"not": "the tokenizer"}))
    with pytest.raises(ConfigError, match="data: .*tokenizer sha256"):
        train(build_train_config(train_raw(tokenizer=str(wrong))))


def test_progress_log_measures_throughput_between_logged_steps_and_writes_one_line(tmp_path, monkeypatch):
    from trainer import metrics as metrics_module
    from trainer.metrics import MetricsLog, ProgressLog, read_metrics

    clock = iter([100.0, 102.0, 102.5])  # start, the logged step, after logging
    monkeypatch.setattr(metrics_module.time, "perf_counter", lambda: next(clock))
    lines = []
    log = MetricsLog(str(tmp_path), resume_step=0)
    progress = ProgressLog(log, lines.append, first_step=10, max_steps=20, tokens_per_step=1000,
                           flops_per_token=6e6, peak_flops=1e12, world_size=2)
    record = progress.record(14, loss=2.5, lr=1e-3, grad_norm=0.7, tokens_seen=14_000,
                             evaluate=lambda: {"val_loss": 2.0, "val_ppl": 7.389})
    log.close()
    assert record["tokens_per_s"] == 4 * 1000 / 2.0  # 4 steps of 1,000 tokens in 2 s
    assert record["mfu"] == 6e6 * 2000 / (1e12 * 2)
    assert read_metrics(log.path) == [record]
    assert list(record)[:8] == ["step", "loss", "lr", "grad_norm", "tokens_seen", "tokens_per_s", "mfu", "peak_flops"]
    assert lines == ["step 14/20 | loss 2.5000 | lr 1.00e-03 | 2,000 tok/s | mfu 0.6% | val_loss 2.0000 (ppl 7.4) | eta 0m03s"]
    assert progress.logged_step == 14 and progress.t_log == 102.5
