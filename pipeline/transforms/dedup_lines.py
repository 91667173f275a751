"""Repeated-line removal as decisions: which frequent lines does each split hold.

  CountLines (a pass): each split's documents that survived URL and exact dedup -> occurrences per distinct
      line key (pipeline.dedup.lines.line_key, 128 bits) summed over the split -> the split's key bucket
      file (numpy arrays: key halves and counts; a line's bucket is its key's first 8 bytes mod buckets)
  DecideFrequentLines: per bucket, every split's counts summed per line; a line seen more than
      `max_occurrences` times corpus-wide is frequent, and each split holding it receives its key
      (split, ("lines", key)) - one decision per (split, frequent line), not per document.

The curate pass then removes the frequent lines from each document (pipeline.dedup.lines.remove_lines) and
rejects a document left shorter than `min_chars_after` as `too_short_after_line_dedup`. Counting per split
first keeps a reducer's input to one row per distinct line per split.
"""
from __future__ import annotations

import pickle

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from pipeline.config import LineDedupConfig
from pipeline.dedup.lines import line_counts
from pipeline.spill import SpillPaths, read_records, write_buckets
from pipeline.transforms.progress import PassProgress, TimedDoFn
from pipeline.transforms.tags import DUPS, LINES, SPLIT

_KEY = np.dtype([("hi", "<u8"), ("lo", "<u8")])


def _key_rows(keys: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(keys), dtype=_KEY) if keys else np.empty(0, dtype=_KEY)


def _aggregate(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows with equal keys merged, counts summed; sorted by key."""
    if not len(keys):
        return keys, counts
    order = np.lexsort((keys["lo"], keys["hi"]))
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[starts], np.add.reduceat(counts, starts)


def split_line_counts(texts, buckets: int, chunk_lines: int = 200_000) -> list[bytes]:
    """Per bucket, pickled (keys, counts) of the distinct lines of these texts, counts summed. Lines are
    gathered in numpy chunks of `chunk_lines` (24 bytes a distinct line), not in one Python dict, so a big
    split costs 24 bytes per distinct line."""
    chunks: list[tuple[np.ndarray, np.ndarray]] = []
    keys: list[bytes] = []
    counts: list[int] = []

    def flush():
        if keys:
            chunks.append(_aggregate(_key_rows(keys), np.asarray(counts, dtype=np.int64)))
            keys.clear()
            counts.clear()

    for text in texts:
        for key, n in line_counts(text).items():
            keys.append(key)
            counts.append(n)
        if len(keys) >= chunk_lines:
            flush()
    flush()
    if chunks:
        all_keys, all_counts = _aggregate(np.concatenate([k for k, _ in chunks]), np.concatenate([c for _, c in chunks]))
    else:
        all_keys, all_counts = _key_rows([]), np.empty(0, dtype=np.int64)
    which = all_keys["hi"] % np.uint64(buckets)
    return [pickle.dumps((all_keys[which == b], all_counts[which == b]), protocol=pickle.HIGHEST_PROTOCOL)
            for b in range(buckets)]


def frequent_lines(per_split: list[tuple[np.ndarray, np.ndarray]], max_occurrences: int):
    """(split, key bytes) for each split holding a line whose summed count exceeds max_occurrences."""
    keys = np.concatenate([k for k, _ in per_split]) if per_split else np.empty(0, dtype=_KEY)
    if not len(keys):
        return
    counts = np.concatenate([c for _, c in per_split])
    splits = np.concatenate([np.full(len(k), s, dtype=np.int64) for s, (k, _) in enumerate(per_split)])
    order = np.lexsort((keys["lo"], keys["hi"]))
    keys, counts, splits = keys[order], counts[order], splits[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    sums = np.add.reduceat(counts, starts)
    group_of_row = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(keys))))
    for row in np.flatnonzero(sums[group_of_row] > max_occurrences):
        yield int(splits[row]), keys[row].tobytes()


class _CountLinesFn(TimedDoFn, beam.DoFn):
    CPU_CLOCK = "count_lines"
    def __init__(self, spill: SpillPaths):
        self.spill = spill

    def setup(self):
        self.progress = None

    def run(self, element, plan):
        number, grouped = element
        if self.progress is None:
            self.progress = PassProgress("count lines", plan.input_bytes, self.spill.progress)
        removed = {d[1] for d in grouped[DUPS]}
        texts = (doc.text for ordinal, doc in enumerate(read_records(self.spill.docs(number), self.progress.within_split(grouped[SPLIT][0][1])))
                 if ordinal not in removed and not self.progress.add(docs=1))
        write_buckets(self.spill.keys(LINES, number), split_line_counts(texts, plan.buckets))
        self.progress.add(nbytes=grouped[SPLIT][0][1])
        yield number


class _DecideFrequentFn(TimedDoFn, beam.DoFn):
    CPU_CLOCK = "dedup_lines"
    def __init__(self, spill: SpillPaths, max_occurrences: int):
        self.spill, self.max_occurrences = spill, max_occurrences

    def setup(self):
        self.frequent = Metrics.counter("dedup_lines", "distinct_lines_removed")

    def run(self, bucket, plan):
        per_split = self.spill.key_bucket(LINES, bucket, plan.splits)
        distinct = set()
        for split, key in frequent_lines(per_split, self.max_occurrences):
            distinct.add(key)
            yield split, (LINES, key)
        self.frequent.inc(len(distinct))


class CountLines(beam.PTransform):
    """Splits with their duplicate decisions in; split numbers out once each split's line counts are written."""

    def __init__(self, spill: SpillPaths, plan):
        super().__init__()
        self.spill, self.plan = spill, plan

    def expand(self, with_dups):
        return with_dups | "CountLinesPerSplit" >> beam.ParDo(_CountLinesFn(self.spill), beam.pvalue.AsSingleton(self.plan))


class DecideFrequentLines(beam.PTransform):
    def __init__(self, spill: SpillPaths, plan, cfg: LineDedupConfig):
        super().__init__()
        self.spill, self.plan, self.cfg = spill, plan, cfg

    def expand(self, buckets):
        return buckets | "FrequentLines" >> beam.ParDo(
            _DecideFrequentFn(self.spill, self.cfg.max_occurrences), beam.pvalue.AsSingleton(self.plan))
