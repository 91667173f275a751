"""DedupNear: MinHash-LSH near-duplicate removal with connected components computed in Beam.

  documents -> signatures (pipeline.dedup.minhash) -> one (band, band hash) key per band
  -> GroupByKey: documents sharing a band -> candidate pairs verified by estimated Jaccard
  -> ConnectedComponents over the verified edges -> each cluster's smallest node key survives
  -> documents joined with their cluster label: the others are rejected as `near_duplicate` with the
     id of the survivor.

The survivor of a cluster is the document with the smallest (id, source, text hash), see
pipeline.dedup.keys.node_key. Documents without any word have no shingles and always pass.

Memory: a worker holds one band bucket at a time, read twice and never copied (ANCHORS signatures),
one node's neighbours in the components rounds, and one document with its label in the final join;
nothing is proportional to the corpus or to the duplicate graph.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.config import NearDedupConfig
from pipeline.dedup.keys import node_key
from pipeline.dedup.lsh import LshParams, band_keys, bucket_pairs
from pipeline.dedup.minhash import MinHasher, compact_signature, from_compact
from pipeline.dedup.shingles import shingle_hashes
from pipeline.document import STAGE_DEDUP_NEAR, Rejection
from pipeline.transforms.components import ConnectedComponents

KEPT, REJECTED, KEYED, BANDS = "kept", "rejected", "keyed", "bands"
_DOC, _LABEL = 0, 1


class _SignatureFn(beam.DoFn):
    """BANDS: ((band, band hash), (node, compact signature)) per band; KEYED: (node, document). Both
    outputs are tagged so that Beam infers plain key-value types for the GroupByKeys after them."""

    def __init__(self, cfg: NearDedupConfig, params: LshParams, seed: int):
        self.ngram, self.params, self.seed = cfg.ngram, params, seed

    def setup(self):
        self.hasher = MinHasher(self.params.num_perm, self.seed)
        self.no_shingles = Metrics.counter("dedup_near", "documents_without_shingles")

    def process(self, doc):
        node = node_key(doc)
        yield beam.pvalue.TaggedOutput(KEYED, (node, (_DOC, doc)))
        hashes = shingle_hashes(doc.text, self.ngram)
        if hashes.size == 0:
            self.no_shingles.inc()
            return
        sig = self.hasher.signature(hashes)
        compact = compact_signature(sig)
        for key in band_keys(sig, self.params.bands, self.params.rows):
            yield beam.pvalue.TaggedOutput(BANDS, (key, (node, compact)))


class _VerifyBucketFn(beam.DoFn):
    def __init__(self, min_estimate: float):
        self.min_estimate = min_estimate

    def setup(self):
        self.candidates = Metrics.counter("dedup_near", "candidate_pairs")
        self.accepted = Metrics.counter("dedup_near", "verified_pairs")

    def process(self, element):
        _, members = element
        members = _Decoded(members)
        for node, anchor, accepted in bucket_pairs(members, self.min_estimate):
            self.candidates.inc()
            if accepted:
                self.accepted.inc()
                yield node, anchor


class _Decoded:
    """Re-iterable view of a bucket's (node, compact signature) values with decoded signatures."""

    def __init__(self, members):
        self.members = members

    def __iter__(self):
        return ((node, from_compact(sig)) for node, sig in self.members)


class _KeepOrRejectFn(beam.DoFn):
    """One node's documents (normally one) and its cluster label, present only for non-survivors."""

    def setup(self):
        self.removed = Metrics.counter("dedup_near", "duplicates")

    def process(self, element):
        _, tagged = element
        label = next((value for tag, value in tagged if tag == _LABEL), None)
        for tag, doc in tagged:
            if tag != _DOC:
                continue
            if label is None:
                yield doc
            else:
                self.removed.inc()
                yield beam.pvalue.TaggedOutput(REJECTED, Rejection(doc, STAGE_DEDUP_NEAR, "near_duplicate", label[0]))


class DedupNear(beam.PTransform):
    def __init__(self, cfg: NearDedupConfig, seed: int):
        super().__init__()
        self.cfg, self.seed = cfg, seed
        self.params = LshParams.from_config(cfg)

    def expand(self, docs):
        sigs = docs | "MinHashSignatures" >> beam.ParDo(_SignatureFn(self.cfg, self.params, self.seed)).with_outputs(
            BANDS, KEYED)
        labels = (
            sigs[BANDS]
            | "GroupByBand" >> beam.GroupByKey()
            | "VerifyCandidates" >> beam.ParDo(_VerifyBucketFn(self.params.min_estimate))
            | "Components" >> ConnectedComponents(self.cfg.max_rounds)
            | "NonSurvivors" >> beam.Filter(lambda node_label: node_label[0] != node_label[1])
            | "TagLabels" >> beam.MapTuple(lambda node, label: (node, (_LABEL, label)))
        )
        out = (
            (sigs[KEYED], labels)
            | "DocsAndLabels" >> beam.Flatten()
            | "JoinLabels" >> beam.GroupByKey()
            | "KeepSurvivors" >> beam.ParDo(_KeepOrRejectFn()).with_outputs(REJECTED, main=KEPT)
        )
        return {KEPT: out[KEPT], REJECTED: out[REJECTED]}
