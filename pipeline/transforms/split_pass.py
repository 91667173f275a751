"""What every per-split pass shares: the plan of numbered splits, routing decisions to the split that owns
the documents, counting outcomes, and writing the split's rejected documents.

A pass is a DoFn over (split number, {"split": [(FileSplit, bytes)], <decision kind>: [...]}), made by
`with_decisions`: a CoGroupByKey keyed by split number, so each split receives only the decisions about its
own documents (never one global side input). A pass reads its split's spill file (pipeline.spill), writes
the next one, and emits small things only: count events, the names of the files it wrote, keys' bucket
files' existence (implicitly: a pass that finished wrote them), decisions.
"""
from __future__ import annotations

import math
import pickle
from dataclasses import dataclass
from typing import Optional

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.accounting import rejection_kind
from pipeline.config import TokenizerConfig
from pipeline.fileio import read_bytes
from pipeline.report_parts import ReportCollector, copy_part, merge_parts
from pipeline.side_outputs import REJECTS_SCHEMA, reject_row
from pipeline.spill import SpillPaths
from pipeline.tokenize import DocumentTokenizer
from pipeline.transforms.progress import PassProgress, TimedDoFn
from pipeline.transforms.tags import EVENTS, REPORT, SPLIT, WRITTEN

_METER = "meter"  # ShuffleMeter's side output of (stage, bytes)
# Input bytes of text a key bucket covers; the bucket count grows with the input so a reducer's memory
# does not (see SplitPlan.buckets).
BUCKET_INPUT_BYTES = 256 * 1024 * 1024
COMPRESSED_RATIO = 4  # bytes of text per byte of a compressed file, for sizing buckets only


@dataclass(frozen=True)
class SplitPlan:
    """How many splits, how many input bytes, and how many key buckets each dedup stage uses."""

    splits: int
    input_bytes: int
    text_bytes: int

    @property
    def buckets(self) -> int:
        return max(1, math.ceil(self.text_bytes / BUCKET_INPUT_BYTES))


def load_tokenizer(cfg: TokenizerConfig) -> DocumentTokenizer:
    """The configured tokenizer, read through Beam's FileSystems (local, gs://, s3://)."""
    return DocumentTokenizer.from_file(cfg.path, cfg.eos, cfg.max_chunk_chars, read_bytes)


def with_decisions(label: str, splits, decisions: dict):
    """(split number, {"split": [...], kind: [decisions about that split's documents]})."""
    return {SPLIT: splits, **decisions} | label >> beam.CoGroupByKey()


def bucket_numbers(label: str, pipeline, plan, *wait_for):
    """0..buckets-1 as a PCollection, produced once every PCollection in `wait_for` is complete."""
    waits = [beam.pvalue.AsList(w) for w in wait_for]

    def numbers(_, plan, *_waited):
        return range(plan.buckets)

    return (pipeline | f"{label}Once" >> beam.Create([None])
            | f"{label}Numbers" >> beam.FlatMap(numbers, beam.pvalue.AsSingleton(plan), *waits)
            | f"{label}Spread" >> beam.Reshuffle())


def split_numbers(label: str, pipeline, numbered, *wait_for):
    """(number, (split, bytes)) for every split, produced once every PCollection in `wait_for` is complete.
    A fresh root with side inputs, not a Map over the splits PCollection: a runner may fuse every consumer
    of that PCollection into the stage that produced what is waited for, which would wait on itself."""
    waits = [beam.pvalue.AsList(w) for w in wait_for]

    def emit(_, numbered, *_waited):
        return numbered

    return (pipeline | f"{label}Once" >> beam.Create([None])
            | f"{label}Splits" >> beam.FlatMap(emit, beam.pvalue.AsSingleton(numbered), *waits)
            | f"{label}Spread" >> beam.Reshuffle())


class Tally:
    """Outcome counts of one split: (kind, source, stage, reason) -> [documents, size]."""

    def __init__(self):
        self.counts: dict[tuple, list[int]] = {}

    def add(self, kind: str, source: str, stage: str = "", reason: str = "", docs: int = 1, size: int = 0) -> None:
        c = self.counts.setdefault((kind, source, stage, reason), [0, 0])
        c[0] += docs
        c[1] += size

    def events(self):
        """((kind, source, stage, reason), (documents, size)) pairs: a pass's main output."""
        for key, (docs, size) in sorted(self.counts.items()):
            yield key, (docs, size)


