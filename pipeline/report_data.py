"""The report.json keys behind report.html's samples, distributions and run overview (pure).

Added by the commit step next to the counts (all new keys; nothing older changes):

  "samples":       {source: {stage: {reason: [sample, ...]}}}: removed documents (stage "kept" for kept
                   ones), each an excerpt with its evidence (pipeline.report_parts.sample_of); a near
                   duplicate's sample holds its survivor's under "survivor"
  "distributions": {"measures": {name: {"label", "edges", "scale"}},
                    "sources": {source: {measure: {"before": [counts], "after": [counts]}}},
                    "languages": {source: {"before": {lang: n}, "after": {lang: n}}},
                    "thresholds": {source: {measure: [{"value": v, "name": "filter.parameter"}]}}}
  "stage_order":   {source: [stage, ...]}: the order the stages and filters ran in (the funnel's order)
  "config_sha256": the hash of the configuration (report["config"], canonical JSON)
  "report_settings": the samples / excerpt settings the run used
"""
from __future__ import annotations

import hashlib
import json
import logging

from pipeline.dataset.shard_stats import ShardStats
from pipeline.distributions import MEASURES, measure_for
from pipeline.document import STAGE_DEDUP_EXACT, STAGE_DEDUP_LINES, STAGE_DEDUP_NEAR, STAGE_DEDUP_URL, STAGE_READ, filter_stage
from pipeline.report_parts import HIST, LANG, SAMPLE, SURVIVOR

LOG = logging.getLogger("tokenmill")


