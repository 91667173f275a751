"""DecideNear: MinHash-LSH near-duplicate decisions with connected components computed in Beam.

  curate pass: per surviving document, its compact signature (a fixed-size row of the split's signature
               file), its node key, and one (band, band hash, row) entry per band in a key bucket file
  -> per bucket: every split's entries, sorted by (band, hash); a run of equal keys is an LSH bucket, and
     only the signatures of members of buckets with two or more are read back (by row)
  -> candidate pairs verified by estimated Jaccard (pipeline.dedup.lsh.bucket_pairs): the edges
  -> ConnectedComponents over the edges -> each cluster's smallest node key survives
  -> (split, ("near", curated row, survivor id)) for the others, applied by the tokenize pass; with
     `notify_survivors`, also (survivor's split, (SURVIVED, its row, source, removed id)), so report.html
     can show a sampled near duplicate next to the document that survived it.

Nodes are (node key, split, row): ordered by node key (id, source, text hash) first, so the survivor is the
document with the smallest id as before. A reducer holds one bucket's entries (16 bytes each) and the
signatures of its candidates; the graph only ever holds near-duplicate edges.
"""
from __future__ import annotations


import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from pipeline.config import NearDedupConfig
from pipeline.dedup.lsh import LshParams, bucket_pairs
from pipeline.dedup.minhash import from_compact
from pipeline.document import STAGE_DEDUP_NEAR
from pipeline.fileio import open_raw
from pipeline.spill import SpillPaths, read_records
from pipeline.transforms.components import ConnectedComponents
from pipeline.transforms.progress import TimedDoFn

NEAR_DUPLICATE = "near_duplicate"
SURVIVED = "dedup_near:survived"  # the tag of a notice to a survivor's split (not a decision to apply)


class _SplitSignatures:
    """Random access to the signatures and node keys of the splits one reducer touches."""

    def __init__(self, spill: SpillPaths, num_perm: int):
        self.spill, self.row_bytes = spill, 4 * num_perm
        self.nodes: dict[int, list] = {}

    def node(self, split: int, row: int):
        if split not in self.nodes:
            self.nodes[split] = list(read_records(self.spill.nodes(split)))
        key, curated_row = self.nodes[split][row]
        return key, split, curated_row

    def signatures(self, split: int, rows: np.ndarray) -> list[np.ndarray]:
        out = []
        with open_raw(self.spill.signatures(split)) as f:
            for row in rows:
                f.seek(int(row) * self.row_bytes)
                out.append(from_compact(f.read(self.row_bytes)))
        return out


def lsh_buckets(entries: np.ndarray, splits: np.ndarray):
    """Runs of equal (band, hash) with two or more members: yields (member splits, member rows)."""
    if not len(entries):
        return
    order = np.lexsort((entries["hash"], entries["band"]))
    entries, splits = entries[order], splits[order]
    key_changes = (entries["band"][1:] != entries["band"][:-1]) | (entries["hash"][1:] != entries["hash"][:-1])
    starts = np.flatnonzero(np.concatenate([[True], key_changes]))
    ends = np.append(starts[1:], len(entries))
    for start, end in zip(starts, ends):
        if end - start >= 2:
            yield splits[start:end], entries["row"][start:end]


class _VerifyBucketFn(TimedDoFn, beam.DoFn):
    CPU_CLOCK = "dedup_near"
    def __init__(self, spill: SpillPaths, params: LshParams):
        self.spill, self.params = spill, params

    def setup(self):
        self.candidates = Metrics.counter("dedup_near", "candidate_pairs")
        self.accepted = Metrics.counter("dedup_near", "verified_pairs")

    def run(self, bucket, plan):
        per_split = self.spill.key_bucket("bands", bucket, plan.splits)
        entries = np.concatenate(per_split) if per_split else np.empty(0)
        splits = np.concatenate([np.full(len(e), s, dtype=np.int64) for s, e in enumerate(per_split)]) if per_split else None
        store = _SplitSignatures(self.spill, self.params.num_perm)
        for member_splits, member_rows in lsh_buckets(entries, splits):
            members = []
            for split in np.unique(member_splits):
                rows = member_rows[member_splits == split]
                for row, sig in zip(rows, store.signatures(int(split), rows)):
                    members.append((store.node(int(split), int(row)), sig))
            for node, anchor, accepted in bucket_pairs(members, self.params.min_estimate):
                self.candidates.inc()
                if accepted:
                    self.accepted.inc()
                    yield node, anchor


def _non_survivor_decision(node_label, notify_survivor: bool = False):
    node, label = node_label
    if node == label:
        return []
    (removed_id, removed_source, _), split, row = node
    survivor_id = label[0][0]
    out = [(split, (STAGE_DEDUP_NEAR, row, NEAR_DUPLICATE, survivor_id))]
    if notify_survivor:  # so the survivor's split can quote it next to the duplicate (report.html)
        _, survivor_split, survivor_row = label
        out.append((survivor_split, (SURVIVED, survivor_row, removed_source, removed_id)))
    return out


def survivor_notices(decisions) -> dict[int, list[tuple[str, str]]]:
    """Curated row -> [(source, id) of each near duplicate removed in its favour], from a split's decisions."""
    out: dict[int, list] = {}
    for stage, row, source, removed_id in decisions:
        if stage == SURVIVED:
            out.setdefault(row, []).append((source, removed_id))
    return out


class DecideNear(beam.PTransform):
    """Bucket numbers in (after the curate pass wrote its band files); (split, decision) pairs out."""

    def __init__(self, spill: SpillPaths, plan, cfg: NearDedupConfig, meter=None, notify_survivors: bool = False):
        super().__init__()
        self.spill, self.plan, self.cfg, self.notify_survivors = spill, plan, cfg, notify_survivors
        self.meter = meter or (lambda stage, pcoll: pcoll)
        self.params = LshParams.from_config(cfg)

    def expand(self, buckets):
        edges = buckets | "VerifyCandidates" >> beam.ParDo(
            _VerifyBucketFn(self.spill, self.params), beam.pvalue.AsSingleton(self.plan))
        return (
            self.meter("near_edges", edges)
            | "Components" >> ConnectedComponents(self.cfg.max_rounds)
            | "NonSurvivors" >> beam.FlatMap(_non_survivor_decision, self.notify_survivors)
        )
