"""The job's Beam graph: the passes and reducers a config asks for, in order, and what each hands on.

Stage order: read -> URL dedup -> exact dedup -> decontamination (optional) -> repeated-line removal ->
curation filters -> near-duplicate removal -> tokenize -> mix -> shard (global shuffle + packing) ->
commit. Cheap, exact stages run first so the expensive ones see fewer documents; line removal runs
before the quality filters so they judge text without boilerplate.

Two kinds of step (docs/architecture.md):
- a **pass** runs once per input split, reads that split's spill file and writes the next; every pass
  has the same outputs: `events` (counts for the report), `written` (side-output file names) and
  `report` (samples and histograms), which the commit step collects;
- a **decision stage** runs per key bucket and sends small decisions back keyed by split (this URL's
  survivor, these lines are frequent, these documents are near duplicates). A stage the config leaves
  off sends none, and the pass after it runs unchanged.

Only decisions, counts and the eval sets' n-gram index cross Beam's shuffles; each is metered for
report.json's "shuffle". Step labels are stable: a runner may match them across job updates.
"""
from __future__ import annotations

import apache_beam as beam

from pipeline.accounting import sum_pairs
from pipeline.config import PipelineConfig, mix_statement, mixing_requested
from pipeline.shard_layout import ShardLayout
from pipeline.spill import SpillPaths
from pipeline.transforms.commit import CommitRun, RunPaths
from pipeline.transforms.curate_pass import CurateSplits
from pipeline.transforms.decontam import BuildEvalIndex, index_stats
from pipeline.transforms.dedup_docs import DecideDuplicates
from pipeline.transforms.dedup_lines import CountLines, DecideFrequentLines
from pipeline.transforms.dedup_near import DecideNear
from pipeline.transforms.mix import ChooseInWindows, CountSampledMix, PlanMixFromHistograms
from pipeline.transforms.report_parts import MergeParts
from pipeline.transforms.scan import ScanSplits
from pipeline.transforms.split_pass import ShuffleMeter, bucket_numbers, split_numbers, with_decisions
from pipeline.transforms.splits import PlanSplits
from pipeline.transforms.tags import (
    COUNTS, CURATED, DECONTAM_SETS, DONE, DUPS, EVENTS, FOUND, HISTOGRAMS, LINES, NEAR, NUMBERED, PLAN, REPORT,
    REPORT_PARTS, ROUTED, SAMPLED, SAMPLED_MIX, SHARD_STATS, SHUFFLE, SPLITS, WRITTEN,
)
from pipeline.transforms.tokenize_pass import TokenizeSplits
from pipeline.transforms.write_shards import RouteCopies, WriteShards


def build_pipeline(p: beam.Pipeline, cfg: PipelineConfig, paths: RunPaths, dtype: str, started: float = 0.0) -> None:
    """Adds the whole job to `p`, stage by stage."""
    job = JobGraph(p, cfg, SpillPaths(paths.tmp))
    scanned = job.run_pass(job.splits | "Scan" >> ScanSplits(cfg, job.spill, job.plan))
    dups = job.decisions("dedup_decisions", cfg.dedup.url or cfg.dedup.exact, lambda: job.duplicates(scanned))
    lines = job.decisions("line_decisions", cfg.dedup.lines, lambda: job.frequent_lines(dups))
    eval_index = job.meter("decontam_index", p | "EvalIndex" >> BuildEvalIndex(cfg.decontaminate)) if cfg.decontaminate else None
    curated = job.run_pass(
        with_decisions("WithDupsAndLines", job.splits, {DUPS: dups, LINES: lines, DONE: scanned[DONE]})
        | "Curate" >> CurateSplits(cfg, job.spill, job.plan, eval_index))
    near = job.decisions("near_decisions", cfg.dedup.near, lambda: job.near_duplicates(curated))
    mixing = mixing_requested(cfg)
    curated_splits = split_numbers("Curated", p, job.planned[NUMBERED], curated[EVENTS])
    tokenized = job.run_pass(with_decisions("WithNear", job.splits, {NEAR: near, CURATED: curated_splits})
                             | "Tokenize" >> TokenizeSplits(cfg, job.spill, job.plan, mixing))
    shard_stats, sampled_mix = job.mix_and_shard(tokenized, mixing, dtype)
    commit_inputs = job.commit_inputs(shard_stats, sampled_mix)
    if eval_index is not None:
        commit_inputs[DECONTAM_SETS] = eval_index | "EvalSetStats" >> beam.Map(index_stats)
        commit_inputs[FOUND] = (job.meter("decontam_found", curated[FOUND]) | "DistinctFound" >> beam.Distinct()
                                           | "FoundPerSet" >> beam.combiners.Count.PerKey())
    _ = commit_inputs | "Commit" >> CommitRun(cfg, started)


