"""Samples for the report of a dataset built before report.json recorded them: the same choice (the k
smallest hashes of (seed, id) per source, stage and reason) made from rejects/*.parquet and, for kept
documents and near duplicates' survivors, curated/*.parquet. Streams the files in batches and keeps k
entries per key, so memory does not grow with the dataset. Evidence marks cannot be recovered.
"""
from __future__ import annotations

from pipeline.document import STAGE_DEDUP_NEAR, Document
from pipeline.report_parts import KEPT, SAMPLE, SURVIVOR, TopK, sample_hash, sample_of
from pipeline.report_data import samples_section

BATCH_ROWS = 4096


def _rows(open_file, path: str, columns: list[str]):
    import pyarrow.parquet as pq

    with open_file(path) as f:
        pf = pq.ParquetFile(f)
        names = set(pf.schema_arrow.names)
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=[c for c in columns if c in names]):
            yield from batch.to_pylist()


def backfill_samples(out_dir: str, join, list_names, open_file, seed: int, samples: int = 5, kept_samples: int = 3,
                     excerpt_chars: int = 2000) -> dict:
    """report["samples"] for an existing dataset (see the module docstring)."""
    parts: dict[tuple, TopK] = {}
    wanted: dict[str, list[tuple[str, str, str]]] = {}  # survivor id -> [(source, stage, reason)] of its duplicates
    for name in list_names(join(out_dir, "rejects")):
        if not name.endswith(".parquet"):
            continue
        for row in _rows(open_file, join(out_dir, "rejects", name),
                         ["id", "source", "stage", "reason", "duplicate_of", "score", "url", "text"]):
            if row.get("text") is None or not samples:
                continue
            doc = Document(row["id"], row["source"], row["text"], row.get("url"),
                           {"reject_score": row["score"]} if row.get("score") is not None else {})
            top = parts.setdefault((SAMPLE, row["source"], row["stage"], row["reason"]), TopK(samples))
            top.offer(sample_hash(seed, doc.id), doc.id,
                      lambda: sample_of(doc, None, excerpt_chars, duplicate_of=row.get("duplicate_of")))
    for key, top in parts.items():
        if key[2] == STAGE_DEDUP_NEAR:
            for _, removed_id, sample in top.items:
                if sample.get("duplicate_of"):
                    wanted.setdefault(sample["duplicate_of"], []).append((key[1], key[3], removed_id))
    for name in list_names(join(out_dir, "curated")):
        if not name.endswith(".parquet"):
            continue
        for row in _rows(open_file, join(out_dir, "curated", name), ["id", "source", "text", "url", "language"]):
            doc = Document(row["id"], row["source"], row["text"] or "", row.get("url"),
                           {"language": row["language"]} if row.get("language") else {})
            if kept_samples:
                top = parts.setdefault((SAMPLE, doc.source, KEPT, KEPT), TopK(kept_samples))
                top.offer(sample_hash(seed, doc.id), doc.id, lambda: sample_of(doc, None, excerpt_chars))
            for source, reason, removed_id in wanted.get(doc.id, ()):
                top = parts.setdefault((SURVIVOR, source, STAGE_DEDUP_NEAR, reason), TopK(samples))
                top.offer(sample_hash(seed, removed_id), removed_id, lambda: sample_of(doc, None, excerpt_chars))
    return samples_section(sorted(parts.items(), key=lambda kv: kv[0]))
