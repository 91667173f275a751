"""URL and exact deduplication as decisions: keys in, "document N of split S duplicates X" out.

  scan pass: per document, a URL entry (normalized-URL key, survivor rank, ordinal, text key) and an exact
             entry (normalized-text key, survivor rank, ordinal), written to the split's key bucket files
  DecideUrl:   per bucket, every split's entries of that bucket -> one survivor per URL (the longest text,
               then the smallest id: pipeline.dedup.keys.url_survivor_rank); the others are decisions, and
               their text keys go to the exact stage, which must not let a URL duplicate survive in place
               of another copy of its text
  DecideExact: per bucket, one survivor per normalized text among the URL survivors (the smallest id:
               pipeline.dedup.keys.exact_survivor_rank)

A bucket's reducer holds that bucket's entries (about BUCKET_INPUT_BYTES of input's worth of small
tuples); decisions go back keyed by split to the pass that applies them (pipeline.transforms.curate).
"""
from __future__ import annotations

import apache_beam as beam
import xxhash
from apache_beam.metrics import Metrics

from pipeline.dedup.keys import exact_survivor_rank, url_survivor_rank
from pipeline.document import STAGE_DEDUP_EXACT, STAGE_DEDUP_URL
from pipeline.transforms.progress import TimedDoFn
from pipeline.spill import SpillPaths

URL_DUPLICATE, EXACT_DUPLICATE = "url_duplicate", "exact_duplicate"


def _bucket(key: str, buckets: int) -> int:
    return xxhash.xxh3_64_intdigest(key.encode("utf-8", "surrogatepass")) % buckets


def url_entry(doc, url_key: str, text_key, ordinal: int, buckets: int):
    """(bucket, (url key, rank, ordinal, text key))."""
    return _bucket(url_key, buckets), (url_key, url_survivor_rank(doc), ordinal, text_key)


def exact_entry(doc, text_key: str, ordinal: int, buckets: int):
    """(bucket, (text key, rank, ordinal))."""
    return _bucket(text_key, buckets), (text_key, exact_survivor_rank(doc), ordinal)


def exact_bucket(text_key: str, buckets: int) -> int:
    return _bucket(text_key, buckets)


def _groups(spill: SpillPaths, stage: str, bucket: int, splits: int) -> dict:
    """key -> [(rank, split, ordinal, *rest)] over every split's entries in this bucket."""
    groups: dict = {}
    for split, entries in enumerate(spill.key_bucket(stage, bucket, splits)):
        for key, rank, ordinal, *rest in entries:
            groups.setdefault(key, []).append((rank, split, ordinal, *rest))
    return groups


def decision(split: int, stage: str, ordinal: int, reason: str, survivor_id: str):
    """What a reducer sends back to the split owning a removed document."""
    return split, (stage, ordinal, reason, survivor_id)


class _DecideUrlFn(TimedDoFn, beam.DoFn):
    CPU_CLOCK = "dedup_url"
    EXCLUDED = "excluded"

    def __init__(self, spill: SpillPaths, exact_too: bool):
        self.spill, self.exact_too = spill, exact_too

    def setup(self):
        self.removed = Metrics.counter("dedup_url", "duplicates")

    def run(self, bucket, plan):
        for members in _groups(self.spill, "url", bucket, plan.splits).values():
            if len(members) == 1:
                continue
            members.sort(key=lambda m: m[:3])
            survivor_id = members[0][0][1]
            for rank, split, ordinal, text_key in members[1:]:
                self.removed.inc()
                yield decision(split, STAGE_DEDUP_URL, ordinal, URL_DUPLICATE, survivor_id)
                if self.exact_too:
                    yield beam.pvalue.TaggedOutput(
                        self.EXCLUDED, (exact_bucket(text_key, plan.buckets), (split, ordinal)))


class _DecideExactFn(TimedDoFn, beam.DoFn):
    CPU_CLOCK = "dedup_exact"
    def __init__(self, spill: SpillPaths):
        self.spill = spill

    def setup(self):
        self.removed = Metrics.counter("dedup_exact", "duplicates")

    def run(self, element, plan):
        bucket, grouped = element
        excluded = set(grouped[_DecideUrlFn.EXCLUDED])
        for members in _groups(self.spill, "exact", bucket, plan.splits).values():
            members = [m for m in members if (m[1], m[2]) not in excluded]
            if len(members) < 2:
                continue
            members.sort()
            survivor_id = members[0][0][0]
            for _, split, ordinal in members[1:]:
                self.removed.inc()
                yield decision(split, STAGE_DEDUP_EXACT, ordinal, EXACT_DUPLICATE, survivor_id)


class DecideDuplicates(beam.PTransform):
    """Bucket numbers in (after the scan pass wrote its key files); (split, decision) pairs out."""

    def __init__(self, spill: SpillPaths, plan, url: bool, exact: bool, meter=None):
        super().__init__()
        self.spill, self.plan, self.url, self.exact = spill, plan, url, exact
        self.meter = meter or (lambda stage, pcoll: pcoll)

    def expand(self, buckets):
        plan = beam.pvalue.AsSingleton(self.plan)
        outputs = []
        excluded = buckets.pipeline | "NoExclusions" >> beam.Create([])
        if self.url:
            url = buckets | "DecideUrl" >> beam.ParDo(_DecideUrlFn(self.spill, self.exact), plan).with_outputs(
                _DecideUrlFn.EXCLUDED, main="decisions")
            outputs.append(url["decisions"])
            excluded = self.meter("url_duplicates_to_exact", url[_DecideUrlFn.EXCLUDED])
        if self.exact:
            keyed = buckets | "KeyBuckets" >> beam.Map(lambda b: (b, None))
            outputs.append(
                {"bucket": keyed, _DecideUrlFn.EXCLUDED: excluded}
                | "WithUrlDuplicates" >> beam.CoGroupByKey()
                | "DecideExact" >> beam.ParDo(_DecideExactFn(self.spill), plan))
        return outputs | "AllDuplicateDecisions" >> beam.Flatten()
