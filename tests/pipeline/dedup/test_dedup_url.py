"""DedupUrl on real pages with URL variants, on the in-process Beam runner."""
import dataclasses

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.util import assert_that, equal_to

from pipeline.document import STAGE_DEDUP_URL, Document
from pipeline.transforms.dedup_url import DedupUrl

from .real_docs import pydocs


def _variants():
    pages = pydocs()[:12]
    a, b, c = pages[0], pages[1], pages[2]
    host = a.url.split("/")[2]
    variants = [
        # a: a longer copy under an equivalent URL survives, the shorter original goes
        dataclasses.replace(a, id="a-longer", text=a.text + "\nEdited footer.",
                            url=a.url.replace(host, host.upper(), 1) + "?utm_source=feed#top"),
        # b: equal lengths, the smaller id survives
        dataclasses.replace(b, id="0-b-copy", url=b.url.replace("https://", "HTTPS://") + "?fbclid=x"),
        # c: a different query parameter is a different page
        dataclasses.replace(c, id="c-page-2", url=c.url + "?page=2"),
        Document("no-url-1", "web", "A document without a URL."),
        Document("no-url-2", "web", "A document without a URL.", url="  "),
    ]
    expected_rejects = [(a.id, "a-longer"), (b.id, "0-b-copy")]
    return pages + variants, expected_rejects


def test_one_survivor_per_normalized_url_whatever_the_order(beam_pipeline):
    docs, expected_rejects = _variants()
    removed = {doc_id for doc_id, _ in expected_rejects}
    for ordering in (docs, docs[::-1]):
        p = beam_pipeline()
        out = p | beam.Create(ordering) | DedupUrl(seed=0)
        assert_that(out["kept"], equal_to([d for d in docs if d.id not in removed]), label="Kept")
        assert_that(out["rejected"] | "Rejected" >> beam.Map(lambda r: (r.doc.id, r.stage, r.reason, r.duplicate_of)),
                    equal_to([(i, STAGE_DEDUP_URL, "url_duplicate", s) for i, s in expected_rejects]), label="Rejected")
        result = p.run()
        result.wait_until_finish()
        counters = {m.key.metric.name: m.committed
                    for m in result.metrics().query(MetricsFilter().with_namespace("dedup_url"))["counters"]}
        assert counters == {"duplicates": 2, "documents_without_url": 2}


def test_identical_documents_under_one_url_keep_exactly_one(beam_pipeline):
    doc = pydocs()[3]
    with beam_pipeline() as p:
        out = p | beam.Create([doc, doc, doc]) | DedupUrl(seed=0)
        assert_that(out["kept"], equal_to([doc]), label="Kept")
        assert_that(out["rejected"] | beam.Map(lambda r: r.duplicate_of), equal_to([doc.id, doc.id]), label="Rejected")
