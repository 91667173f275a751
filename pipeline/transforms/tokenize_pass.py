"""TokenizeSplits: the pass that applies the near-duplicate decisions and tokenizes each split's survivors.

Reads OUT/.tmp/curated-docs/SPLIT.pkl; a near duplicate is rejected (rejects/near-SPLIT.parquet); every
other document is kept: written to curated/curated-SPLIT.parquet when `write_curated` is on, and encoded in
batches (Hugging Face `tokenizers`, EOS appended) into OUT/.tmp/tokens/SPLIT.bin, one array after another,
with an index of (id, source, mix hash, offset, length) per document. Only counts and, when a mix is
configured, a sparse histogram of tokens over mix-hash buckets per source leave the pass.
"""
from __future__ import annotations

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from mixers.selection import bucket_of
from pipeline.config import PipelineConfig
from pipeline.document import STAGE_DEDUP_NEAR, Rejection
from pipeline.report_parts import ReportCollector
from pipeline.spill import SpillPaths, read_records, write_records
from pipeline.transforms.dedup_near import NEAR_DUPLICATE, survivor_notices
from pipeline.transforms.mix import mix_hash
from pipeline.transforms.outputs import CURATED_SCHEMA, curated_row
from pipeline.transforms.progress import PassProgress, TimedDoFn
from pipeline.transforms.report_parts import REPORT, report_outputs
from pipeline.transforms.split_pass import EVENTS, WRITTEN, ParquetSink, RejectSink, Tally, load_tokenizer

HISTOGRAMS = "histograms"


def sparse_histogram(hashes: list[int], sizes: list[int]):
    """(bucket numbers, documents, tokens) over the mix-hash buckets these documents fall in."""
    buckets = np.fromiter((bucket_of(h) for h in hashes), dtype=np.int64, count=len(hashes))
    sizes = np.asarray(sizes, dtype=np.int64)
    used, inverse = np.unique(buckets, return_inverse=True)
    return used, np.bincount(inverse, minlength=len(used)), np.bincount(inverse, weights=sizes, minlength=len(used)).astype(np.int64)


class _TokenizeSplitFn(TimedDoFn, beam.DoFn):
    CPU_CLOCK = "tokenize"
    def __init__(self, cfg: PipelineConfig, spill: SpillPaths, mixing: bool):
        self.cfg, self.spill, self.mixing = cfg, spill, mixing

    def setup(self):
        self.tokenizer = load_tokenizer(self.cfg.tokenizer)
        self.tokens = Metrics.counter("tokenize", "tokens")
        self.progress = None

    def run(self, element, plan):
        number, grouped = element
        if self.progress is None:
            self.progress = PassProgress("tokenize", plan.input_bytes, self.spill.progress)
        near = {row: survivor for stage, row, _, survivor in grouped["near"] if stage == STAGE_DEDUP_NEAR}
        survived = survivor_notices(grouped["near"])  # row -> [(source, id)] of near duplicates it replaced
        tally = Tally()
        report = ReportCollector.for_config(self.cfg)
        rejects = RejectSink(self.spill, f"rejects/near-{number:05d}.parquet", self.tokenizer, tally,
                             self.cfg.seed, self.cfg.rejects_text_fraction, report)
        curated = (ParquetSink(self.spill, f"curated/curated-{number:05d}.parquet", CURATED_SCHEMA)
                   if self.cfg.write_curated else None)
        index: list[tuple] = []
        batch: list = []
        offset = 0
        with FileSystems.create(self.spill.tokens(number)) as out:

            def flush():
                nonlocal offset, batch
                if curated is not None:
                    curated.write([curated_row(d) for d in batch])
                for doc, ids in zip(batch, self.tokenizer.encode_documents([d.text for d in batch])):
                    out.write(ids.tobytes())
                    h = mix_hash(self.cfg.seed, doc.id) if self.mixing else 0
                    index.append((doc.id, doc.source, h, offset, len(ids)))
                    offset += len(ids)
                    tally.add("kept", doc.source, size=len(ids))
                    report.kept(doc, len(ids))
                    self.tokens.inc(len(ids))
                    self.progress.add(docs=1, tokens=len(ids))
                batch = []

            for row, doc in enumerate(read_records(self.spill.curated(number), self.progress.within_split(grouped["split"][0][1]))):
                if row in near:
                    rejects.add(Rejection(doc, STAGE_DEDUP_NEAR, NEAR_DUPLICATE, near[row]))
                    continue
                for source, removed_id in survived.get(row, ()):
                    report.survivor(doc, source, removed_id, NEAR_DUPLICATE)
                batch.append(doc)
                if len(batch) >= self.cfg.tokenizer.batch_size:
                    flush()
            flush()
        write_records(self.spill.token_index(number), index)
        written = rejects.close() + (curated.close() if curated is not None else [])
        self.progress.add(nbytes=grouped["split"][0][1])
        yield from tally.events()
        yield from report_outputs(report)
        for rel in written:
            yield beam.pvalue.TaggedOutput(WRITTEN, rel)
        if self.mixing:
            by_source: dict[str, tuple[list, list]] = {}
            for _, source, h, _, n in index:
                hs, ns = by_source.setdefault(source, ([], []))
                hs.append(h)
                ns.append(n)
            for source, (hs, ns) in sorted(by_source.items()):
                yield beam.pvalue.TaggedOutput(HISTOGRAMS, (source, sparse_histogram(hs, ns)))


class TokenizeSplits(beam.PTransform):
    """(number, {"split", "near"}) -> {"events", "written", "histograms"}; writes the token files."""

    def __init__(self, cfg: PipelineConfig, spill: SpillPaths, plan, mixing: bool):
        super().__init__()
        self.cfg, self.spill, self.plan, self.mixing = cfg, spill, plan, mixing

    def expand(self, with_decisions):
        out = with_decisions | "EncodeSurvivors" >> beam.ParDo(
            _TokenizeSplitFn(self.cfg, self.spill, self.mixing), beam.pvalue.AsSingleton(self.plan)).with_outputs(
            WRITTEN, HISTOGRAMS, REPORT, main=EVENTS)
        return {EVENTS: out[EVENTS], WRITTEN: out[WRITTEN], HISTOGRAMS: out[HISTOGRAMS], REPORT: out[REPORT]}
