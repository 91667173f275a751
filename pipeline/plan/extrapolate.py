"""From two measured sample runs (half and full sample) to the full build (pure arithmetic).

Scale. Each source's counts scale by its stored input (the full source's file sizes over the stored bytes
its sample consumed). Costs (CPU, wall, shuffle, spill) scale by input text: the sum over sources of each
one's sample text times its scale, so sources that compress differently weigh by what the passes read.

Costs are fitted as fixed + marginal x text through the half and the full sample, so the start-up of a
run (interpreter, Beam, tokenizer load) is not multiplied by the scale; if the two samples disagree so that
the slope is not positive (noise on a busy machine), the full sample's average rate is used instead. Wall
time takes its start-up from the CPU fit (in the full sample's wall seconds per CPU second) and its rate
from the full sample alone: on a shared machine the load, hence wall time per CPU second, can differ by 2x
between two runs, and a line through two wall times amplifies that. The uncertainty: how much the timed
passes' CPU per byte moved between the two samples, and for wall time also how much wall time per CPU
second did. Wall time assumes the full build runs under the load the samples saw.

Tokens. Kept tokens per stored byte, per source, from the full sample, less the duplicates a bigger corpus
reveals: deduplication finds more the bigger the corpus (a duplicate is only found when its original is in
the data too). The duplicate rate's growth from the half to the full sample, when it is beyond noise, is
continued to the full size per doubling (the likely figure) and linearly in the fraction sampled (the
pessimistic one: duplicates placed at random); the sample's own rate is the optimistic end. The spread
between the two samples' rates (sampling noise) widens the range both ways. A prefix sample holds the
duplicates whose originals lie in the prefix, which is all of them in time-ordered data that only repeats
the past; corpora whose duplicates are spread over their files lose more at full size than the sample
shows: the low end is then the likelier side.

Wall time on N workers: the fitted fixed part, plus the marginal part apportioned to the passes by their
CPU and spread over each one's units of parallel work: splits for the per-split passes, key buckets for the
dedup reducers, shards for the shard writers; a pass takes at least as long as its largest unit. It
assumes workers as fast as this machine's cores were while sampling. Per worker memory stays that of the sample (the passes are bounded by one
split or bucket); the local runner also holds Beam's shuffles in memory, so its peak is extrapolated too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from mixers.plan import MixShortfallError, plan_mix
from pipeline.config import mix_statement
from pipeline.dataset.manifest import Manifest
from pipeline.run_report import RunReport, SourceReport

SHARD_TARGET_BYTES = 256 * 10**6  # per train shard: small enough to shuffle well and download per epoch
SHARD_MULTIPLE = 8  # a multiple of the GPUs per node, so ranks read evenly
BUCKET_PASSES = ("dedup_url", "dedup_exact", "dedup_lines", "dedup_near")
SHARD_PASSES = ("write_shards",)


@dataclass
class SampleRun:
    """One measured sample run (pipeline.plan.measure fills it)."""

    label: str
    stored_bytes: dict[str, float]  # per source: the stored input the sample consumed
    text_bytes: dict[str, int]  # per source: decompressed input taken
    wall_s: float
    cpu_s: float  # the whole process tree
    peak_rss: int
    report: RunReport
    manifest: Manifest
    output_bytes: dict[str, int] = field(default_factory=dict)  # per entry of OUT: train, curated, ...

    @property
    def text(self) -> float:
        return float(sum(self.text_bytes.values()))


@dataclass(frozen=True)
class FullInput:
    stored_bytes: dict[str, int]  # per source: the sum of its files' sizes
    files: dict[str, int]
    splits: int  # the pipeline's splits over every source
    largest_split_bytes: int
    buckets: int  # key buckets of each dedup reducer


def full_text(sample: SampleRun, full: FullInput) -> float:
    """The full input's text, estimated from each source's ratio of text to stored bytes in the sample."""
    return sum(sample.text_bytes[s] * full.stored_bytes[s] / sample.stored_bytes[s]
               for s in sample.text_bytes if sample.stored_bytes[s])


def linear(half: float, full: float, x_half: float, x_full: float, x_target: float) -> tuple[float, float, float]:
    """(estimate at x_target, fixed part, marginal rate) of the line through (x_half, half), (x_full, full);
    the full point's average rate when the slope is not positive or the points coincide."""
    if x_full > x_half and full > half:
        rate = (full - half) / (x_full - x_half)
        fixed = max(0.0, full - rate * x_full)
    else:
        rate, fixed = (full / x_full if x_full else 0.0), 0.0
    return fixed + rate * x_target, fixed, rate


def pass_rate_spread(half: SampleRun, full: SampleRun) -> float:
    """Relative change of the timed passes' CPU per input byte from the half to the full sample."""
    h, f = sum((half.report.cpu_seconds or {}).values()), sum((full.report.cpu_seconds or {}).values())
    if not (h and f and half.text and full.text):
        return 0.5  # nothing timed: say so with a wide band
    return abs(f / full.text - h / half.text) / (f / full.text)


