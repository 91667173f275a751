"""Where a document copy goes: split, shard and position, all pure functions of (seed, id, copy)."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.dataset.format import TRAIN, VALIDATION
from pipeline.hashing import is_validation, order_key, shard_index


@dataclass(frozen=True)
class ShardLayout:
    seed: int
    validation_fraction: float
    train_shards: int
    validation_shards: int

    def num_shards(self, split: str) -> int:
        return self.train_shards if split == TRAIN else self.validation_shards

    def place(self, doc_id: str, copy: int) -> tuple[tuple[str, int], tuple]:
        """((split, shard index), order key within the shard)."""
        split = VALIDATION if is_validation(self.seed, doc_id, self.validation_fraction) else TRAIN
        return (split, shard_index(self.seed, doc_id, copy, self.num_shards(split))), order_key(self.seed, doc_id, copy)

    def all_shards(self) -> list[tuple[str, int]]:
        return [(TRAIN, i) for i in range(self.train_shards)] + [(VALIDATION, i) for i in range(self.validation_shards)]


def shard_name(split: str, index: int, count: int) -> str:
    return f"{split}/shard-{index:05d}-of-{count:05d}.arrow"
