"""The names of the PCollections that pass between transforms: what a transform returns (Beam output tags)
and what a split pass receives (the CoGroupByKey keys of `split_pass.with_decisions`). One constant per
name, used by the transforms and by pipeline.job_graph alike; a transform's private plumbing keeps its own."""

# PlanSplits (transforms/splits.py).
SPLITS = "splits"  # (split number, (FileSplit, bytes)), spread over workers
PLAN = "plan"  # one SplitPlan
NUMBERED = "numbered"  # every (split number, (FileSplit, bytes)) as one list

# Every split pass (split_pass.apply_split_pass).
EVENTS = "events"  # ((kind, source, stage, reason), (documents, size)) count events, the main output
WRITTEN = "written"  # names of the side-output files written (rejects/, curated/, errors/, ...)
REPORT = "report"  # (key, part): report.html's samples and histograms (pipeline.report_parts)

# One pass's own outputs.
DONE = "done"  # the read pass: (split number, documents spilled) once the split's files are complete
FOUND = "decontam_found"  # the curate pass: (set, example number) pairs found in training documents
HISTOGRAMS = "histograms"  # the tokenize pass: sparse token histograms per source, for the mix plan
ROUTED = "routed"  # the route step: split numbers whose document copies are routed to their shards
SAMPLED = "sampled"  # the route step: (source, (copies, tokens)) sampled, for the sampled mix

# What a split pass receives, keyed by split number: the split, and decisions about its documents.
SPLIT = "split"  # [(FileSplit, bytes)]
DUPS = "dups"  # URL and exact duplicates (transforms/dedup_docs.py)
LINES = "lines"  # frequent lines the split holds (transforms/dedup_lines.py)
NEAR = "near"  # near duplicates and survivor notices (transforms/dedup_near.py)
CURATED = "curated"  # the split's curate pass is done (its curated spill file is complete)

# What the commit step receives (transforms/commit.py, CommitRun), besides PLAN, WRITTEN and FOUND.
COUNTS = "counts"  # ((kind, source, stage, reason), (documents, size)) summed over every pass
SHARD_STATS = "shard_stats"  # one ShardStats (as JSON) per shard written
SHUFFLE = "shuffle"  # (stage, bytes) that crossed each shuffle or side input
REPORT_PARTS = "report_parts"  # (key, part) merged: report.html's samples and histograms
SAMPLED_MIX = "sampled_mix"  # one {source: SampledMix}, when a mix was planned
DECONTAM_SETS = "decontam_sets"  # one {set: index figures}, with decontamination
