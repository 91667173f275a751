"""DedupNear on real documents with edited copies, on the in-process Beam runner."""
import dataclasses

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.util import assert_that, equal_to

from pipeline.config import NearDedupConfig
from pipeline.document import STAGE_DEDUP_NEAR, Document
from pipeline.transforms.dedup_near import DedupNear

from .real_docs import replace_words, speeches

CFG = NearDedupConfig(max_rounds=4)


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
    ]
    expected_rejects = [
        (a.id + "~copy1", a.id), (a.id + "~copy2", a.id), (a.id + "~copy3", a.id), (b.id, "0-first-" + b.id)]
    return originals + copies, expected_rejects


def test_near_copies_are_removed_with_the_id_of_their_survivor(beam_pipeline):
    docs, expected_rejects = _corpus()
    removed = {doc_id for doc_id, _ in expected_rejects}
    for ordering in (docs, docs[::-1]):
        with beam_pipeline() as p:
            out = p | beam.Create(ordering) | DedupNear(CFG, seed=1234)
            assert_that(out["kept"] | "Kept" >> beam.Map(lambda d: d.id),
                        equal_to([d.id for d in docs if d.id not in removed]), label="Kept")
            assert_that(out["rejected"] | "Rejected" >> beam.Map(lambda r: (r.doc.id, r.duplicate_of)),
                        equal_to(expected_rejects), label="Rejected")
            assert_that(out["rejected"] | "Reasons" >> beam.Map(lambda r: (r.stage, r.reason)),
                        equal_to([(STAGE_DEDUP_NEAR, "near_duplicate")] * len(expected_rejects)), label="Reasons")


def test_kept_documents_are_unchanged(beam_pipeline):
    docs = speeches(800)[:5] + [Document("x", "web", "short text with a url", "https://x.org", {"language": "en"})]
    with beam_pipeline() as p:
        out = p | beam.Create(docs) | DedupNear(CFG, seed=0)
        assert_that(out["kept"], equal_to(docs))


def test_defaults_and_verification_counters(beam_pipeline):
    """Default config (14 x 8 bands, 32 unrolled rounds); a chain of copies, each 1.5% of words away
    from the previous one, ends in one cluster although its two ends are far apart."""
    base = speeches(800)[20]
    chain, text = [base], base.text
    for i in range(4):
        text = replace_words(text, 0.015, 100 + i)
        chain.append(dataclasses.replace(base, id=f"{base.id}~{i}", text=text))
    docs = chain + speeches(800)[21:26]
    p = beam_pipeline()
    out = p | beam.Create(docs) | DedupNear(NearDedupConfig(), seed=7)
    assert_that(out["rejected"] | beam.Map(lambda r: (r.doc.id, r.duplicate_of)),
                equal_to([(d.id, base.id) for d in chain[1:]]))
    result = p.run()
    result.wait_until_finish()
    counters = {m.key.metric.name: m.committed for m in result.metrics().query(
        MetricsFilter().with_namespace("dedup_near"))["counters"]}
    assert counters["duplicates"] == 4
    assert counters["verified_pairs"] <= counters["candidate_pairs"]
