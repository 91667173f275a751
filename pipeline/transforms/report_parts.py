"""Beam side of report.html's samples and distributions (pipeline.report_parts): the combine that merges
the parts into one per key.

Each pass yields (key, part) on its REPORT output (pipeline.transforms.tags) once per bundle, its splits merged (pipeline.transforms.split_pass):
k sample excerpts per (source, stage, reason) and fixed-bin histograms, so what crosses the shuffle is
bounded per bundle whatever its size, and the combiner's accumulator per key is bounded whatever the
number of splits.
"""
from __future__ import annotations

import apache_beam as beam

from pipeline.report_parts import copy_part, merge_parts


class MergeParts(beam.CombineFn):
    """Merges parts of one key: top-k samples stay k, histograms add up."""

    def create_accumulator(self):
        return None

    def add_input(self, acc, part):
        return copy_part(part) if acc is None else merge_parts(acc, part)

    def merge_accumulators(self, accs):
        out = None
        for acc in accs:
            if acc is not None:
                out = copy_part(acc) if out is None else merge_parts(out, acc)
        return out

    def extract_output(self, acc):
        return acc
