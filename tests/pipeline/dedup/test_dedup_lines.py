"""DedupLines on real documentation pages (navigation boilerplate), on the in-process Beam runner,
against the same computation done directly with the pure functions."""
from collections import Counter

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.util import assert_that, equal_to

from pipeline.config import LineDedupConfig
from pipeline.dedup.lines import line_counts, remove_lines
from pipeline.document import STAGE_DEDUP_LINES, Document
from pipeline.transforms.dedup_lines import DedupLines

from .real_docs import pydocs


def _counters(result):
    return {m.key.metric.name: m.committed
            for m in result.metrics().query(MetricsFilter().with_namespace("dedup_lines"))["counters"]}


def test_lines_seen_more_than_k_times_are_removed_everywhere(beam_pipeline):
    docs = pydocs()[:40]
    boilerplate_only = Document("nav-only", "web", "Navigation\n\nReport a Bug\nShow Source\n")
    docs = docs + [boilerplate_only]
    cfg = LineDedupConfig(max_occurrences=6, min_chars_after=1)
    total = Counter()
    for d in docs:
        total.update(line_counts(d.text))
    frequent = {k for k, c in total.items() if c > cfg.max_occurrences}
    expected = [(d.id, remove_lines(d.text, frequent)[0]) for d in docs if d is not boilerplate_only]
    lines_removed = sum(remove_lines(d.text, frequent)[1] for d in docs)
    chars_removed = sum(remove_lines(d.text, frequent)[2] for d in docs)
    assert lines_removed > 40 * 10

    p = beam_pipeline()
    out = p | beam.Create(docs) | DedupLines(cfg)
    assert_that(out["kept"] | "Kept" >> beam.Map(lambda d: (d.id, d.text)), equal_to(expected), label="Kept")
    assert_that(out["rejected"] | "Rejected" >> beam.Map(lambda r: (r.doc.id, r.stage, r.reason, r.doc.text)),
                equal_to([("nav-only", STAGE_DEDUP_LINES, "too_short_after_line_dedup", boilerplate_only.text)]),
                label="Rejected")
    totals = (out["line_stats"]
              | "PerSource" >> beam.MapTuple(lambda source, lines, chars: (source, (lines, chars)))
              | "SumPerSource" >> beam.CombinePerKey(lambda pairs: tuple(map(sum, zip(*pairs))) if pairs else (0, 0)))
    assert_that(totals, equal_to([("web", (lines_removed, chars_removed))]), label="Stats")
    result = p.run()
    result.wait_until_finish()
    counters = _counters(result)
    assert counters["lines_removed"] == lines_removed
    assert counters["chars_removed"] == chars_removed
    assert counters["documents_changed"] == len(docs)


def test_the_limit_is_strict_and_short_untouched_documents_stay(beam_pipeline):
    cfg = LineDedupConfig(max_occurrences=3, min_chars_after=20)
    docs = [Document(f"k{i}", "s", f"Cookie banner\nBody of document number {i}.") for i in range(3)]  # 3 times: kept
    docs += [Document(f"r{i}", "s", f"Subscribe now\nLong enough body of doc {i}.", signals={"q": 0.5}) for i in range(4)]
    docs += [Document("tiny", "s", "tiny"), Document("short-after", "s", "Subscribe now\nshort")]
    with beam_pipeline() as p:
        out = p | beam.Create(docs) | DedupLines(cfg)
        expected = docs[:3] + [Document(f"r{i}", "s", f"Long enough body of doc {i}.", signals={"q": 0.5})
                               for i in range(4)] + [docs[7]]
        assert_that(out["kept"], equal_to(expected), label="Kept")
        assert_that(out["rejected"] | beam.Map(lambda r: (r.doc.id, r.reason)),
                    equal_to([("short-after", "too_short_after_line_dedup")]), label="Rejected")
