"""DedupLines: lines seen more than `max_occurrences` times across the corpus are removed from every
document (pipeline.dedup.lines); a document left shorter than `min_chars_after` characters is
rejected as `too_short_after_line_dedup` (with its original text; a document that lost no line is
never rejected here). Besides "kept" and "rejected" it returns "line_stats": one (source, lines
removed, characters removed) per changed document, for a report counted in the pipeline; the same
totals are Beam counters dedup_lines:lines_removed, dedup_lines:chars_removed,
dedup_lines:documents_changed.

  documents -> (line key, (document key, occurrences in it)) per distinct line of each document
  -> GroupByKey on the line key: the group's total is the line's corpus-wide count (the combine),
     and when it is over the limit the same group names every document holding the line (the join)
  -> (document key, line key) for frequent lines -> GroupByKey with the documents -> rewritten text.

Counting and joining in one grouping shuffles each line reference once; a separate CombinePerKey
followed by a CoGroupByKey would shuffle the references and the counts. No worker ever holds the set
of lines: memory grows with the number of distinct lines, spread over workers by key; one worker
reads one line's references twice (a boilerplate line in millions of documents is paged, not
copied), and holds one document with its frequent line keys in the final join.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.config import LineDedupConfig
from pipeline.dedup.keys import doc_join_key
from pipeline.dedup.lines import line_counts, remove_lines, too_short
from pipeline.document import STAGE_DEDUP_LINES, Document, Rejection

KEPT, REJECTED, KEYED, LINES, STATS = "kept", "rejected", "keyed", "lines", "line_stats"
_DOC, _FREQUENT = 0, 1


class _LineReferencesFn(beam.DoFn):
    """KEYED: (document key, document); LINES: (line key, (document key, occurrences))."""

    def process(self, doc):
        key = doc_join_key(doc)
        yield beam.pvalue.TaggedOutput(KEYED, (key, (_DOC, doc)))
        for line, count in line_counts(doc.text).items():
            yield beam.pvalue.TaggedOutput(LINES, (line, (key, count)))


class _FrequentLineFn(beam.DoFn):
    def __init__(self, max_occurrences: int):
        self.max_occurrences = max_occurrences

    def setup(self):
        self.frequent_lines = Metrics.counter("dedup_lines", "distinct_lines_removed")

    def process(self, element):
        line, references = element
        if sum(count for _, count in references) <= self.max_occurrences:
            return
        self.frequent_lines.inc()
        for doc_key, _ in references:  # one reference per document holding the line
            yield doc_key, (_FREQUENT, line)


class _RewriteFn(beam.DoFn):
    def __init__(self, min_chars_after: int):
        self.min_chars_after = min_chars_after

    def setup(self):
        self.lines_removed = Metrics.counter("dedup_lines", "lines_removed")
        self.chars_removed = Metrics.counter("dedup_lines", "chars_removed")
        self.changed = Metrics.counter("dedup_lines", "documents_changed")

    def process(self, element):
        _, tagged = element
        frequent = {value for tag, value in tagged if tag == _FREQUENT}
        for tag, doc in tagged:
            if tag != _DOC:
                continue
            text, lines, chars = remove_lines(doc.text, frequent)
            if not lines:
                yield doc
                continue
            self.changed.inc()
            self.lines_removed.inc(lines)
            self.chars_removed.inc(chars)
            yield beam.pvalue.TaggedOutput(STATS, (doc.source, lines, chars))
            if too_short(text, self.min_chars_after):
                yield beam.pvalue.TaggedOutput(REJECTED, Rejection(doc, STAGE_DEDUP_LINES, "too_short_after_line_dedup"))
            else:
                yield Document(doc.id, doc.source, text, doc.url, dict(doc.signals))


class DedupLines(beam.PTransform):
    def __init__(self, cfg: LineDedupConfig):
        super().__init__()
        self.cfg = cfg

    def expand(self, docs):
        refs = docs | "LineReferences" >> beam.ParDo(_LineReferencesFn()).with_outputs(KEYED, LINES)
        frequent = (
            refs[LINES]
            | "GroupByLine" >> beam.GroupByKey()
            | "FrequentLinesPerDocument" >> beam.ParDo(_FrequentLineFn(self.cfg.max_occurrences))
        )
        out = (
            (refs[KEYED], frequent)
            | "DocsAndFrequentLines" >> beam.Flatten()
            | "JoinByDocument" >> beam.GroupByKey()
            | "RemoveFrequentLines" >> beam.ParDo(_RewriteFn(self.cfg.min_chars_after))
            .with_outputs(REJECTED, STATS, main=KEPT)
        )
        return {KEPT: out[KEPT], REJECTED: out[REJECTED], STATS: out[STATS]}
