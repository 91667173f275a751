"""Side outputs: curated/*.parquet (kept documents and their signals), rejects/*.parquet (every dropped
document, with the score behind a filter's drop; text kept for a hashed sample), errors/*.jsonl
(unreadable records)."""
from __future__ import annotations

import json

import pyarrow as pa

from pipeline.hashing import unit_interval

# Signals with a column of their own; any other signal goes into the JSON column `signals`.
SIGNAL_COLUMNS = {"language": pa.string(), "language_score": pa.float64(), "quality_score": pa.float64()}

CURATED_SCHEMA = pa.schema(
    [("id", pa.string()), ("source", pa.string()), ("text", pa.string()), ("url", pa.string())]
    + list(SIGNAL_COLUMNS.items()) + [("signals", pa.string())]
)
REJECTS_SCHEMA = pa.schema([
    ("id", pa.string()), ("source", pa.string()), ("stage", pa.string()), ("reason", pa.string()),
    ("duplicate_of", pa.string()), ("score", pa.float64()), ("url", pa.string()), ("text", pa.string()),
])


def curated_row(doc) -> dict:
    row = {"id": doc.id, "source": doc.source, "text": doc.text, "url": doc.url}
    for name in SIGNAL_COLUMNS:
        row[name] = doc.signals.get(name)
    rest = {k: v for k, v in doc.signals.items() if k not in SIGNAL_COLUMNS}
    row["signals"] = json.dumps(rest, sort_keys=True) if rest else None
    return row


def keeps_text(seed: int, doc_id: str, text_fraction: float) -> bool:
    """Whether rejects/ (and so report.html's samples) keep this rejected document's text."""
    return text_fraction >= 1 or unit_interval(seed, "reject-text", doc_id) < text_fraction


def reject_row(rej, seed: int, text_fraction: float) -> dict:
    keep_text = keeps_text(seed, rej.doc.id, text_fraction)
    return {"id": rej.doc.id, "source": rej.doc.source, "stage": rej.stage, "reason": rej.reason,
            "duplicate_of": rej.duplicate_of, "score": rej.doc.signals.get("reject_score"), "url": rej.doc.url, "text": rej.doc.text if keep_text else None}


def error_line(err) -> str:
    return json.dumps({"source": err.source, "file": err.file, "position": err.position, "error": err.error},
                      ensure_ascii=False)
