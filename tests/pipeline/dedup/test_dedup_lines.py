"""Repeated-line removal on real documentation pages (navigation boilerplate), through the real pipeline
(count-lines pass, per-bucket DecideFrequentLines, curate pass), against the same computation done
directly with the pure functions; and the per-bucket reducer's pure helpers on their own."""
import pickle
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from pipeline.dedup.lines import line_counts, line_key, remove_lines
from pipeline.document import STAGE_DEDUP_LINES, Document
from pipeline.transforms.dedup_lines import frequent_lines, split_line_counts
from tests.pipeline.stage_runner import run_documents

from .real_docs import pydocs


def _rejected_texts(run) -> dict:
    return {row["id"]: row["text"] for path in sorted((Path(run.output) / "rejects").glob("*.parquet"))
            for row in pq.read_table(path).to_pylist()}


def test_lines_seen_more_than_k_times_are_removed_everywhere(tmp_path):
    docs = pydocs()[:40]
    boilerplate_only = Document("nav-only", "web", "Navigation\n\nReport a Bug\nShow Source\n")
    docs = docs + [boilerplate_only]
    max_occurrences = 6
    total = Counter()
    for d in docs:
        total.update(line_counts(d.text))
    frequent = {k for k, c in total.items() if c > max_occurrences}
    expected = {d.id: remove_lines(d.text, frequent)[0] for d in docs if d is not boilerplate_only}
    lines_removed = sum(remove_lines(d.text, frequent)[1] for d in docs)
    chars_removed = sum(remove_lines(d.text, frequent)[2] for d in docs)
    assert lines_removed > 40 * 10

    run = run_documents(docs, tmp_path, dedup={"lines": {"max_occurrences": max_occurrences, "min_chars_after": 1}})
    assert {i: row["text"] for i, row in run.kept.items()} == expected
    assert all(expected[d.id] != d.text for d in docs[:40])  # every page lost its boilerplate
    assert run.rejected == [("nav-only", STAGE_DEDUP_LINES, "too_short_after_line_dedup", None)]
    assert _rejected_texts(run) == {"nav-only": boilerplate_only.text}  # rejected as it was read
    web = run.report["sources"]["web"]
    assert (web["lines_removed"], web["line_chars_removed"]) == (lines_removed, chars_removed)
    assert web["duplicates_by_reason"] == {"dedup_lines:too_short_after_line_dedup": 1}  # a dedup stage
    assert run.counters["dedup_lines/lines_removed"] == lines_removed
    assert run.counters["dedup_lines/chars_removed"] == chars_removed
    assert run.counters["dedup_lines/documents_changed"] == len(docs)


def test_distinct_frequent_lines_are_counted(tmp_path):
    """DedupLines counted each frequent line once in dedup_lines/distinct_lines_removed; _DecideFrequentFn
    declares that counter but never increments it."""
    docs = [Document(f"d{i}", "s", f"menu\nfooter\nbody {i}") for i in range(4)]
    run = run_documents(docs, tmp_path, dedup={"lines": {"max_occurrences": 3}}, seq_len=1)
    assert run.report["sources"]["s"]["lines_removed"] == 8
    assert run.counters.get("dedup_lines/distinct_lines_removed") == 2


def test_the_limit_is_strict_and_short_untouched_documents_stay_whatever_the_order(tmp_path):
    docs = [Document(f"k{i}", "s", f"Cookie banner\nBody of document number {i}.") for i in range(3)]  # 3 times: kept
    docs += [Document(f"r{i}", "s", f"Subscribe now\nLong enough body of doc {i}.") for i in range(4)]
    docs += [Document("tiny", "s", "tiny"), Document("short-after", "s", "Subscribe now\nshort")]
    expected = {d.id: d.text for d in docs[:3]}
    expected |= {f"r{i}": f"Long enough body of doc {i}." for i in range(4)}
    expected["tiny"] = "tiny"
    cfg = {"lines": {"max_occurrences": 3, "min_chars_after": 20}}
    runs = [run_documents(ordering, tmp_path, name=name, dedup=cfg)
            for name, ordering in (("in-order", docs), ("reversed", docs[::-1]))]
    for run in runs:
        assert {i: row["text"] for i, row in run.kept.items()} == expected
        assert run.rejected == [("short-after", STAGE_DEDUP_LINES, "too_short_after_line_dedup", None)]
        assert run.report["sources"]["s"]["lines_removed"] == 5


def _by_bucket(texts_per_split, buckets):
    """per bucket: [(keys, counts) of each split], as the reducer of that bucket reads them."""
    files = [split_line_counts(texts, buckets) for texts in texts_per_split]
    return [[pickle.loads(f[b]) for f in files] for b in range(buckets)]


@pytest.mark.parametrize("buckets", [1, 3])
def test_frequent_lines_sums_counts_over_splits_and_names_every_split_holding_one(buckets):
    texts_per_split = [
        ["menu\nA body\nmenu", "footer\nB body"],  # split 0: menu x2, footer x1
        ["Menu\nfooter\nC body", "D body"],        # split 1: menu x1 (case folded), footer x1
        ["footer\n\nE body", "menu"],              # split 2: footer x1, menu x1
        [],                                        # split 3: nothing
    ]
    found = set()
    for per_split in _by_bucket(texts_per_split, buckets):
        found |= set(frequent_lines(per_split, max_occurrences=3))
    menu, footer = line_key("menu"), line_key("footer")
    assert found == {(0, menu), (1, menu), (2, menu)}  # menu: 4 > 3; footer: 3, not more than 3
    found = set()
    for per_split in _by_bucket(texts_per_split, buckets):
        found |= set(frequent_lines(per_split, max_occurrences=2))
    assert found == {(0, menu), (1, menu), (2, menu), (0, footer), (1, footer), (2, footer)}


def test_split_line_counts_puts_each_line_in_one_bucket_with_its_summed_count():
    texts = ["a\nb\nb\n\n", "B\nc", "   "]
    per_bucket = [pickle.loads(block) for block in split_line_counts(texts, 4)]
    seen = {}
    for b, (keys, counts) in enumerate(per_bucket):
        assert keys.dtype.names == ("hi", "lo") and counts.dtype == np.int64
        for k, n in zip(keys, counts):
            assert k["hi"] % 4 == b
            seen[k.tobytes()] = int(n)
    assert seen == {line_key("a"): 1, line_key("b"): 3, line_key("c"): 1}
    empty = pickle.loads(split_line_counts([], 1)[0])
    assert list(frequent_lines([], 1)) == [] and list(frequent_lines([empty, empty], 1)) == []
