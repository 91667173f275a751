"""CurateSplits: the pass that applies the dedup decisions and the filters to each split's documents.

For each document of the split's spill (OUT/.tmp/docs/SPLIT.pkl), in order: a URL or exact duplicate is
rejected (with the survivor's id); when decontamination is on, a document holding an evaluation example
is dropped or redacted (pipeline.transforms.decontam); frequent lines are removed and a document left
too short is rejected; the source's filter chain runs (pipeline.transforms.curate.SourceFilters); a
survivor goes to OUT/.tmp/curated-docs/SPLIT.pkl and, when near dedup is on, its MinHash signature to
the split's signature file and one band entry per LSH band to its key bucket file
(pipeline.transforms.dedup_near). Rejections go to rejects/curate-SPLIT.parquet, evaluation examples
found to decontamination/matches-SPLIT.parquet.
"""
from __future__ import annotations

import pickle

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.accounting import KIND_LINES_REMOVED
from pipeline.config import PipelineConfig
from pipeline.dedup.keys import node_key
from pipeline.dedup.lines import remove_lines, removed_lines_evidence, too_short
from pipeline.dedup.lsh import LshParams, band_keys
from pipeline.dedup.minhash import MinHasher, compact_signature
from pipeline.dedup.shingles import shingle_hashes
from pipeline.decontam.index import Matcher
from pipeline.document import STAGE_DEDUP_LINES, Document, Rejection
from pipeline.spill import RecordWriter, SpillPaths, read_records, write_buckets, write_records
from pipeline.transforms.curate import SourceFilters
from pipeline.transforms.decontam import SplitDecontamination
from pipeline.transforms.split_pass import RejectSink, SplitPassFn, Tally, apply_split_pass
from pipeline.transforms.tags import DUPS, FOUND, LINES, SPLIT

BAND_ENTRY = np.dtype([("band", "<u4"), ("hash", "<u8"), ("row", "<u4")])


class _NearKeys:
    """The signature side of one split: signatures (compact, one fixed-size row each), node keys, and band
    entries bucketed by band hash."""

    def __init__(self, spill: SpillPaths, number: int, params: LshParams, ngram: int, hasher: MinHasher, buckets: int):
        self.spill, self.number, self.params, self.ngram, self.hasher = spill, number, params, ngram, hasher
        self.buckets = buckets
        self.sig_file = FileSystems.create(spill.signatures(number))
        self.nodes: list = []
        self.entries: list[np.ndarray] = []  # one small structured array per document, folded into chunks
        self.chunks: list[np.ndarray] = []
        self.no_shingles = Metrics.counter("dedup_near", "documents_without_shingles")

    def add(self, doc: Document, curated_row: int) -> None:
        hashes = shingle_hashes(doc.text, self.ngram)
        if hashes.size == 0:
            self.no_shingles.inc()
            return
        sig = self.hasher.signature(hashes)
        row = len(self.nodes)
        self.sig_file.write(compact_signature(sig))
        self.nodes.append((node_key(doc), curated_row))
        keys = band_keys(sig, self.params.bands, self.params.rows)
        entry = np.empty(len(keys), dtype=BAND_ENTRY)
        entry["band"], entry["hash"], entry["row"] = [b for b, _ in keys], [h for _, h in keys], row
        self.entries.append(entry)
        if len(self.entries) >= 4096:  # small arrays cost ~100 bytes each: fold them into one chunk
            self.chunks.append(np.concatenate(self.entries))
            self.entries = []

    def close(self) -> None:
        self.sig_file.close()
        write_records(self.spill.nodes(self.number), self.nodes)
        entries = np.concatenate(self.chunks + self.entries + [np.empty(0, dtype=BAND_ENTRY)])
        which = entries["hash"] % np.uint64(self.buckets)
        write_buckets(self.spill.keys("bands", self.number),
                      [pickle.dumps(entries[which == b], protocol=pickle.HIGHEST_PROTOCOL) for b in range(self.buckets)])