class JobGraph:
    """The parts of the graph every stage uses (the split plan, the spill files, the shuffle meter), and
    the passes' outputs collected for the commit step."""

    def __init__(self, p: beam.Pipeline, cfg: PipelineConfig, spill: SpillPaths):
        self.p, self.cfg, self.spill = p, cfg, spill
        self.meter = ShuffleMeter()
        self.planned = p | "Plan" >> PlanSplits(cfg.sources)
        self.splits, self.plan = self.meter("splits", self.planned[SPLITS]), self.planned[PLAN]
        self._none = p | "NoDecisions" >> beam.Create([])
        self._events, self._written, self._reports = [], [], []

    def run_pass(self, outputs):
        """A pass's outputs, its counts, file names and report parts kept for the commit step."""
        self._events.append(outputs[EVENTS])
        self._written.append(outputs[WRITTEN])
        self._reports.append(outputs[REPORT])
        return outputs

    def decisions(self, stage: str, enabled, build):
        """The decisions of a stage the config turns on (metered as they cross the shuffle), or none."""
        return self.meter(stage, build()) if enabled else self._none

    def duplicates(self, scanned):
        """URL and exact duplicates, per bucket of the read pass's keys."""
        dedup = self.cfg.dedup
        return (bucket_numbers("DupBuckets", self.p, self.plan, scanned[DONE])
                | "DedupDocs" >> DecideDuplicates(self.spill, self.plan, dedup.url, dedup.exact, self.meter))

    def frequent_lines(self, dups):
        """Lines held by too many documents: a pass counts each split's lines, reducers decide per bucket."""
        counted = with_decisions("WithDups", self.splits, {DUPS: dups}) | "CountLines" >> CountLines(self.spill, self.plan)
        return (bucket_numbers("LineBuckets", self.p, self.plan, counted)
                | "DedupLines" >> DecideFrequentLines(self.spill, self.plan, self.cfg.dedup.lines))

    def near_duplicates(self, curated):
        """Near duplicates among the curated documents, from the curate pass's MinHash band keys."""
        return (bucket_numbers("BandBuckets", self.p, self.plan, curated[EVENTS])
                | "DedupNear" >> DecideNear(self.spill, self.plan, self.cfg.dedup.near, self.meter,
                                            self.cfg.report.samples > 0))

    def mix_and_shard(self, tokenized, mixing: bool, dtype: str):
        """(shard stats, sampled mix or None): the mix plan when the config asks for one (weights,
        `mix.temperature` or `mix.total_tokens`), each document's
        copies routed to their shards, and the shards written from the token files by reference."""
        cfg, spill = self.cfg, self.spill
        token_files = split_numbers("TokenFiles", self.p, self.planned[NUMBERED], tokenized[EVENTS]) | "SplitNumbers" >> beam.Keys()
        mix_plan = chosen = sampled_mix = None
        if mixing:
            mix_plan = self.meter("mix_histograms", tokenized[HISTOGRAMS]) | "MixPlan" >> PlanMixFromHistograms(mix_statement(cfg.sources, cfg.mix))
            chosen = token_files | "MixWindows" >> ChooseInWindows(spill, mix_plan)
        layout = ShardLayout(cfg.seed, cfg.validation_fraction, cfg.shards.train, cfg.shards.validation)
        routed = token_files | "Route" >> RouteCopies(layout, spill, mix_plan, chosen)
        if mixing:
            sampled_mix = self.meter("mix_sampled", routed[SAMPLED]) | "Mix" >> CountSampledMix(mix_plan)
        shards = routed[ROUTED] | "Shard" >> WriteShards(layout, cfg.seq_len, dtype, spill.tmp, spill, self.plan)
        return self.meter("shard_stats", shards), sampled_mix

    def commit_inputs(self, shard_stats, sampled_mix) -> dict:
        """What the commit step receives: every pass's counts, file names and report parts, merged."""
        counts = self.meter("counts", self._events | "AllEvents" >> beam.Flatten()) | "Account" >> beam.CombinePerKey(sum_pairs)
        written = self.meter("output_files", self._written | "AllOutputFiles" >> beam.Flatten())
        report_parts = (self.meter("report_parts", self._reports | "AllReportParts" >> beam.Flatten())
                        | "MergeReportParts" >> beam.CombinePerKey(MergeParts()))
        inputs = {COUNTS: counts, SHARD_STATS: shard_stats, WRITTEN: written,
                  SHUFFLE: self.meter.totals(self.p), PLAN: self.plan, REPORT_PARTS: report_parts}
        if sampled_mix is not None:
            inputs[SAMPLED_MIX] = sampled_mix
        return inputs
