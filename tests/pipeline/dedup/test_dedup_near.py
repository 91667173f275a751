"""Near-duplicate removal on real documents with edited copies, through the real pipeline (curate pass
writes signatures and band keys, DecideNear verifies candidates per band bucket and joins clusters, the
tokenize pass rejects the non-survivors); and the bucket scan of the reducer on its own."""
import dataclasses
from collections import Counter

import numpy as np
import pytest

from pipeline.document import STAGE_DEDUP_NEAR, Document
from pipeline.transforms.curate_pass import BAND_ENTRY
from pipeline.transforms.dedup_near import lsh_buckets
from tests.pipeline.stage_runner import run_documents

from .real_docs import replace_words, speeches


def _copy(doc, new_id, fraction, seed):
    return dataclasses.replace(doc, id=new_id, text=replace_words(doc.text, fraction, seed))


def _corpus():
    originals = speeches(800)[:16]
    a, b, c = originals[0], originals[1], originals[2]
    copies = [
        _copy(a, a.id + "~copy1", 0.01, 1),   # three near copies of a: one cluster, a survives
        _copy(a, a.id + "~copy2", 0.012, 2),
        _copy(a, a.id + "~copy3", 0.01, 3),
        _copy(b, "0-first-" + b.id, 0.01, 4),  # a near copy of b whose id sorts first: it survives
        _copy(c, c.id + "~far", 0.35, 5),     # too different to be a duplicate
        Document("punctuation-only", "web", "!!! ??? ..."),  # no words, no shingles: always kept
        Document("x", "web", "short text with a url", "https://x.org"),  # kept as it was read
    ]
    expected_rejects = [
        (a.id + "~copy1", a.id), (a.id + "~copy2", a.id), (a.id + "~copy3", a.id), (b.id, "0-first-" + b.id)]
    return originals + copies, expected_rejects


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """The corpus in input order and reversed, 4 rounds of connected components."""
    docs, expected_rejects = _corpus()
    tmp = tmp_path_factory.mktemp("dedup-near")
    runs = [run_documents(ordering, tmp, name=name, seed=1234, dedup={"near": {"max_rounds": 4}})
            for name, ordering in (("in-order", docs), ("reversed", docs[::-1]))]
    return docs, expected_rejects, runs


def test_near_copies_are_removed_with_the_id_of_their_survivor_whatever_the_order(outcomes):
    docs, expected_rejects, runs = outcomes
    removed = {doc_id for doc_id, _ in expected_rejects}
    for run in runs:
        assert set(run.kept) == {d.id for d in docs if d.id not in removed}
        assert run.rejected == sorted((i, STAGE_DEDUP_NEAR, "near_duplicate", s) for i, s in expected_rejects)
        removed_per_source = Counter(d.source for d in docs if d.id in removed)
        for source, report in run.report["sources"].items():
            n = removed_per_source[source]
            assert report["duplicates_by_reason"] == ({"dedup_near:near_duplicate": n} if n else {})
        assert run.counters["dedup_near/verified_pairs"] <= run.counters["dedup_near/candidate_pairs"]
        assert run.counters["dedup_near/documents_without_shingles"] == 1  # punctuation-only
    assert runs[0].kept == runs[1].kept


def test_kept_documents_are_unchanged(outcomes):
    docs, _, runs = outcomes
    by_id = {d.id: d for d in docs}
    for run in runs:
        for doc_id, row in run.kept.items():
            doc = by_id[doc_id]
            assert (row["source"], row["text"], row["url"]) == (doc.source, doc.text, doc.url)


def test_defaults_and_verification_counters(tmp_path):
    """Default config (14 x 8 bands, 32 unrolled rounds); a chain of copies, each 1.5% of words away
    from the previous one, ends in one cluster although its two ends are far apart."""
    base = speeches(800)[20]
    chain, text = [base], base.text
    for i in range(4):
        text = replace_words(text, 0.015, 100 + i)
        chain.append(dataclasses.replace(base, id=f"{base.id}~{i}", text=text))
    docs = chain + speeches(800)[21:26]
    run = run_documents(docs, tmp_path, seed=7, dedup={"near": True})
    assert run.rejected == [(d.id, STAGE_DEDUP_NEAR, "near_duplicate", base.id) for d in chain[1:]]
    assert run.report["sources"][base.source]["duplicates"] == 4
    assert run.counters["dedup_near/verified_pairs"] <= run.counters["dedup_near/candidate_pairs"]
    assert run.counters["dedup_near/verified_pairs"] >= 4  # at least a spanning tree of the chain


def _entries(rows):
    return np.array(rows, dtype=BAND_ENTRY)


def test_lsh_buckets_are_runs_of_equal_band_and_hash_with_two_or_more_members():
    # (band, hash, row) entries of three splits; the same hash in another band is another bucket.
    per_split = [
        _entries([(0, 7, 0), (1, 9, 0), (0, 5, 1), (1, 7, 1)]),
        _entries([(0, 7, 0), (1, 9, 0), (0, 6, 1)]),
        _entries([(0, 7, 3), (2, 2**63 + 1, 4)]),
    ]
    entries = np.concatenate(per_split)
    splits = np.concatenate([np.full(len(e), s, dtype=np.int64) for s, e in enumerate(per_split)])
    order = np.random.default_rng(0).permutation(len(entries))  # input order does not matter
    found = sorted(sorted(zip(s.tolist(), r.tolist())) for s, r in lsh_buckets(entries[order], splits[order]))
    assert found == [[(0, 0), (1, 0)], [(0, 0), (1, 0), (2, 3)]]  # band 1 hash 9; band 0 hash 7
    assert list(lsh_buckets(_entries([]), np.empty(0, dtype=np.int64))) == []
    assert list(lsh_buckets(_entries([(0, 1, 0), (0, 2, 0)]), np.array([0, 1]))) == []
