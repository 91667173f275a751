"""SourceFilters (what the curate pass applies) inside a Beam DoFn on the in-process runner: per-source
chains, kept documents and rejections with reasons, signals, counters."""
import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.util import assert_that, equal_to

from pipeline.document import Document, Rejection
from pipeline.transforms.curate import COUNTER_NAMESPACE, SourceFilters

GOOD = (
    "The committee met on Tuesday to discuss the budget for the coming year. Members agreed that the library "
    "should have longer opening hours, and that the park needs new benches. A proposal to repair the old bridge "
    "was sent back to the engineers with a request for a cheaper design. The chair thanked everyone for their "
    "patience and closed the meeting shortly after nine in the evening."
)
DOCS = [
    Document("good", "web", GOOD + " Write to clerk@example.com for the minutes.", url="https://example.org/a"),
    Document("short", "web", "Buy it now, the offer is good for you and the family.", url="https://example.org/b"),
    Document("russian", "web", "Погода была прекрасная, и мы гуляли вдоль реки весь день до вечера.", url="https://x.ru"),
    Document("blocked", "web", GOOD, url="https://www.evil-site.com/page"),
    Document("short_book", "books", "Buy now!"),
    Document("unfiltered", "forum", "Buy now!"),
]
FILTERS = {
    "web": [{"name": "url_blocklist", "extra_domains": ["evil-site.com"], "use_integrated_lists": False},
            {"name": "language", "languages": ["en"]}, {"name": "gopher_quality", "min_doc_words": 20}, {"name": "pii"}],
    "books": [{"name": "doc_length", "min_words": 5}],
    "forum": [],
}


class _ApplyFn(beam.DoFn):
    def __init__(self, filters):
        self.filters = SourceFilters(filters)

    def setup(self):
        self.filters.setup()

    def process(self, doc):
        outcome = self.filters.apply(doc)
        yield beam.pvalue.TaggedOutput("rejected", outcome) if isinstance(outcome, Rejection) else outcome


def ApplyFilters(filters):
    return beam.ParDo(_ApplyFn(filters)).with_outputs("rejected", main="kept")


def test_apply_filters_splits_kept_and_rejected_with_reasons_signals_and_counters(beam_pipeline):
    p = beam_pipeline()
    out = p | beam.Create(DOCS) | ApplyFilters(FILTERS)
    assert_that(out["kept"] | "Kept" >> beam.Map(lambda d: (d.id, d.signals.get("language"), "<EMAIL>" in d.text)),
                equal_to([("good", "en", True), ("unfiltered", None, False)]), label="CheckKept")
    assert_that(out["rejected"] | "Rejected" >> beam.Map(lambda r: (r.doc.id, r.stage, r.reason)),
                equal_to([("short", "filter:gopher_quality", "gopher_short_doc"),
                          ("russian", "filter:language", "language_not_allowed"),
                          ("blocked", "filter:url_blocklist", "user_domain"),
                          ("short_book", "filter:doc_length", "too_few_words")]),
                label="CheckRejected")
    result = p.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed
                for c in result.metrics().query(MetricsFilter().with_namespace(COUNTER_NAMESPACE))["counters"]}
    assert counters == {
        "filter:url_blocklist:user_domain": 1,
        "filter:language:language_not_allowed": 1,
        "filter:gopher_quality:gopher_short_doc": 1,
        "filter:doc_length:too_few_words": 1,
        "pii:email": 1,
    }


def test_rejected_documents_keep_the_signals_measured_before_the_drop(beam_pipeline):
    with beam_pipeline() as p:
        out = p | beam.Create(DOCS[:3]) | ApplyFilters({"web": FILTERS["web"]})
        assert_that(out["rejected"] | beam.Map(lambda r: (r.doc.id, r.doc.signals["language"])),
                    equal_to([("short", "en"), ("russian", "ru")]))
