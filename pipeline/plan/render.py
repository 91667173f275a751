"""The plans as one screen of text (`tokenmill plan ...` without --json)."""
from __future__ import annotations

from pipeline.capacity import human


def gb(n: float) -> str:
    return f"{n / 1e9:,.2f} GB" if n >= 1e8 else f"{n / 1e6:,.1f} MB"


def flop(n: float) -> str:
    for factor, prefix in ((1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M")):
        if n >= factor:
            return f"{n / factor:.3g} {prefix}FLOP"
    return f"{n:.3g} FLOP"


def duration(hours: float) -> str:
    seconds = hours * 3600
    if seconds < 120:
        return f"{seconds:.0f} s"
    if hours < 2:
        return f"{seconds / 60:.0f} min"
    if hours < 72:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _rows(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    fmt = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return [fmt(headers), *(fmt(r) for r in rows)]


def render_train(p: dict, config: str, data: str) -> str:
    m = p["model"]
    out = [f"Training plan: {config} on {data}",
           f"  hardware     {p['gpus']} x {p['gpu']}, peak {p['peak_flops'] / 1e12:,.3g} TFLOP/s each, MFU {p['mfu']:.1%} "
           f"({p['mfu_source']}), {p['precision']}",
           f"  model        {m['n_layer']} layers x {m['n_embd']} ({m['n_head']} heads, {m['n_kv_head']} kv), vocab "
           f"{m['vocab_size']:,}, seq_len {m['seq_len']:,}, {m['norm']}",
           f"  parameters   {human(p['parameters'])} ({human(p['parameters_non_embedding'])} without the embedding, "
           f"{human(p['parameters_embedding'])} in it)",
           f"  FLOPs/token  {human(p['flops_per_token'])} (6N + 12 L C T, the trainer's MFU formula)",
           f"  run          {p['steps']:,} steps x {p['sequences_per_step']:,} sequences = {human(p['tokens'])} tokens "
           f"({p['tokens_per_step']:,} per step)",
           f"  dataset      {human(p['dataset_tokens'])} train tokens ({p['dataset_rows']:,} rows): the run is "
           f"{p['epochs']:.2f} epochs"]
    if any(abs(e - p["epochs"]) > 1e-9 for e in p["source_epochs"].values()):  # the mix repeats some sources
        out.append("               per source, with the mix's repeats: " + ", ".join(
            f"{n} {e:.2f}" for n, e in p["source_epochs"].items()))
    co = p["compute_optimal"]
    out += [f"  Chinchilla   {human(p['chinchilla_tokens'])} tokens is optimal for this size: the run is "
            f"{p['chinchilla_ratio']:.3g}x that ({p['tokens_per_parameter']:.3g} tokens per parameter); this compute "
            f"is optimal for {human(co['parameters'])} parameters on {human(co['tokens'])} tokens",
            f"  compute      {flop(p['total_flops'])} (evaluation adds {flop(p['eval_flops'])}): "
            f"{p['gpu_hours']:,.3g} device-hours, {duration(p['wall_hours'])} of wall time",
            f"  speed        {p['seconds_per_step']:,.3g} s per step, {p['tokens_per_s']:,.0f} tokens/s",
            f"  checkpoint   {gb(p['checkpoint_bytes'])} on disk each (fp32 weights + AdamW moments)",
            f"  memory       per device, {p['precision']}; the trainer runs '{p['strategy']}' without checkpointing; "
            f"{gb(p['usable_memory_bytes'])} usable of {gb(p['device_memory_bytes'])}"]
    keys = ["weights", "weight_copies", "gradients", "gradient_buckets", "optimizer", "activations", "total"]
    rows = [[name] + [gb(b[k]) for k in keys] + ["yes" if b["total"] <= p["usable_memory_bytes"] else "NO"]
            for name, b in p["memory"].items()]
    out += ["    " + line for line in _rows(["strategy", "weights", "bf16 copies", "grads", "DDP buckets", "AdamW",
                                             "activations", "total", "fits"], rows)]
    out.append(f"               largest batch_size that fits ({p['strategy']}): {p['max_batch_size']:,}")
    out += [f"  warning      {w}" for w in p["warnings"]]
    return "\n".join(out)


def _range(lo: float, hi: float, fmt) -> str:
    return f"{fmt(lo)}-{fmt(hi)}"


def render_build(p: dict, config: str) -> str:
    half, full = p["sample"]["half"], p["sample"]["full"]
    out = [f"Build plan: {config}, measured on a sample of {gb(full['text_bytes'])} of input text (and a half sample "
           f"of {gb(half['text_bytes'])}), extrapolated to the full input",
           f"  input        {gb(p['input_bytes'])} stored in {p['files']:,} files (~{gb(p['input_text_bytes_estimate'])} of "
           f"text), {p['splits']:,} splits, {p['buckets']:,} key bucket(s) per dedup stage",
           f"  output       {human(p['output_tokens'])} tokens (range {_range(*p['output_tokens_range'], human)}): "
           f"{human(p['train_tokens'])} train + {human(p['validation_tokens'])} validation"]
    rows = [[name, gb(s["input_bytes"]), f"{s['keep_rate_documents']:.1%}", f"{s['keep_rate_tokens']:.1%}",
             f"{s['duplicate_rate']:.1%} -> {s['duplicate_rate_full_size']:.1%} (<= "
             f"{s['duplicate_rate_full_size_range'][1]:.1%})",
             f"{s['rejected_rate']:.1%}", human(s["output_tokens"]), _range(*s["output_tokens_range"], human)]
            for name, s in p["sources"].items()]
    headers = ["source", "input", "docs kept", "tokens kept", "duplicates: sample -> full size", "filtered",
               "output tokens", "range"]
    out += ["    " + line for line in _rows(headers, rows)]
    by_pass = ", ".join(f"{k} {v:,.3g}" for k, v in p["cpu_hours_by_pass"].items())
    mem = p["peak_memory_bytes"]
    folders = ", ".join(f"{k} {gb(v)}" for k, v in p["output_bytes_by_folder"].items() if v > 10**6)
    hours = lambda x: f"{x:,.3g}"
    out += [f"  CPU          {p['cpu_hours']:,.3g} CPU-hours (range {_range(*p['cpu_hours_range'], hours)}); "
            f"timed passes: {by_pass}",
            f"  wall time    {duration(p['wall_hours'])} on {p['workers']:,} worker(s) (range "
            f"{_range(*p['wall_hours_range'], duration)}; one worker: {duration(p['wall_hours_one_worker'])}; "
            f"start-up {p['fixed_seconds']['wall']:.0f} s)",
            f"  shuffle      {gb(p['shuffle_bytes'])} between workers (decisions and counts only)",
            f"  memory       {gb(mem['per_worker'])} per worker (the sample's peak; half sample {gb(mem['half_sample'])}); "
            f"the local runner, which keeps shuffles in memory: ~{gb(mem['local_runner_full_size'])} at full size",
            f"  disk         {gb(p['output_bytes'])} of output ({folders}); ~{gb(p['scratch_bytes'])} of scratch "
            f"under OUT/.tmp while it runs",
            f"  shards       shards.train: {p['recommended_shards_train']:,} recommended",
            f"  uncertainty  between the half and the full sample, CPU per input byte moved "
            f"{p['uncertainty']['pass_cpu_per_byte_spread']:.1%} and kept tokens per byte up to "
            f"{p['uncertainty']['tokens_sampling_spread']:.1%}, and wall time per CPU second (this machine's load) "
            f"{p['uncertainty']['wall_per_cpu_spread']:.1%}: the ranges above",
            "               deduplication finds more the larger the corpus: the low ends continue the duplicate rate's",
            "               growth between the two samples up to the full size; a prefix sample misses duplicates spread",
            "               across distant files, so expect the lower side"]
    out += [f"  warning      {w}" for w in p["warnings"]]
    return "\n".join(out)