class SplitPassFn(TimedDoFn, beam.DoFn):
    """Base of a per-split pass. A subclass names its pass (PASS: progress line, CPU clock; REJECTS: its
    rejects file, rejects/REJECTS-SPLIT.parquet) and implements `work`, which reads the split's files and
    writes the next ones, counting into `tally` and rejecting into `rejects`; it may add tagged outputs to
    `outputs` and returns the names of any other side-output files it wrote. Every pass then sends on its counts
    (main output), the names of its side-output files (WRITTEN) and, at the end of a bundle, the report parts
    of the bundle's splits (REPORT: samples and histograms, pipeline.report_parts)."""

    PASS = REJECTS = "pass"

    def __init__(self, cfg, spill: SpillPaths):
        self.cfg, self.spill = cfg, spill
        self.CPU_CLOCK = self.PASS

    def setup(self):
        self.tokenizer = load_tokenizer(self.cfg.tokenizer)
        self.progress = None

    def run(self, element, plan, *side_inputs):
        number, grouped = element
        self.side_inputs = side_inputs  # any further side inputs apply_split_pass was given, in order
        if self.progress is None:
            self.progress = PassProgress(self.PASS, plan.input_bytes, self.spill.progress)
        split_bytes = grouped[SPLIT][0][1]
        tally = Tally()
        self.report = ReportCollector.for_config(self.cfg)  # this split's samples and histograms
        rejects = RejectSink(self.spill, f"rejects/{self.REJECTS}-{number:05d}.parquet", self.tokenizer, tally,
                             self.cfg.seed, self.cfg.rejects_text_fraction, self.report)
        outputs: list = []
        written = list(self.work(number, grouped, plan, tally, rejects, outputs) or [])
        written = rejects.close() + written
        self.progress.add(nbytes=split_bytes)
        yield from tally.events()
        self._bundle_report.add(self.report)
        for rel in written:
            yield beam.pvalue.TaggedOutput(WRITTEN, rel)
        yield from outputs

    def start_bundle(self):
        self._bundle_report = BundleReport()

    def finish_bundle(self):
        """The bundle's report parts, merged over its splits (what Beam's combiner lifting would do): k samples
        per key per bundle cross the shuffle, not k per split."""
        yield from self._bundle_report.outputs()

    def work(self, number: int, grouped: dict, plan: SplitPlan, tally: Tally, rejects: "RejectSink",
             outputs: list) -> list[str]:
        """The pass's own work on one split; appends tagged outputs to `outputs`; returns side-output names."""
        raise NotImplementedError


def apply_split_pass(pcoll, label: str, fn: SplitPassFn, plan, *tags: str, side_inputs=()) -> dict:
    """Runs a SplitPassFn over (split number, {"split": [...], ...}) elements: {"events", "written", "report",
    *tags}."""
    out = pcoll | label >> beam.ParDo(fn, beam.pvalue.AsSingleton(plan), *side_inputs).with_outputs(
        WRITTEN, REPORT, *tags, main=EVENTS)
    return {EVENTS: out[EVENTS], WRITTEN: out[WRITTEN], REPORT: out[REPORT], **{tag: out[tag] for tag in tags}}


class BundleReport:
    """Report parts (pipeline.report_parts) of the splits of one bundle, merged per key."""

    def __init__(self):
        self.parts: dict = {}

    def add(self, collector) -> None:
        for key, part in collector.items():
            self.parts[key] = copy_part(part) if key not in self.parts else merge_parts(self.parts[key], part)

    def outputs(self):
        from apache_beam.transforms.window import GlobalWindow
        from apache_beam.utils.timestamp import MIN_TIMESTAMP
        from apache_beam.utils.windowed_value import WindowedValue

        for key, part in self.parts.items():
            yield beam.pvalue.TaggedOutput(REPORT, WindowedValue((key, part), MIN_TIMESTAMP, [GlobalWindow()]))
        self.parts = {}


