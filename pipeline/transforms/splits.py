"""PlanSplits: every configured source's files -> numbered splits and the SplitPlan.

Files are matched on a worker (not the driver) and planned into splits (byte ranges, row groups or whole
files); the splits of all sources are then numbered 0..S-1 in (source, path, start) order, so a split's
number, hence every spill file name, is the same on every run whatever the runner or parallelism.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from pipeline.fileio import open_raw
from pipeline.ids import glob_base, relative_path
from pipeline.readers import plan_splits
from pipeline.readers.streams import is_compressed
from pipeline.transforms.split_pass import COMPRESSED_RATIO, SplitPlan
from pipeline.transforms.tags import NUMBERED, PLAN, SPLITS


def match_files(pattern: str):
    """(path, size, path relative to the pattern's folder) of every file the pattern matches."""
    base = glob_base(pattern)
    for result in FileSystems.match([pattern]):
        for meta in result.metadata_list:
            yield meta.path, meta.size_in_bytes, relative_path(meta.path, base)


def _sized_splits(source, matched):
    path, size, rel = matched
    splits = plan_splits(source.name, source.format, path, rel, size, open_raw)
    for s in splits:
        nbytes = (s.end - s.start) if s.end is not None and source.format == "jsonl" else size // len(splits)
        yield s, nbytes


def _number(all_splits):
    ordered = sorted(all_splits, key=lambda sb: (sb[0].source, sb[0].path, sb[0].start))
    return list(enumerate(ordered))


def _plan(numbered) -> SplitPlan:
    input_bytes = sum(n for _, (_, n) in numbered)
    text_bytes = sum(n * (COMPRESSED_RATIO if is_compressed(s.path) else 1) for _, (s, n) in numbered)
    return SplitPlan(len(numbered), input_bytes, text_bytes)


class PlanSplits(beam.PTransform):
    """Returns {"splits": (number, (FileSplit, bytes)) spread over workers, "plan": one SplitPlan,
    "numbered": the same splits as one list}."""

    def __init__(self, sources):
        super().__init__()
        self.sources = sources

    def expand(self, pbegin):
        per_source = []
        for src in self.sources:
            per_source.append(
                pbegin
                | f"Patterns[{src.name}]" >> beam.Create(sorted(set(src.paths)))
                | f"MatchFiles[{src.name}]" >> beam.FlatMap(match_files)
                | f"DistinctFiles[{src.name}]" >> beam.Distinct()
                | f"PlanSplits[{src.name}]" >> beam.FlatMap(lambda f, s=src: _sized_splits(s, f)))
        numbered = (per_source | "AllSplits" >> beam.Flatten() | "GatherSplits" >> beam.combiners.ToList()
                    | "NumberSplits" >> beam.Map(_number))
        splits = numbered | "EachSplit" >> beam.FlatMap(lambda n: n) | "SpreadSplits" >> beam.Reshuffle()
        plan = numbered | "SplitPlan" >> beam.Map(_plan)
        return {SPLITS: splits, PLAN: plan, NUMBERED: numbered}
