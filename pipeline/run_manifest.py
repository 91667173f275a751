"""The manifest of a run, from the shard writer's stats, the per-source report and, with a mix, what the
mix sampled; and the reason a run must not be committed when its train split holds no complete row."""
from __future__ import annotations

from typing import Optional

from mixers.table import SampledMix
from pipeline.dataset.format import TRAIN, VALIDATION
from pipeline.dataset.manifest import Manifest, MixRow, SplitEntry, TokenizerEntry
from pipeline.dataset.shard_stats import ShardStats
from pipeline.run_report import SourceReport


def _natural_targets(source_report: dict[str, SourceReport]) -> dict[str, float]:
    total = sum(s.kept_tokens for s in source_report.values()) or 1
    return {name: s.kept_tokens / total for name, s in source_report.items()}


def mix_rows(source_names: list[str], shard_stats: list[ShardStats], source_report: dict[str, SourceReport],
             sampled_mix: Optional[dict[str, SampledMix]]) -> dict[str, MixRow]:
    """One row per source (in config order): documents and tokens in the output (copies counted), target
    and realized fraction of output tokens (document tokens, EOS included, before tails are dropped),
    repeats = output tokens per kept token. Targets are the mix's, else each source's share of the kept
    tokens; with a mix, the row also has what the mix sampled."""
    out_docs: dict[str, int] = {}
    out_tokens: dict[str, int] = {}
    for s in shard_stats:
        for name, share in s.sources.items():
            out_docs[name] = out_docs.get(name, 0) + share.documents
            out_tokens[name] = out_tokens.get(name, 0) + share.tokens
    total = sum(out_tokens.values()) or 1
    targets = _natural_targets(source_report)
    if sampled_mix:
        targets = {name: row.target_fraction for name, row in sampled_mix.items()}
    rows = {}
    for name in source_names:
        source = source_report.get(name, SourceReport())
        sampled = (sampled_mix or {}).get(name)
        rows[name] = MixRow(
            documents=out_docs.get(name, 0),
            tokens=out_tokens.get(name, 0),
            available_documents=source.kept,
            available_tokens=source.kept_tokens,
            target_fraction=round(targets.get(name, 0.0), 6),
            realized_fraction=round(out_tokens.get(name, 0) / total, 6),
            repeats=round(out_tokens.get(name, 0) / source.kept_tokens, 6) if source.kept_tokens else 0.0,
            documents_sampled=sampled.documents_sampled if sampled else None,
            tokens_sampled=sampled.tokens_sampled if sampled else None,
            target_tokens=sampled.target_tokens if sampled else None)
    return rows


def build_manifest(cfg, tokenizer, tokenizer_sha256: str, shard_stats: list[ShardStats],
                   source_report: dict[str, SourceReport],
                   sampled_mix: Optional[dict[str, SampledMix]] = None) -> Manifest:
    """`cfg`: the run's PipelineConfig; `tokenizer`: its DocumentTokenizer (vocabulary, EOS id, dtype)."""
    by_split = {TRAIN: [], VALIDATION: []}
    for s in shard_stats:
        by_split[s.split].append(s.entry())
    return Manifest(
        seq_len=cfg.seq_len,
        dtype=tokenizer.dtype.name,
        tokenizer=TokenizerEntry(sha256=tokenizer_sha256, vocab_size=tokenizer.vocab_size, eos_id=tokenizer.eos_id,
                                 eos=cfg.tokenizer.eos, file="tokenizer.json"),
        seed=cfg.seed,
        validation_fraction=cfg.validation_fraction,
        splits={name: SplitEntry.of_shards(tuple(entries)) for name, entries in by_split.items()},
        sources=mix_rows([s.name for s in cfg.sources], shard_stats, source_report, sampled_mix),
    )


def empty_train_problem(shard_stats: list[ShardStats], seq_len: int) -> str | None:
    """Why the train split holds no complete row, or None when it holds one."""
    train = [s for s in shard_stats if s.split == TRAIN]
    if sum(s.rows for s in train):
        return None
    documents = sum(s.documents for s in train)
    if not documents:
        return "the train split holds no row: no document reached it (all were removed, unreadable or held out)"
    return (f"the train split holds no complete row: all {documents:,} of its documents "
            f"({sum(s.dropped_tail_tokens for s in train):,} tokens) fell in the dropped tails of its "
            f"{len(train)} shard(s), each of which drops its final partial row of seq_len + 1 = {seq_len + 1:,} "
            f"tokens; lower seq_len or shards.train, or add data")