def duplicate_rates(dup_half: float, dup_full: float, n_half: int, n_full: int, f_half: float,
                    f_full: float) -> tuple[float, float]:
    """(likely, pessimistic) duplicate rate at full size, from the rates a half and a full sample found
    (`f_*`: the share of the source each sample is). Growth below two standard errors is noise: none. The
    likely rate continues the growth per doubling of size (duplicates of a heavy-tailed web corpus); the
    pessimistic one continues it linearly in the fraction sampled (duplicates placed at random, whose
    pairs a sample of fraction f holds with probability f)."""
    growth = dup_full - dup_half
    p = min(max(dup_full, 1e-9), 1 - 1e-9)
    if f_full >= 1 or f_half >= f_full or n_half == 0 or growth <= 2 * math.sqrt(p * (1 - p) * (1 / n_half + 1 / n_full)):
        return dup_full, dup_full
    likely = dup_full + growth / math.log2(f_full / f_half) * math.log2(1 / f_full)
    return min(1.0, likely), min(1.0, max(likely, dup_full + growth / (f_full - f_half) * (1 - f_full)))


def source_figures(half: SampleRun, full: SampleRun, total: FullInput) -> dict[str, dict]:
    """Per source: scale, documents and kept tokens at full size (point, low, high), and the keep rates."""
    out = {}
    for name, stored in total.stored_bytes.items():
        s_full = full.report.sources.get(name, SourceReport())
        s_half = half.report.sources.get(name, SourceReport())
        scale = stored / full.stored_bytes[name] if full.stored_bytes.get(name) else 0.0
        rate = lambda r, run: r.kept_tokens / run.stored_bytes[name] if run.stored_bytes.get(name) else 0.0
        spread = abs(rate(s_full, full) - rate(s_half, half)) / rate(s_full, full) if rate(s_full, full) else 0.0
        read = s_full.read or 1
        keep = s_full.kept / read
        dup = lambda r: r.duplicates / (r.read or 1)
        likely, pessimistic = duplicate_rates(dup(s_half), dup(s_full), s_half.read, s_full.read,
                                              half.stored_bytes.get(name, 0) / (stored or 1), 1 / scale if scale else 1.0)
        still_kept = lambda d: max(0.0, keep - (d - dup(s_full))) / keep if keep else 0.0
        removed_tokens = sum(s_full.removed_tokens_by_reason.values())
        kept_tokens = s_full.kept_tokens
        point = kept_tokens * scale * still_kept(likely)
        out[name] = {
            "input_bytes": int(stored), "files": total.files.get(name, 0), "scale": scale,
            "sample_input_bytes": full.stored_bytes[name], "sample_text_bytes": full.text_bytes[name],
            "input_text_bytes_estimate": int(full.text_bytes[name] * scale),
            "documents_read": int(s_full.read * scale),
            "documents_kept": int(s_full.kept * scale * still_kept(likely)),
            "kept_tokens": int(point),
            "kept_tokens_range": [int(kept_tokens * scale * still_kept(pessimistic) * (1 - spread)),
                                  int(kept_tokens * scale * (1 + spread))],
            "keep_rate_documents": keep,
            "keep_rate_tokens": kept_tokens / (kept_tokens + removed_tokens) if kept_tokens + removed_tokens else 0.0,
            "keep_rate_documents_half_sample": s_half.kept / (s_half.read or 1),
            "duplicate_rate": dup(s_full), "duplicate_rate_half_sample": dup(s_half),
            "duplicate_rate_full_size": likely, "duplicate_rate_full_size_range": [dup(s_full), pessimistic],
            "rejected_rate": s_full.rejected / read, "sampling_spread": spread,
        }
    return out


def mixed_tokens(cfg, kept: dict[str, int], documents: dict[str, int], mixing: bool) -> tuple[dict[str, int], str | None]:
    """Output tokens per source (copies counted, before shard tails) under the config's mix, and a warning
    when the mix cannot be met at full size."""
    if not mixing:
        return dict(kept), None
    statement = mix_statement(cfg.sources, cfg.mix)
    try:
        plan = plan_mix(statement, kept, documents)
        warning = None
    except MixShortfallError as e:
        plan = plan_mix(replace(statement, on_shortfall="rescale"), kept, documents)
        warning = f"the full build would fail its mix (on_shortfall: fail): {e}"
    return {n: p.target_tokens for n, p in plan.sources.items()}, warning


def recommended_train_shards(train_bytes: float, workers: int) -> int:
    """Train shards of at most SHARD_TARGET_BYTES, at least one per worker (the shard writers run one per
    shard), rounded up to a multiple of SHARD_MULTIPLE."""
    n = max(1, math.ceil(train_bytes / SHARD_TARGET_BYTES), workers)
    return -(-n // SHARD_MULTIPLE) * SHARD_MULTIPLE


def wall_on_workers(fixed: float, marginal: float, pass_cpu: dict[str, float], workers: int, full: FullInput,
                    shards: int) -> float:
    """`fixed` + the marginal wall time, apportioned to the passes by their CPU (`pass_cpu`, report.json's
    cpu_seconds at full size) and spread over each pass's parallel units (see the module docstring)."""
    timed = sum(pass_cpu.values())
    if not timed:
        return fixed + marginal / min(workers, full.splits)
    total = 0.0
    for name, cpu in pass_cpu.items():
        units, largest = full.splits, full.largest_split_bytes / max(1, sum(full.stored_bytes.values()))
        if name in BUCKET_PASSES:
            units, largest = full.buckets, 1 / full.buckets
        elif name in SHARD_PASSES:
            units, largest = shards, 1 / shards
        share = marginal * cpu / timed
        total += share * max(1 / min(workers, units), min(1.0, largest))
    return fixed + total