class _PositionSink:
    """A write-only wrapper that knows its position, so pyarrow can write through any Beam file handle."""

    def __init__(self, f):
        self._f, self.position, self.closed = f, 0, False

    def write(self, data) -> int:
        self._f.write(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self):
        self._f.flush()

    def close(self):
        self.closed = True


class ParquetSink:
    """One side-output parquet file (rows in batches, created at the first row) under the spill's out/
    folder, which the commit moves to OUT/<rel>."""

    def __init__(self, spill: SpillPaths, rel: str, schema: pa.Schema):
        self.spill, self.rel, self.schema = spill, rel, schema
        self._writer: Optional[pq.ParquetWriter] = None
        self._file = None

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self._writer is None:
            from apache_beam.io.filesystems import FileSystems

            self._file = FileSystems.create(self.spill.output(self.rel))
            self._writer = pq.ParquetWriter(pa.PythonFile(_PositionSink(self._file), mode="w"), self.schema)
        self._writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def close(self) -> list[str]:
        """Finishes the file; returns [its name relative to OUT] when it holds any row."""
        if self._writer is None:
            return []
        self._writer.close()
        self._file.close()
        return [self.rel]


class RejectSink:
    """Writes one split's rejected documents to rejects/<pass>-SPLIT.parquet (via ParquetSink) and counts each
    one with the tokens it would have had (EOS included); shows each to the split's report collector."""

    FLUSH = 256

    def __init__(self, spill: SpillPaths, rel: str, tokenizer: DocumentTokenizer, tally: Tally, seed: int,
                 text_fraction: float, report=None):
        self.sink = ParquetSink(spill, rel, REJECTS_SCHEMA)
        self.tokenizer, self.tally, self.seed, self.text_fraction = tokenizer, tally, seed, text_fraction
        self.report = report  # a pipeline.report_parts.ReportCollector: samples and histograms, or None
        self._pending: list = []

    def add(self, rejection) -> None:
        self._pending.append(rejection)
        if len(self._pending) >= self.FLUSH:
            self._flush()

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        for r, ids in zip(batch, self.tokenizer.encode_documents([r.doc.text for r in batch])):
            self.tally.add(rejection_kind(r.stage), r.doc.source, r.stage, r.reason, 1, len(ids))
            if self.report is not None:
                self.report.removed(r, len(ids))
        self.sink.write([reject_row(r, self.seed, self.text_fraction) for r in batch])

    def close(self) -> list[str]:
        self._flush()
        return self.sink.close()


class _MeterFn(beam.DoFn):
    """Passes elements through, counting their pickled bytes: one (stage, bytes) per bundle on METER, and
    the Beam counter shuffle:<stage>_bytes."""

    def __init__(self, stage: str):
        self.stage = stage

    def setup(self):
        from apache_beam.metrics import Metrics

        self.counter = Metrics.counter("shuffle", f"{self.stage}_bytes")

    def start_bundle(self):
        self.bytes = 0

    def process(self, element):
        self.bytes += len(pickle.dumps(element, protocol=pickle.HIGHEST_PROTOCOL))
        yield element

    def finish_bundle(self):
        from apache_beam.transforms.window import GlobalWindow
        from apache_beam.utils.timestamp import MIN_TIMESTAMP
        from apache_beam.utils.windowed_value import WindowedValue

        if self.bytes:
            self.counter.inc(self.bytes)
            yield beam.pvalue.TaggedOutput(_METER, WindowedValue((self.stage, self.bytes), MIN_TIMESTAMP, [GlobalWindow()]))


class ShuffleMeter:
    """Counts the bytes of what crosses each shuffle or side input, per stage, for report.json's "shuffle"."""

    def __init__(self):
        self.meters: list = []

    def __call__(self, stage: str, pcoll):
        out = pcoll | f"Meter[{stage}]" >> beam.ParDo(_MeterFn(stage)).with_outputs(_METER, main="out")
        self.meters.append(out[_METER])
        return out["out"]

    def totals(self, pipeline):
        """(stage, bytes) per stage."""
        meters = self.meters or [pipeline | "NoMeters" >> beam.Create([])]
        return meters | "AllMeters" >> beam.Flatten() | "BytesPerStage" >> beam.CombinePerKey(sum)
