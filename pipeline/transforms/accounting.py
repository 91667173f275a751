"""CountOutcomes: every read record, rejection and kept document counted per (kind, source, stage,
reason): a small PCollection the commit step turns into report.json. Counting in the pipeline (not
through runner metrics) keeps the numbers exact on every runner, retries included."""
from __future__ import annotations

import apache_beam as beam

from pipeline.accounting import rejection_kind, sum_pairs
from pipeline.config import TokenizerConfig
from pipeline.tokenize import DocumentTokenizer
from pipeline.transforms.fileio import read_bytes


class _RejectionEventsFn(beam.DoFn):
    """Counts what each rejection removed in tokens (EOS included), as if the document had been kept."""

    def __init__(self, cfg: TokenizerConfig):
        self.cfg = cfg

    def setup(self):
        self.tokenizer = DocumentTokenizer(read_bytes(self.cfg.path).decode("utf-8"), self.cfg.eos, self.cfg.max_chunk_chars)

    def process(self, rejections):
        for r, ids in zip(rejections, self.tokenizer.encode_documents([r.doc.text for r in rejections])):
            yield (rejection_kind(r.stage), r.doc.source, r.stage, r.reason), (1, len(ids))


class CountOutcomes(beam.PTransform):
    """Takes a dict of PCollections: read_docs (Documents, empty ones included), errors (ReadErrors),
    rejected (Rejections from every stage), kept (TokenizedDocuments), and optionally line_stats
    ((source, lines removed, characters removed) per document that repeated-line removal changed)."""

    def __init__(self, tokenizer: TokenizerConfig):
        super().__init__()
        self.tokenizer = tokenizer

    def expand(self, pcolls):
        events = (
            pcolls["read_docs"] | "ReadEvents" >> beam.Map(lambda d: (("read", d.source, "", ""), (1, 0))),
            pcolls["errors"] | "ErrorReadEvents" >> beam.Map(lambda e: (("read", e.source, "", ""), (1, 0))),
            pcolls["errors"] | "UnreadableEvents" >> beam.Map(lambda e: (("unreadable", e.source, "read", "unreadable"), (1, 0))),
            pcolls["rejected"]
            | "BatchRejections" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.tokenizer.batch_size)
            | "RejectionEvents" >> beam.ParDo(_RejectionEventsFn(self.tokenizer)),
            pcolls["kept"] | "KeptEvents" >> beam.Map(lambda t: (("kept", t.source, "", ""), (1, len(t.tokens)))),
        )
        if "line_stats" in pcolls:
            events += (pcolls["line_stats"] | "LineRemovalEvents" >> beam.Map(
                lambda s: (("lines_removed", s[0], "dedup_lines", "repeated_line"), (s[1], s[2]))),)
        return events | "AllEvents" >> beam.Flatten() | "SumPerKey" >> beam.CombinePerKey(sum_pairs)
