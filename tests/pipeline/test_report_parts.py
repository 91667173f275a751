"""The report's combiners, without a runner: top-k by hash merges to the same choice however the documents
are split, histograms add up in fixed bins, excerpts are slices of the text around the evidence."""
import random

import pytest

from pipeline.distributions import AFTER, BEFORE, MEASURES, Bins, linear_bins, log_bins
from pipeline.document import Document, Evidence, Rejection
from pipeline.report_parts import (HIST, LANG, SAMPLE, SURVIVOR, Counts, Histogram, ReportCollector, TopK, copy_part,
                                   excerpt, merge_parts, sample_hash)
from pipeline.transforms.report_parts import MergeParts


def _top_k_of(ids, k, seed=7):
    return sorted(ids, key=lambda i: (sample_hash(seed, i), i))[:k]


def test_top_k_of_any_partition_merges_to_the_top_k_of_the_whole():
    ids = [f"doc-{i}" for i in range(300)]
    rng = random.Random(0)
    for trial in range(5):
        rng.shuffle(ids)
        cuts = sorted(rng.sample(range(1, len(ids)), 6))
        parts = []
        for lo, hi in zip([0] + cuts, cuts + [len(ids)]):
            top = TopK(5)
            for i in ids[lo:hi]:
                top.offer(sample_hash(7, i), i, lambda i=i: {"id": i})
            parts.append(top)
        merged = copy_part(parts[0])
        for p in parts[1:]:
            merge_parts(merged, p)
        assert [t[1] for t in merged.items] == _top_k_of(ids, 5)
        assert len(merged.items) == 5


def test_top_k_builds_a_sample_only_for_a_document_it_keeps():
    built = []
    top = TopK(2)
    for i in _top_k_of([f"d{i}" for i in range(50)], 50):  # ascending hash: only the first two are wanted
        top.offer(sample_hash(7, i), i, lambda i=i: built.append(i) or {"id": i})
    assert len(built) == 2 and [t[1] for t in top.items] == built


def test_the_combiner_does_not_mutate_its_inputs():
    a, b = Histogram([1, 2, 0]), Histogram([0, 1, 5])
    fn = MergeParts()
    acc = fn.add_input(fn.add_input(fn.create_accumulator(), a), b)
    assert acc.counts == [1, 3, 5] and a.counts == [1, 2, 0] and b.counts == [0, 1, 5]
    merged = fn.merge_accumulators([acc, None, fn.add_input(None, Histogram([1, 1, 1]))])
    assert merged.counts == [2, 4, 6] and acc.counts == [1, 3, 5]
    c = fn.merge_accumulators([fn.add_input(None, Counts({"en": 2})), fn.add_input(None, Counts({"en": 1, "de": 4}))])
    assert c.counts == {"en": 3, "de": 4}


def test_bins_clip_and_place_values():
    bins = log_bins(3, per_decade=1)  # [0,1) [1,10) [10,100) [100,1000)
    assert len(bins) == 4 and [bins.index(v) for v in (0, 0.5, 1, 9.9, 10, 999, 10**9, -3)] == [0, 0, 1, 1, 2, 3, 3, 0]
    assert bins.position(100) == 3.0 and 1.4 < bins.position(3) < 1.6  # log-interpolated inside [1, 10)
    frac = linear_bins(0, 1, 40)
    assert frac.index(1.0) == 39 and frac.index(0.2) == 8 and frac.position(0.2) == pytest.approx(8.0)


def test_excerpt_is_a_slice_around_the_evidence_with_marks_rebased():
    text = "\n".join(f"line {i:04d} " + "x" * 40 for i in range(400))
    start = text.index("line 0300")
    ex = excerpt(text, ((start, start + 9),), limit=500)
    assert len(ex["text"]) <= 500 and ex["chars"] == len(text) and 0 < ex["start"] < start
    assert text[ex["start"]:ex["start"] + len(ex["text"])] == ex["text"]
    assert text[ex["start"] - 1] == "\n"  # it begins at a line
    (m0, m1), = ex["marks"]
    assert ex["text"][m0:m1] == "line 0300"
    assert excerpt("short", ((1, 3),), 500) == {"text": "short", "start": 0, "chars": 5, "marks": [[1, 3]]}
    assert excerpt("a\ud800b", (), 500)["text"] == "a?b"  # a lone surrogate cannot be written as UTF-8


