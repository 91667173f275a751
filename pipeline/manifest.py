"""manifest.json (the contract's "manifest.json" section): built from the shard stats, read back and
checked by `tokenmill verify`, `inspect` and the trainer. Holds no timestamps, so the same config gives
the same manifest."""
from __future__ import annotations

from pipeline.shard_layout import TRAIN, VALIDATION

FORMAT = "tokenmill.shards/1"


def _split_block(stats: list[dict]) -> dict:
    keys = ("path", "rows", "tokens", "dropped_tail_tokens", "dropped_tail_documents", "xxh64", "documents")
    shards = [{k: s[k] for k in keys} for s in stats]
    return {
        "rows": sum(s["rows"] for s in stats),
        "tokens": sum(s["tokens"] for s in stats),
        "documents": sum(s["documents"] for s in stats),
        "dropped_tail_tokens": sum(s["dropped_tail_tokens"] for s in stats),
        "dropped_tail_documents": sum(s["dropped_tail_documents"] for s in stats),
        "shards": shards,
    }


def _natural_targets(source_report: dict) -> dict[str, float]:
    total = sum(s["kept_tokens"] for s in source_report.values()) or 1
    return {name: s["kept_tokens"] / total for name, s in source_report.items()}


def source_mix(cfg, shard_stats: list[dict], source_report: dict, mix_table: dict | None) -> dict:
    """Per source: documents and tokens in the output (copies counted), target and realized fraction of
    output tokens (document tokens, EOS included, before tails are dropped), repeats = output tokens per
    kept token."""
    out_docs: dict[str, int] = {}
    out_tokens: dict[str, int] = {}
    for s in shard_stats:
        for name, c in s["sources"].items():
            out_docs[name] = out_docs.get(name, 0) + c["documents"]
            out_tokens[name] = out_tokens.get(name, 0) + c["tokens"]
    total = sum(out_tokens.values()) or 1
    targets = _natural_targets(source_report)
    if mix_table:
        targets = {name: row.get("target_fraction", targets.get(name, 0.0)) for name, row in mix_table.items()}
    table = {}
    for src in cfg.sources:
        name = src.name
        kept = source_report.get(name, {}).get("kept_tokens", 0)
        row = {
            "documents": out_docs.get(name, 0),
            "tokens": out_tokens.get(name, 0),
            "available_documents": source_report.get(name, {}).get("kept", 0),
            "available_tokens": kept,
            "target_fraction": round(targets.get(name, 0.0), 6),
            "realized_fraction": round(out_tokens.get(name, 0) / total, 6),
            "repeats": round(out_tokens.get(name, 0) / kept, 6) if kept else 0.0,
        }
        if mix_table and name in mix_table:
            row.update({k: v for k, v in mix_table[name].items() if k not in row})
        table[name] = row
    return table


def build_manifest(cfg, tokenizer, tokenizer_sha256: str, shard_stats: list[dict], source_report: dict,
                   mix_table: dict | None = None) -> dict:
    by_split = {TRAIN: [], VALIDATION: []}
    for s in shard_stats:
        by_split[s["split"]].append(s)
    return {
        "format": FORMAT,
        "seq_len": cfg.seq_len,
        "dtype": tokenizer.dtype.name,
        "tokenizer": {"sha256": tokenizer_sha256, "vocab_size": tokenizer.vocab_size, "eos_id": tokenizer.eos_id,
                      "eos": cfg.tokenizer.eos, "file": "tokenizer.json"},
        "seed": cfg.seed,
        "validation_fraction": cfg.validation_fraction,
        "splits": {name: _split_block(stats) for name, stats in by_split.items()},
        "sources": source_mix(cfg, shard_stats, source_report, mix_table),
    }


def empty_train_problem(shard_stats: list[dict], seq_len: int) -> str | None:
    """Why the train split holds no complete row, or None when it holds one."""
    train = [s for s in shard_stats if s["split"] == "train"]
    if sum(s["rows"] for s in train):
        return None
    documents = sum(s["documents"] for s in train)
    if not documents:
        return "the train split holds no row: no document reached it (all were removed, unreadable or held out)"
    return (f"the train split holds no complete row: all {documents:,} of its documents "
            f"({sum(s['dropped_tail_tokens'] for s in train):,} tokens) fell in the dropped tails of its "
            f"{len(train)} shard(s), each of which drops its final partial row of seq_len + 1 = {seq_len + 1:,} "
            f"tokens; lower seq_len or shards.train, or add data")
