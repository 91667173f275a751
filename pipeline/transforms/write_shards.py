"""WriteShards: document copies -> packed, globally shuffled Arrow shards under a temporary folder.

Each copy goes to the shard chosen by hash(seed, id, copy); inside a shard, copies are sorted by a
second hash, copies of one document are kept apart, and the token stream is cut into rows.
Memory: one worker holds one shard's documents (about tokens x 2-4 bytes, plus Python overhead) while
it sorts them; choose `shards.train` so a shard fits a worker (e.g. <= 1-2 GB of tokens each).
"""
from __future__ import annotations

import apache_beam as beam

from pipeline.packing import RowPacker, separate_copies
from pipeline.shard_layout import ShardLayout, shard_name
from pipeline.shards import write_shard
from pipeline.transforms.fileio import join
from pipeline.transforms.progress import ProgressLog


class _PackAndWriteFn(beam.DoFn):
    def __init__(self, layout: ShardLayout, seq_len: int, dtype: str, tmp_dir: str):
        self.layout, self.seq_len, self.dtype, self.tmp_dir = layout, seq_len, dtype, tmp_dir

    def setup(self):
        self.progress = ProgressLog("tokens written to shards", every_s=2.0)

    def process(self, element):
        from apache_beam.io.filesystems import FileSystems

        (split, index), entries = element
        entries = sorted((e for e in entries if e is not None), key=lambda e: e[0])
        entries = separate_copies(entries, key=lambda e: e[0][1])  # e[0] = (hash, doc id, copy)
        per_source: dict[str, dict[str, int]] = {}
        packer = RowPacker(self.seq_len + 1, self.dtype)
        doc_ends: list[int] = []  # cumulative token count after each document (its EOS is the last)

        def blocks():
            for (_, _, copy), source, tokens in entries:
                s = per_source.setdefault(source, {"documents": 0, "tokens": 0})
                s["documents"] += 1
                s["tokens"] += len(tokens)
                doc_ends.append((doc_ends[-1] if doc_ends else 0) + len(tokens))
                self.progress.add(len(tokens))
                yield from packer.add(tokens)
            last, self.tail = packer.finish()
            yield last

        name = shard_name(split, index, self.layout.num_shards(split))
        with FileSystems.create(join(self.tmp_dir, name)) as f:
            rows, digest = write_shard(f, blocks(), self.seq_len, self.dtype)
        yield {
            "split": split, "index": index, "path": name, "rows": rows,
            "tokens": rows * (self.seq_len + 1), "dropped_tail_tokens": self.tail, "xxh64": digest,
            "documents": len(entries), "sources": per_source,
            # documents whose EOS fell into the dropped partial row: present only as a cut-off prefix
            "dropped_tail_documents": sum(1 for end in doc_ends if end > (doc_ends[-1] if doc_ends else 0) - self.tail),
        }


class WriteShards(beam.PTransform):
    """(TokenizedDocument, copy index) pairs in; one stats dict per shard out."""

    def __init__(self, layout: ShardLayout, seq_len: int, dtype: str, tmp_dir: str):
        super().__init__()
        self.layout, self.seq_len, self.dtype, self.tmp_dir = layout, seq_len, dtype, tmp_dir

    def expand(self, copies):
        layout = self.layout

        def place(pair):
            doc, copy = pair
            shard, key = layout.place(doc.id, copy)
            return shard, (key, doc.source, doc.tokens)

        placed = copies | "AssignShard" >> beam.Map(place)
        # Every shard exists, even one that received no document.
        every_shard = copies.pipeline | "EveryShard" >> beam.Create([(s, None) for s in layout.all_shards()])
        return (
            (placed, every_shard)
            | "WithEveryShard" >> beam.Flatten()
            | "GroupByShard" >> beam.GroupByKey()
            | "PackAndWrite" >> beam.ParDo(_PackAndWriteFn(layout, self.seq_len, self.dtype, self.tmp_dir))
        )
