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
from pipeline.accounting import KIND_KEPT
from pipeline.config import PipelineConfig
from pipeline.document import STAGE_DEDUP_NEAR, Rejection
from pipeline.side_outputs import CURATED_SCHEMA, curated_row
from pipeline.spill import SpillPaths, read_records, write_records
from pipeline.transforms.dedup_near import NEAR_DUPLICATE, survivor_notices
from pipeline.transforms.mix import mix_hash
from pipeline.transforms.split_pass import ParquetSink, SplitPassFn, apply_split_pass
from pipeline.transforms.tags import HISTOGRAMS, NEAR, SPLIT


def sparse_histogram(hashes: list[int], sizes: list[int]):
    """(bucket numbers, documents, tokens) over the mix-hash buckets these documents fall in."""
    buckets = np.fromiter((bucket_of(h) for h in hashes), dtype=np.int64, count=len(hashes))
    sizes = np.asarray(sizes, dtype=np.int64)
    used, inverse = np.unique(buckets, return_inverse=True)
    return used, np.bincount(inverse, minlength=len(used)), np.bincount(inverse, weights=sizes, minlength=len(used)).astype(np.int64)


class _TokenFile:
    """One split's token file and its index: documents encoded in batches, arrays written one after another."""

    def __init__(self, path: str, tokenizer, seed: int, mixing: bool):
        self.out = FileSystems.create(path)
        self.tokenizer, self.seed, self.mixing = tokenizer, seed, mixing
        self.index: list[tuple] = []  # (id, source, mix hash, offset, length)
        self.offset = 0

    def encode(self, docs) -> list[int]:
        """Writes the documents' tokens; returns their token counts."""
        sizes = []
        for doc, ids in zip(docs, self.tokenizer.encode_documents([d.text for d in docs])):
            self.out.write(ids.tobytes())
            h = mix_hash(self.seed, doc.id) if self.mixing else 0
            self.index.append((doc.id, doc.source, h, self.offset, len(ids)))
            self.offset += len(ids)
            sizes.append(len(ids))
        return sizes

    def close(self) -> None:
        self.out.close()

    def histograms(self):
        """(source, sparse histogram of tokens over mix-hash buckets) per source."""
        by_source: dict[str, tuple[list, list]] = {}
        for _, source, h, _, n in self.index:
            hs, ns = by_source.setdefault(source, ([], []))
            hs.append(h)
            ns.append(n)
        return [(source, sparse_histogram(hs, ns)) for source, (hs, ns) in sorted(by_source.items())]


class _TokenizeSplitFn(SplitPassFn):
    PASS, REJECTS = "tokenize", "near"

    def __init__(self, cfg: PipelineConfig, spill: SpillPaths, mixing: bool):
        super().__init__(cfg, spill)
        self.mixing = mixing

    def setup(self):
        super().setup()
        self.tokens = Metrics.counter("tokenize", "tokens")

    def work(self, number, grouped, plan, tally, rejects, outputs):
        near = {row: survivor for stage, row, _, survivor in grouped[NEAR] if stage == STAGE_DEDUP_NEAR}
        survived = survivor_notices(grouped[NEAR])  # row -> [(source, id)] of near duplicates it replaced
        curated = (ParquetSink(self.spill, f"curated/curated-{number:05d}.parquet", CURATED_SCHEMA)
                   if self.cfg.write_curated else None)
        tokens = _TokenFile(self.spill.tokens(number), self.tokenizer, self.cfg.seed, self.mixing)
        docs = read_records(self.spill.curated(number), self.progress.within_split(grouped[SPLIT][0][1]))
        for batch in _batches(self._survivors(docs, near, survived, rejects, self.report), self.cfg.tokenizer.batch_size):
            if curated is not None:
                curated.write([curated_row(d) for d in batch])
            for doc, n in zip(batch, tokens.encode(batch)):
                tally.add(KIND_KEPT, doc.source, size=n)
                self.report.kept(doc, n)
                self.tokens.inc(n)
                self.progress.add(docs=1, tokens=n)
        tokens.close()
        write_records(self.spill.token_index(number), tokens.index)
        if self.mixing:
            outputs.extend(beam.pvalue.TaggedOutput(HISTOGRAMS, h) for h in tokens.histograms())
        return curated.close() if curated is not None else []

    @staticmethod
    def _survivors(docs, near: dict, survived: dict, rejects, report):
        """The documents that are no near duplicate; the others are rejected. A survivor is shown to the
        report with the near duplicates it replaced (samples side by side)."""
        for row, doc in enumerate(docs):
            if row in near:
                rejects.add(Rejection(doc, STAGE_DEDUP_NEAR, NEAR_DUPLICATE, near[row]))
                continue
            for source, removed_id in survived.get(row, ()):
                report.survivor(doc, source, removed_id, NEAR_DUPLICATE)
            yield doc


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class TokenizeSplits(beam.PTransform):
    """(number, {"split", "near"}) -> {"events", "written", "histograms"}; writes the token files."""

    def __init__(self, cfg: PipelineConfig, spill: SpillPaths, plan, mixing: bool):
        super().__init__()
        self.cfg, self.spill, self.plan, self.mixing = cfg, spill, plan, mixing

    def expand(self, with_decisions):
        return apply_split_pass(with_decisions, "EncodeSurvivors", _TokenizeSplitFn(self.cfg, self.spill, self.mixing),
                                self.plan, HISTOGRAMS)