class _CurateSplitFn(SplitPassFn):
    PASS, REJECTS = "curate", "curate"

    def __init__(self, cfg: PipelineConfig, spill: SpillPaths):
        super().__init__(cfg, spill)
        self.filters = SourceFilters({s.name: cfg.filters_for(s) for s in cfg.sources})

    def setup(self):
        super().setup()
        self.filters.setup()
        near = self.cfg.dedup.near
        self.params = LshParams.from_config(near) if near else None
        self.hasher = MinHasher(self.params.num_perm, self.cfg.seed) if near else None
        self.lines_removed = Metrics.counter("dedup_lines", "lines_removed")
        self.chars_removed = Metrics.counter("dedup_lines", "chars_removed")
        self.changed = Metrics.counter("dedup_lines", "documents_changed")
        self.matcher = None

    def work(self, number, grouped, plan, tally, rejects, outputs):
        dups = {ordinal: (stage, reason, survivor) for stage, ordinal, reason, survivor in grouped[DUPS]}
        frequent = {key for _, key in grouped[LINES]}
        decontam = None
        if self.side_inputs:  # the EvalIndex, when decontamination is on
            eval_index = self.side_inputs[0]
            if self.matcher is None or self.matcher.index is not eval_index:
                self.matcher = Matcher(eval_index)
            decontam = SplitDecontamination(self.cfg.decontaminate, self.matcher, self.spill, number, self.tokenizer,
                                            tally)
        near = None
        if self.params is not None:
            near = _NearKeys(self.spill, number, self.params, self.cfg.dedup.near.ngram, self.hasher, plan.buckets)
        docs = read_records(self.spill.docs(number), self.progress.within_split(grouped[SPLIT][0][1]))
        with RecordWriter(self.spill.curated(number)) as curated:
            for ordinal, doc in enumerate(docs):
                self.progress.add(docs=1)
                kept = self._curate(doc, dups.get(ordinal), frequent, rejects, tally, decontam)
                if kept is None:
                    continue
                if near is not None:
                    near.add(kept, curated.count)
                curated.write(kept)
        if near is not None:
            near.close()
        if decontam is None:
            return []
        outputs.extend(beam.pvalue.TaggedOutput(FOUND, found) for found in sorted(decontam.found))
        return decontam.close()

    def _curate(self, doc: Document, dup, frequent, rejects: RejectSink, tally: Tally, decontam=None):
        """The document as it leaves dedup, decontamination and the filters, or None when a stage rejected it."""
        if dup is not None:
            stage, reason, survivor = dup
            rejects.add(Rejection(doc, stage, reason, survivor))
            return None
        if decontam is not None:
            doc = decontam.apply(doc, rejects)
            if doc is None:
                return None
        if self.cfg.dedup.lines:
            text, lines, chars = remove_lines(doc.text, frequent)
            if lines:
                self.changed.inc()
                self.lines_removed.inc(lines)
                self.chars_removed.inc(chars)
                tally.add(KIND_LINES_REMOVED, doc.source, "dedup_lines", "repeated_line", lines, chars)
                if too_short(text, self.cfg.dedup.lines.min_chars_after):
                    rejects.add(Rejection(doc, STAGE_DEDUP_LINES, "too_short_after_line_dedup",
                                          evidence=removed_lines_evidence(doc.text, frequent)))
                    return None
                doc = Document(doc.id, doc.source, text, doc.url, dict(doc.signals))
        outcome = self.filters.apply(doc)
        if isinstance(outcome, Rejection):
            rejects.add(outcome)
            return None
        return outcome


class CurateSplits(beam.PTransform):
    """(number, {"split", "dups", "lines"}) -> {"events", "written", "decontam_found"}; writes the curated spill
    and the near keys. `eval_index`: the EvalIndex (one element) when decontamination is on."""

    def __init__(self, cfg: PipelineConfig, spill: SpillPaths, plan, eval_index=None):
        super().__init__()
        self.cfg, self.spill, self.plan, self.eval_index = cfg, spill, plan, eval_index

    def expand(self, with_decisions):
        side = [beam.pvalue.AsSingleton(self.eval_index)] if self.eval_index is not None else []
        return apply_split_pass(with_decisions, "DedupAndFilter", _CurateSplitFn(self.cfg, self.spill), self.plan,
                                FOUND, side_inputs=side)
