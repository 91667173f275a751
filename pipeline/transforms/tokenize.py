"""TokenizeDocuments: Documents -> TokenizedDocuments, in batches, the tokenizer loaded once per worker."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.config import TokenizerConfig
from pipeline.document import TokenizedDocument
from pipeline.tokenize import DocumentTokenizer
from pipeline.transforms.fileio import read_bytes
from pipeline.transforms.progress import ProgressLog


class _EncodeBatchFn(beam.DoFn):
    def __init__(self, cfg: TokenizerConfig):
        self.cfg = cfg

    def setup(self):
        self.tokenizer = DocumentTokenizer(read_bytes(self.cfg.path).decode("utf-8"), self.cfg.eos, self.cfg.max_chunk_chars)
        self.tokens = Metrics.counter("tokenize", "tokens")
        self.progress = ProgressLog("tokens encoded")

    def process(self, docs):
        for doc, ids in zip(docs, self.tokenizer.encode_documents([d.text for d in docs])):
            self.tokens.inc(len(ids))
            self.progress.add(len(ids))
            yield TokenizedDocument(doc.id, doc.source, ids)


class TokenizeDocuments(beam.PTransform):
    def __init__(self, cfg: TokenizerConfig):
        super().__init__()
        self.cfg = cfg

    def expand(self, docs):
        return (
            docs
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.cfg.batch_size)
            | "EncodeBatch" >> beam.ParDo(_EncodeBatchFn(self.cfg))
        )