def config_sha256(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def stage_order(cfg) -> dict[str, list[str]]:
    """Per source, the stages in the order they run (the funnel's rows)."""
    out = {}
    for source in cfg.sources:
        stages = [STAGE_READ]
        stages += [s for s, on in ((STAGE_DEDUP_URL, cfg.dedup.url), (STAGE_DEDUP_EXACT, cfg.dedup.exact),
                                   (STAGE_DEDUP_LINES, cfg.dedup.lines)) if on]
        stages += [filter_stage(spec["name"]) for spec in cfg.filters_for(source) if isinstance(spec, dict)]
        if cfg.dedup.near:
            stages.append(STAGE_DEDUP_NEAR)
        out[source.name] = stages
    return out


def filter_thresholds(cfg) -> dict[str, dict[str, list[dict]]]:
    """Per source, the thresholds its filters compare each measure with."""
    out: dict[str, dict] = {}
    built: dict[str, dict] = {}
    for source in cfg.sources:
        specs = cfg.filters_for(source) or []
        key = json.dumps(specs, sort_keys=True, default=str)
        if key not in built:
            built[key] = _chain_thresholds(specs)
        if built[key]:
            out[source.name] = built[key]
    return out


def _chain_thresholds(specs: list) -> dict:
    if not specs:
        return {}
    try:
        from filters.chain import FilterChain

        lines = FilterChain(specs).thresholds()
    except Exception as e:  # a report without threshold lines is better than no report
        LOG.warning("report: no threshold lines (%s)", e)
        return {}
    return {m: [{"value": v, "name": n} for v, n in values] for m, values in sorted(lines.items())}


def samples_section(parts: list) -> dict:
    samples: dict = {}
    survivors = {key[1:]: {t[1]: t[2] for t in part.items} for key, part in parts if key[0] == SURVIVOR}
    for key, part in parts:
        if key[0] != SAMPLE:
            continue
        _, source, stage, reason = key
        found = survivors.get((source, stage, reason), {})
        entries = []
        for _, doc_id, sample in part.items:
            entry = dict(sample)
            if doc_id in found:
                entry["survivor"] = found[doc_id]
            entries.append(entry)
        samples.setdefault(source, {}).setdefault(stage, {})[reason] = entries
    return samples


def distributions_section(parts: list, thresholds: dict) -> dict:
    sources: dict = {}
    languages: dict = {}
    used = set()
    for key, part in parts:
        if key[0] == HIST:
            _, source, phase, measure = key
            sources.setdefault(source, {}).setdefault(measure, {})[phase] = list(part.counts)
            used.add(measure)
        elif key[0] == LANG:
            _, source, phase = key
            languages.setdefault(source, {})[phase] = dict(sorted(part.counts.items(), key=lambda kv: (-kv[1], kv[0])))
    measures = {}
    for name in sorted(used, key=lambda n: (list(MEASURES).index(n) if n in MEASURES else len(MEASURES), n)):
        m = measure_for(name)
        measures[name] = {"label": m.label, **m.bins.to_json()}
    return {"measures": measures, "sources": sources, "languages": languages, "thresholds": thresholds}


def shard_summary(shard_stats: list[ShardStats]) -> dict[str, dict]:
    """Per split: the number of shards and the smallest, median and largest shard in tokens."""
    out = {}
    for split in sorted({s.split for s in shard_stats}):
        tokens = sorted(s.tokens for s in shard_stats if s.split == split)
        out[split] = {"num_shards": len(tokens),
                      "shard_tokens": {"min": tokens[0], "median": tokens[len(tokens) // 2], "max": tokens[-1]}}
    return out


def report_sections(cfg, report_parts: list, config: dict) -> dict:
    """The keys this module adds to report.json (see the module docstring)."""
    parts = sorted(((tuple(k), v) for k, v in report_parts), key=lambda kv: kv[0])
    return {
        "samples": samples_section(parts),
        "distributions": distributions_section(parts, filter_thresholds(cfg)),
        "stage_order": stage_order(cfg),
        "config_sha256": config_sha256(config),
        "report_settings": cfg.report.model_dump(mode="json") | {"rejects_text_fraction": cfg.rejects_text_fraction},
    }


_STAGE_RANK = {STAGE_READ: 0, STAGE_DEDUP_URL: 1, STAGE_DEDUP_EXACT: 2, STAGE_DEDUP_LINES: 3, STAGE_DEDUP_NEAR: 9}


def ordered_stages(present, order=()) -> list[str]:
    """Stages in the order they ran: the run's `stage_order` first, then any other (a report from before
    it was recorded, a stage it does not know) by its usual place, filters before near dedup."""
    order = list(order or ())
    rest = sorted(set(present) - set(order), key=lambda s: (_STAGE_RANK.get(s, 5 if s.startswith("filter:") else 6), s))
    merged = []
    for stage in order + rest:
        if stage not in merged:
            merged.append(stage)
    near = [s for s in merged if s == STAGE_DEDUP_NEAR]  # always last: it runs on the curated documents
    return [s for s in merged if s != STAGE_DEDUP_NEAR] + near


UNKNOWN_STAGE = "rejected"  # where a report from before rejected_by_stage files its rejections


def rejected_by_stage(stats: dict) -> tuple[dict, dict]:
    """({stage: {reason: documents}}, {stage: {reason: tokens}}), from an older report's reasons alone too."""
    if stats.get("rejected_by_stage") or not stats.get("rejected_by_reason"):
        return stats.get("rejected_by_stage") or {}, stats.get("rejected_tokens_by_stage") or {}
    tokens = stats.get("removed_tokens_by_reason") or {}
    return ({UNKNOWN_STAGE: dict(stats["rejected_by_reason"])},
            {UNKNOWN_STAGE: {r: tokens.get(r, 0) for r in stats["rejected_by_reason"]}})


def removed_by_stage(stats: dict) -> dict[str, tuple[int, int]]:
    """{stage: (documents, tokens)} removed, from a report's per-source counts (unreadable under read)."""
    out: dict[str, list[int]] = {}
    by_stage, tokens_by_stage = rejected_by_stage(stats)
    for stage, reasons in by_stage.items():
        tokens = tokens_by_stage.get(stage, {})
        row = out.setdefault(stage, [0, 0])
        row[0] += sum(int(n) for n in reasons.values())
        row[1] += sum(int(n) for n in tokens.values())
    for label, n in (stats.get("duplicates_by_reason") or {}).items():
        stage = label.partition(":")[0]
        row = out.setdefault(stage, [0, 0])
        row[0] += int(n)
        row[1] += int((stats.get("removed_tokens_by_reason") or {}).get(label, 0))
    if stats.get("unreadable"):
        out.setdefault(STAGE_READ, [0, 0])[0] += int(stats["unreadable"])
    return {stage: (d, t) for stage, (d, t) in out.items()}


def funnel(stats: dict, order=()) -> list[dict]:
    """The documents and tokens in, then left after each stage: [{"stage", "documents", "tokens",
    "removed_documents", "removed_tokens"}]; the first row is what was read (tokens: kept + removed, as
    counted where each document was kept or removed; unreadable records have none)."""
    removed = removed_by_stage(stats)
    docs = int(stats.get("read") or 0)
    tokens = int(stats.get("kept_tokens") or 0) + sum(t for _, t in removed.values())
    rows = [{"stage": "input", "documents": docs, "tokens": tokens, "removed_documents": 0, "removed_tokens": 0}]
    for stage in ordered_stages(removed, order):
        d, t = removed.get(stage, (0, 0))
        docs, tokens = docs - d, tokens - t
        rows.append({"stage": stage, "documents": docs, "tokens": tokens, "removed_documents": d, "removed_tokens": t})
    return rows


def total_funnel(sources: dict, stage_orders: dict) -> list[dict]:
    """The funnel of all sources together, stage by stage (each source's stages in its own order)."""
    order: list[str] = []
    for name in sources:
        for stage in ordered_stages(removed_by_stage(sources[name]), (stage_orders or {}).get(name, ())):
            if stage not in order:
                order.append(stage)
    order = ordered_stages(order, order)
    rows: dict[str, dict] = {}
    for name, stats in sources.items():
        by_stage = {r["stage"]: r for r in funnel(stats, order)}
        for stage in ["input"] + order:
            r = by_stage[stage]
            acc = rows.setdefault(stage, {"stage": stage, "documents": 0, "tokens": 0, "removed_documents": 0,
                                          "removed_tokens": 0})
            for k in ("documents", "tokens", "removed_documents", "removed_tokens"):
                acc[k] += r[k]
    return [rows[s] for s in ["input"] + order] if rows else []
