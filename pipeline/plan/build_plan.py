"""The build plan as one dict (`tokenmill plan build --json`), from two measured samples and the full input's
listing (pure; pipeline.plan.extrapolate has the method and its caveats)."""
from __future__ import annotations

from pipeline.plan.extrapolate import (FullInput, SampleRun, full_text, linear, mixed_tokens, pass_rate_spread,
                                  recommended_train_shards, source_figures, wall_on_workers)

FIXED_OUTPUTS = ("tokenizer.json", "report.json", "report.html", "manifest.json", ".tokenmill-files.json")
SHARD_FOLDERS = ("train", "validation")


def _split_tokens(run: SampleRun) -> tuple[int, int]:
    """(train, validation) tokens before tails are dropped."""
    splits = run.manifest.splits
    return tuple(splits[k].tokens + (splits[k].dropped_tail_tokens or 0) for k in SHARD_FOLDERS)


def plan_build(cfg, half: SampleRun, full: SampleRun, total: FullInput, workers: int, mixing: bool) -> dict:
    x_half, x_full, x_target = half.text, full.text, full_text(full, total)
    sources = source_figures(half, full, total)
    documents = {n: s["documents_kept"] for n, s in sources.items()}
    out, mix_warning = mixed_tokens(cfg, {n: s["kept_tokens"] for n, s in sources.items()}, documents, mixing)
    low, _ = mixed_tokens(cfg, {n: s["kept_tokens_range"][0] for n, s in sources.items()}, documents, mixing)
    high, _ = mixed_tokens(cfg, {n: s["kept_tokens_range"][1] for n, s in sources.items()}, documents, mixing)
    for name, s in sources.items():
        s.update(output_tokens=out[name], output_tokens_range=[low[name], high[name]])

    tails = (cfg.shards.train + cfg.shards.validation) * cfg.seq_len // 2  # expected final partial rows
    train_s, validation_s = _split_tokens(full)
    validation_share = validation_s / ((train_s + validation_s) or 1)
    after_tails = lambda n: max(0, n - tails)
    output_tokens = after_tails(sum(out.values()))
    train_tokens = int(output_tokens * (1 - validation_share))

    cpu, cpu_fixed, cpu_rate = linear(half.cpu_s, full.cpu_s, x_half, x_full, x_target)
    spread = pass_rate_spread(half, full)
    # Wall time also moves with the machine's load: how much wall per CPU second changed between the samples.
    wall_per_cpu = lambda r: r.wall_s / r.cpu_s if r.cpu_s else 0.0
    load_spread = abs(wall_per_cpu(full) - wall_per_cpu(half)) / wall_per_cpu(full) if wall_per_cpu(full) else 0.0
    wall_spread = max(spread, load_spread)
    # Wall time: the full sample's rate once its start-up is taken out, that start-up being the CPU fit's fixed
    # part in the full sample's wall seconds per CPU second. A line through the two samples' wall times would
    # amplify the load of a shared machine, which can differ between them by 2x.
    wall_fixed = min(full.wall_s, cpu_fixed * full.wall_s / full.cpu_s) if full.cpu_s else 0.0
    wall_rate = (full.wall_s - wall_fixed) / x_full if x_full else 0.0
    wall_1 = wall_fixed + wall_rate * x_target
    half_cpu, full_cpu = half.report.cpu_seconds or {}, full.report.cpu_seconds or {}
    pass_cpu = {p: linear(half_cpu.get(p, 0.0), c, x_half, x_full, x_target)[0] for p, c in full_cpu.items()}
    shards = cfg.shards.train + cfg.shards.validation
    wall = wall_on_workers(wall_fixed, wall_rate * x_target, pass_cpu, workers, total, shards)
    shuffled = lambda r: (r.report.shuffle or {}).get("total", 0)
    shuffle = linear(shuffled(half), shuffled(full), x_half, x_full, x_target)[0]
    peak_local = linear(half.peak_rss, full.peak_rss, x_half, x_full, x_target)[0]

    shard_bytes = sum(full.output_bytes.get(k, 0) for k in SHARD_FOLDERS)
    bytes_per_token = shard_bytes / (sum(full.manifest.splits[k].tokens for k in SHARD_FOLDERS) or 1)
    by_folder = {k: int(v * x_target / x_full) for k, v in full.output_bytes.items()
                 if k not in SHARD_FOLDERS and k not in FIXED_OUTPUTS}
    by_folder.update({k: v for k, v in full.output_bytes.items() if k in FIXED_OUTPUTS})
    by_folder["train"] = int(train_tokens * bytes_per_token)
    by_folder["validation"] = int((output_tokens - train_tokens) * bytes_per_token)
    token_bytes = 2 if full.manifest.dtype == "uint16" else 4
    warnings = [w for w in [mix_warning] if w]
    recommended = recommended_train_shards(by_folder["train"], workers)
    if recommended != cfg.shards.train:
        warnings.append(f"shards.train is {cfg.shards.train}: {recommended} would keep train shards near "
                        f"{by_folder['train'] / recommended / 1e6:,.0f} MB (at most 256 MB, one per worker, "
                        "a multiple of 8)")
    return {
        "input_bytes": int(sum(total.stored_bytes.values())),
        "input_text_bytes_estimate": int(x_target),
        "files": sum(total.files.values()), "splits": total.splits, "buckets": total.buckets,
        "output_tokens": output_tokens,
        "output_tokens_range": [after_tails(sum(low.values())), after_tails(sum(high.values()))],
        "train_tokens": train_tokens, "validation_tokens": output_tokens - train_tokens,
        "sources": sources,
        "cpu_hours": cpu / 3600,
        "cpu_hours_range": [(cpu_fixed + cpu_rate * x_target * (1 - spread)) / 3600,
                            (cpu_fixed + cpu_rate * x_target * (1 + spread)) / 3600],
        "cpu_hours_by_pass": {p: c / 3600 for p, c in sorted(pass_cpu.items())},
        "workers": workers,
        "wall_hours": wall / 3600,
        "wall_hours_range": [(wall - (wall - wall_fixed) * wall_spread) / 3600,
                             (wall + (wall - wall_fixed) * wall_spread) / 3600],
        "wall_hours_one_worker": wall_1 / 3600,
        "fixed_seconds": {"cpu": cpu_fixed, "wall": wall_fixed},
        "shuffle_bytes": int(shuffle),
        "output_bytes": int(sum(by_folder.values())),
        "output_bytes_by_folder": dict(sorted(by_folder.items())),
        "scratch_bytes": int(2 * x_target + sum(out.values()) * token_bytes),
        "peak_memory_bytes": {"half_sample": half.peak_rss, "sample": full.peak_rss,
                              "per_worker": full.peak_rss, "local_runner_full_size": int(peak_local)},
        "recommended_shards_train": recommended,
        "uncertainty": {"pass_cpu_per_byte_spread": spread, "wall_per_cpu_spread": load_spread,
                        "tokens_sampling_spread": max((s["sampling_spread"] for s in sources.values()), default=0.0)},
        "sample": {r.label: {"input_bytes": int(r.stored_bytes and sum(r.stored_bytes.values())),
                             "text_bytes": int(r.text), "wall_s": round(r.wall_s, 2), "cpu_s": round(r.cpu_s, 2),
                             "peak_rss_bytes": r.peak_rss, "output_tokens": sum(_split_tokens(r)),
                             "cpu_seconds": r.report.cpu_seconds or {},
                             "shuffle_bytes": shuffled(r)} for r in (half, full)},
        "warnings": warnings,
    }
