"""pipeline.plan.extrapolate and pipeline.plan.build_plan on made-up sample measurements whose full-size answer is
known: scaling by stored bytes, linear fits that do not multiply start-up costs, the spread of wall time
over workers, the mix at full size, deduplication's growth, the shard recommendation."""
import pytest

from pipeline.config import build_config
from pipeline.dataset.manifest import Manifest, SplitEntry, TokenizerEntry
from pipeline.plan.build_plan import plan_build
from pipeline.plan.extrapolate import (FullInput, SampleRun, duplicate_rates, linear, mixed_tokens,
                                  recommended_train_shards, wall_on_workers)
from pipeline.run_report import RunReport, SourceReport, Totals


def _run(label, stored, text, read, kept, dups, tokens, cpu, wall, passes, rss=100, shuffle=1000):
    sources = {"web": SourceReport(read=read, kept=kept, duplicates=dups, rejected=read - kept - dups, unreadable=0,
                                   kept_tokens=tokens, removed_tokens_by_reason={"x": tokens // 9})}
    report = RunReport(sources, Totals.of(sources), cpu_seconds=passes, shuffle={"total": shuffle})
    train = int(tokens * 0.9)
    manifest = Manifest(seq_len=10, dtype="uint16", tokenizer=TokenizerEntry("0" * 64, 100, 0), seed=0,
                        splits={"train": SplitEntry(shards=(), tokens=train, dropped_tail_tokens=0),
                                "validation": SplitEntry(shards=(), tokens=tokens - train, dropped_tail_tokens=0)})
    return SampleRun(label, {"web": stored}, {"web": text}, wall, cpu, rss, report, manifest,
                     {"train": tokens * 2, "validation": 0, "curated": text, "tokenizer.json": 7})


@pytest.fixture
def cfg(tokenizer_path):
    return build_config({"output": "/tmp/x", "seq_len": 10, "tokenizer": {"path": tokenizer_path},
                         "shards": {"train": 2, "validation": 1}, "sources": [{"name": "web", "paths": ["/x/*"]}]},
                        check_files=False)


HALF = _run("half", 500, 1500, 50, 45, 2, 4500, cpu=8, wall=12, passes={"read": 0.5, "tokenize": 1.0}, shuffle=600)
FULL = _run("full", 1000, 3000, 100, 90, 5, 9000, cpu=13, wall=20, passes={"read": 1.0, "tokenize": 2.0}, rss=110,
            shuffle=1100)
TOTAL = FullInput(stored_bytes={"web": 4000}, files={"web": 4}, splits=4, largest_split_bytes=1000, buckets=1)


def test_the_full_build_from_two_samples(cfg):
    plan = plan_build(cfg, HALF, FULL, TOTAL, workers=1, mixing=False)
    assert plan["input_bytes"] == 4000 and plan["input_text_bytes_estimate"] == 12000
    assert plan["sources"]["web"]["kept_tokens"] == 36000 and plan["sources"]["web"]["kept_tokens_range"] == [36000, 36000]
    assert plan["output_tokens"] == 36000 - 3 * 10 // 2  # less the expected tails of 3 shards
    assert plan["train_tokens"] == int(plan["output_tokens"] * 0.9)
    assert plan["cpu_hours"] * 3600 == pytest.approx(3 + 5 / 1500 * 12000)  # fixed 3 s, 5 s per 1500 bytes
    startup = 3 * 20 / 13  # the CPU fit's fixed 3 s, in the full sample's wall seconds per CPU second
    assert plan["wall_hours"] * 3600 == pytest.approx(startup + (20 - startup) / 3000 * 12000)
    assert plan["fixed_seconds"] == {"cpu": pytest.approx(3), "wall": pytest.approx(startup)}
    assert plan["shuffle_bytes"] == 100 + 12000 // 3  # 100 fixed, a third of a byte per text byte
    assert plan["output_bytes_by_folder"]["curated"] == 12000 and plan["output_bytes_by_folder"]["tokenizer.json"] == 7
    assert plan["output_bytes_by_folder"]["train"] == plan["train_tokens"] * 2
    assert plan["peak_memory_bytes"]["per_worker"] == 110
    assert plan["uncertainty"]["pass_cpu_per_byte_spread"] == 0.0
    load = (20 / 13 - 12 / 8) / (20 / 13)  # wall per CPU second moved between the samples: the machine's load
    assert plan["uncertainty"]["wall_per_cpu_spread"] == pytest.approx(load)
    wall, marginal = plan["wall_hours"] * 3600, plan["wall_hours"] * 3600 - startup
    assert [h * 3600 for h in plan["wall_hours_range"]] == [pytest.approx(wall - marginal * load),
                                                            pytest.approx(wall + marginal * load)]


def test_wall_time_spreads_over_splits_and_its_largest_split(cfg):
    plan = plan_build(cfg, HALF, FULL, TOTAL, workers=4, mixing=False)
    startup = 3 * 20 / 13
    assert plan["wall_hours"] * 3600 == pytest.approx(startup + (20 - startup) * 4 / 4)  # 4 splits, 4 workers
    assert wall_on_workers(4, 64, {"read": 1, "tokenize": 2}, 100, TOTAL, 3) == pytest.approx(4 + 64 / 4)  # 4 splits
    lopsided = FullInput({"web": 4000}, {"web": 2}, 2, 3000, 1)
    assert wall_on_workers(0, 100, {"read": 1}, 8, lopsided, 3) == pytest.approx(75)  # its largest split: 3/4
    assert wall_on_workers(0, 90, {"read": 1, "dedup_exact": 1, "write_shards": 1}, 8, TOTAL, 3) == \
        pytest.approx(30 / 4 + 30 + 30 / 3)  # splits, one bucket, three shards


def test_linear_fit_falls_back_to_the_average_rate():
    assert linear(10, 20, 100, 200, 1000) == (pytest.approx(100), pytest.approx(0), pytest.approx(0.1))
    assert linear(12, 10, 100, 200, 1000)[0] == pytest.approx(50)  # noise: slope < 0, average rate of the full sample


def test_duplicates_found_grow_with_size_beyond_noise():
    assert duplicate_rates(0.05, 0.05, 5000, 10000, 0.01, 0.02) == (0.05, 0.05)
    assert duplicate_rates(0.04, 0.05, 50, 100, 0.01, 0.02) == (0.05, 0.05)  # within noise
    likely, worst = duplicate_rates(0.02, 0.04, 10000, 20000, 0.01, 0.02)
    assert likely == pytest.approx(0.04 + 0.02 * 5.643856, rel=1e-6) and worst == 1.0
    assert duplicate_rates(0.02, 0.04, 10000, 20000, 0.5, 1.0) == (0.04, 0.04)  # the sample is everything


def test_growing_duplicates_lower_the_tokens(cfg):
    half = _run("half", 500, 1500, 5000, 4900, 50, 4500, 8, 12, {"read": 1})
    full = _run("full", 1000, 3000, 10000, 9600, 300, 9000, 13, 20, {"read": 2})
    web = plan_build(cfg, half, full, TOTAL, 1, False)["sources"]["web"]
    assert web["duplicate_rate_half_sample"] == 0.01 and web["duplicate_rate"] == 0.03
    assert web["duplicate_rate_full_size"] == pytest.approx(0.07)  # + 0.02 per doubling, two more doublings
    assert web["kept_tokens"] == int(36000 * (0.96 - 0.04) / 0.96)
    assert web["kept_tokens_range"][0] < web["kept_tokens"] < web["kept_tokens_range"][1] == 36000


def test_the_mix_applies_at_full_size(tokenizer_path):
    cfg = build_config({"output": "/tmp/x", "seq_len": 10, "tokenizer": {"path": tokenizer_path},
                        "sources": [{"name": "web", "paths": ["/x/*"], "weight": 0.5},
                                    {"name": "books", "paths": ["/y/*"], "weight": 0.5, "max_repeats": 1.5}]},
                       check_files=False)
    out, warning = mixed_tokens(cfg, {"web": 3000, "books": 1000}, {"web": 30, "books": 10}, True)
    assert warning.startswith("the full build would fail its mix") and out == {"web": 1500, "books": 1500}
    assert mixed_tokens(cfg, {"web": 3000, "books": 1000}, {}, False) == ({"web": 3000, "books": 1000}, None)


@pytest.mark.parametrize("train_bytes, workers, want", [(0, 1, 8), (10e9, 1, 40), (10.1e9, 1, 40), (10.3e9, 1, 48),
                                                       (1e9, 100, 104)])
def test_recommended_train_shards(train_bytes, workers, want):
    assert recommended_train_shards(train_bytes, workers) == want