def test_collector_counts_before_and_after_and_files_samples_by_reason():
    c = ReportCollector(seed=3, samples=2, kept_samples=1, excerpt_chars=100)
    kept = Document("k1", "web", "kept text " * 5, signals={"language": "en", "language_score": 0.9, "gopher_words": 10})
    c.kept(kept, tokens=12)
    for i in range(4):
        doc = Document(f"r{i}", "web", "bad " * (i + 1), "https://evil.example/x", {"reject_score": 0.1 * i, "language": "de"})
        c.removed(Rejection(doc, "filter:url_blocklist", "user_domain", evidence=Evidence(note="user domain evil.example",
                                                                                          url_spans=((8, 20),))), tokens=i + 1)
    parts = dict(c.items())
    chars = MEASURES["chars"].bins
    assert sum(parts[(HIST, "web", BEFORE, "chars")].counts) == 5 and sum(parts[(HIST, "web", AFTER, "chars")].counts) == 1
    assert parts[(HIST, "web", AFTER, "chars")].counts[chars.index(len(kept.text))] == 1
    assert sum(parts[(HIST, "web", BEFORE, "language_score")].counts) == 1
    assert (HIST, "web", BEFORE, "reject_score") not in parts  # not a measure
    assert parts[(LANG, "web", BEFORE)].counts == {"en": 1, "de": 4} and parts[(LANG, "web", AFTER)].counts == {"en": 1}
    samples = parts[(SAMPLE, "web", "filter:url_blocklist", "user_domain")].items
    assert [s[1] for s in samples] == _top_k_of([f"r{i}" for i in range(4)], 2, seed=3)
    s = samples[0][2]
    assert s["url_marks"] == [[8, 20]] and s["url"][8:20] == "evil.example" and s["note"] == "user domain evil.example"
    assert [t[1] for t in parts[(SAMPLE, "web", "kept", "kept")].items] == ["k1"]


def test_collector_respects_no_samples_and_rejects_without_text():
    doc = Document("r", "web", "text")
    for c in (ReportCollector(1, samples=0, kept_samples=0), ReportCollector(1, text_fraction=0.0)):
        c.removed(Rejection(doc, "read", "empty_text"), 1)
        c.survivor(doc, "web", "gone", "near_duplicate")
        assert {k[0] for k, _ in c.items()} == {HIST}


def test_survivors_are_chosen_by_the_removed_documents_hash():
    removed = [f"dup-{i}" for i in range(20)]
    c = ReportCollector(seed=5, samples=3)
    for i, rid in enumerate(removed):
        c.removed(Rejection(Document(rid, "web", "copy"), "dedup_near", "near_duplicate", duplicate_of=f"orig-{i}"), 1)
        c.survivor(Document(f"orig-{i}", "web", "original"), "web", rid, "near_duplicate")
    parts = dict(c.items())
    chosen = [t[1] for t in parts[(SAMPLE, "web", "dedup_near", "near_duplicate")].items]
    assert chosen == [t[1] for t in parts[(SURVIVOR, "web", "dedup_near", "near_duplicate")].items] == _top_k_of(removed, 3, 5)
    assert [t[2]["id"] for t in parts[(SURVIVOR, "web", "dedup_near", "near_duplicate")].items] == \
        [f"orig-{removed.index(r)}" for r in chosen]


def test_bins_are_json_ready():
    assert Bins((0.0, 0.5, 1.0), "linear").to_json() == {"edges": [0.0, 0.5, 1.0], "scale": "linear"}
