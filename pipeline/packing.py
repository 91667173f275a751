"""Packing a shard's documents into fixed-length rows (docs/format.md, "Shard format").

Documents (each already ending in EOS) are concatenated in order and cut into rows of `row_len`
(= seq_len + 1) tokens; a document may continue into the next row; the final partial row is dropped
and its token count reported. Rows come out in blocks so a shard never needs twice its size in memory.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np


class RowPacker:
    def __init__(self, row_len: int, dtype, block_rows: int = 1024):
        assert row_len >= 2
        self.row_len = row_len
        self.block_rows = block_rows
        self._buf = np.empty(row_len * block_rows, dtype=dtype)
        self._fill = 0
        self.rows = 0

    def add(self, tokens: np.ndarray) -> Iterator[np.ndarray]:
        """Appends one document; yields each block of `block_rows` complete rows as it fills."""
        pos = 0
        while pos < len(tokens):
            take = min(len(tokens) - pos, len(self._buf) - self._fill)
            self._buf[self._fill : self._fill + take] = tokens[pos : pos + take]
            self._fill += take
            pos += take
            if self._fill == len(self._buf):
                yield self._emit(self.block_rows)

    def finish(self) -> tuple[np.ndarray, int]:
        """The last (possibly empty) block of whole rows, and the dropped tail's token count."""
        whole = self._fill // self.row_len
        tail = self._fill - whole * self.row_len
        return self._emit(whole), tail

    def _emit(self, nrows: int) -> np.ndarray:
        block = self._buf[: nrows * self.row_len].reshape(nrows, self.row_len).copy()
        self.rows += nrows
        self._fill = 0
        return block


def pack(documents: Iterable[np.ndarray], row_len: int, dtype=np.uint16) -> tuple[np.ndarray, int]:
    """All rows of a sequence of documents at once (tests and small inputs)."""
    packer = RowPacker(row_len, dtype)
    blocks = [b for doc in documents for b in packer.add(doc)]
    last, tail = packer.finish()
    rows = np.concatenate(blocks + [last]) if blocks else last
    return rows.reshape(-1, row_len), tail


def separate_copies(items: list, key=lambda item: item) -> list:
    """Reorders so that no two neighbours share a key (copies of one document) where the items after
    a clash allow it: a clashing item swaps with the next item of another key. Deterministic: a pure
    function of the input order, and a no-op when nothing clashes."""
    items = list(items)
    for i in range(1, len(items)):
        if key(items[i]) != key(items[i - 1]):
            continue
        for j in range(i + 1, len(items)):
            if key(items[j]) != key(items[i - 1]):
                items[i], items[j] = items[j], items[i]
                break
    return items
