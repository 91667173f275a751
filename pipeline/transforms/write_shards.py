"""RouteCopies and WriteShards: document copies -> packed, globally shuffled Arrow shards under OUT/.tmp/.

Routing (a pass over each split's token index, no tokens read): each kept document gets its copies (one, or
as many as the mix says), and copy k goes to the shard chosen by hash(seed, id, k) at the position given by
a second hash (pipeline.shard_layout). The split's route file holds one bucket per shard of
(order key, source, split, offset, length) references.

Writing (one worker per shard): the shard's references from every split's route file, sorted by order key,
copies of one document kept apart; tokens are read by reference from the token files in that order and cut
into rows. Only references cross into the writer, never token arrays, so a writer's memory is its shard's
references (~100 bytes per document copy) plus one block of rows.
"""
from __future__ import annotations

from collections import OrderedDict

import apache_beam as beam
import numpy as np

from pipeline.fileio import join, open_raw
from pipeline.dataset.shard_stats import ShardStats, SourceShare
from pipeline.dataset.shard_writer import write_shard
from pipeline.packing import RowPacker, separate_copies
from pipeline.shard_layout import ShardLayout, shard_name
from pipeline.spill import SpillPaths, pickled_buckets, read_pickled_bucket, read_records, write_buckets
from pipeline.transforms.mix import copies_of
from pipeline.transforms.progress import PassProgress, TimedDoFn
from pipeline.transforms.tags import ROUTED, SAMPLED


class _RouteSplitFn(TimedDoFn, beam.DoFn):
    CPU_CLOCK = "route"
    def __init__(self, layout: ShardLayout, spill: SpillPaths):
        self.layout, self.spill = layout, spill
        self.shards = layout.all_shards()
        self.position = {shard: i for i, shard in enumerate(self.shards)}

    def run(self, number, mix_plan=None, chosen=None):
        buckets = [[] for _ in self.shards]
        sampled: dict[str, list[int]] = {}
        for doc_id, source, doc_hash, offset, length in read_records(self.spill.token_index(number)):
            k = 1 if mix_plan is None else copies_of(doc_hash, doc_id, source, mix_plan, chosen)
            if k:
                s = sampled.setdefault(source, [0, 0])
                s[0] += k
                s[1] += k * length
            for copy in range(k):
                shard, key = self.layout.place(doc_id, copy)
                buckets[self.position[shard]].append((key, source, number, offset, length))
        write_buckets(self.spill.route(number), pickled_buckets(buckets))
        yield number
        for source, (docs, tokens) in sorted(sampled.items()):
            yield beam.pvalue.TaggedOutput(SAMPLED, (source, (docs, tokens)))


class RouteCopies(beam.PTransform):
    """Split numbers in (once their token files are written); {"routed": split numbers, "sampled": (source,
    (copies, tokens))}. `mix_plan`/`chosen` are the mix's plan and window choices, or None for one copy each."""

    def __init__(self, layout: ShardLayout, spill: SpillPaths, mix_plan=None, chosen=None):
        super().__init__()
        self.layout, self.spill, self.mix_plan, self.chosen = layout, spill, mix_plan, chosen

    def expand(self, numbers):
        side = {}
        if self.mix_plan is not None:
            side = {"mix_plan": beam.pvalue.AsSingleton(self.mix_plan), "chosen": beam.pvalue.AsDict(self.chosen)}
        out = numbers | "RouteCopies" >> beam.ParDo(_RouteSplitFn(self.layout, self.spill), **side).with_outputs(
            SAMPLED, main=ROUTED)
        return {ROUTED: out[ROUTED], SAMPLED: out[SAMPLED]}


class _TokenFiles:
    """Reads token arrays by (split, offset, length), keeping a few files open."""

    OPEN = 16

    def __init__(self, spill: SpillPaths, dtype):
        self.spill, self.dtype = spill, np.dtype(dtype)
        self.files: OrderedDict = OrderedDict()

    def read(self, split: int, offset: int, length: int) -> np.ndarray:
        f = self.files.pop(split, None)
        if f is None:
            f = open_raw(self.spill.tokens(split))
            if len(self.files) >= self.OPEN:
                self.files.popitem(last=False)[1].close()
        self.files[split] = f
        f.seek(offset * self.dtype.itemsize)
        return np.frombuffer(f.read(length * self.dtype.itemsize), dtype=self.dtype)

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        self.files.clear()


class _PackAndWriteFn(TimedDoFn, beam.DoFn):
    CPU_CLOCK = "write_shards"
    def __init__(self, layout: ShardLayout, seq_len: int, dtype: str, tmp_dir: str, spill: SpillPaths):
        self.layout, self.seq_len, self.dtype, self.tmp_dir, self.spill = layout, seq_len, dtype, tmp_dir, spill
        self.shards = layout.all_shards()

    def setup(self):
        self.progress = PassProgress("write shards", 0, self.spill.progress)

    def run(self, position, plan, _routed):
        from apache_beam.io.filesystems import FileSystems

        split, index = self.shards[position]
        entries = [e for s in range(plan.splits) for e in read_pickled_bucket(self.spill.route(s), position)]
        entries.sort(key=lambda e: e[0])
        entries = separate_copies(entries, key=lambda e: e[0][1])  # e[0] = (hash, doc id, copy)
        per_source: dict[str, dict[str, int]] = {}
        packer = RowPacker(self.seq_len + 1, self.dtype)
        doc_ends: list[int] = []  # cumulative token count after each document (its EOS is the last)
        tokens = _TokenFiles(self.spill, self.dtype)

        def blocks():
            for _, source, number, offset, length in entries:
                s = per_source.setdefault(source, {"documents": 0, "tokens": 0})
                s["documents"] += 1
                s["tokens"] += length
                doc_ends.append((doc_ends[-1] if doc_ends else 0) + length)
                self.progress.add(docs=1, tokens=length)
                yield from packer.add(tokens.read(number, offset, length))
            last, self.tail = packer.finish()
            yield last

        name = shard_name(split, index, self.layout.num_shards(split))
        try:
            with FileSystems.create(join(self.tmp_dir, name)) as f:
                rows, digest = write_shard(f, blocks(), self.seq_len, self.dtype)
        finally:
            tokens.close()
        yield ShardStats(
            split=split, index=index, path=name, rows=rows, tokens=rows * (self.seq_len + 1),
            dropped_tail_tokens=self.tail, xxh64=digest, documents=len(entries),
            sources={source: SourceShare(s["documents"], s["tokens"]) for source, s in per_source.items()},
            dropped_tail_documents=sum(1 for end in doc_ends if end > (doc_ends[-1] if doc_ends else 0) - self.tail),
        ).to_json()


class WriteShards(beam.PTransform):
    """Split numbers in (once routed); one ShardStats per shard out, as its JSON form. Every shard is written,
    even an empty one."""

    def __init__(self, layout: ShardLayout, seq_len: int, dtype: str, tmp_dir: str, spill: SpillPaths, plan):
        super().__init__()
        self.layout, self.seq_len, self.dtype, self.tmp_dir = layout, seq_len, dtype, tmp_dir
        self.spill, self.plan = spill, plan

    def expand(self, routed):
        return (
            routed.pipeline
            | "EveryShard" >> beam.Create(list(range(len(self.layout.all_shards()))))
            | "SpreadShards" >> beam.Reshuffle()
            | "PackAndWrite" >> beam.ParDo(
                _PackAndWriteFn(self.layout, self.seq_len, self.dtype, self.tmp_dir, self.spill),
                beam.pvalue.AsSingleton(self.plan), beam.pvalue.AsList(routed))
        )
