"""Document tokenization with a Hugging Face `tokenizer.json`: batched, special tokens spelled in the
text kept as plain text, EOS appended, very long documents cut at pre-token boundaries first.

Cutting: a document longer than `max_chunk_chars` is cut just before a space that follows a
non-space character and precedes a letter or digit. Byte-level BPE pre-tokenizers (GPT-2, NeoX, Llama 3)
start a new pre-token exactly there (`" word"`), so the ids equal those of encoding the whole text and
decode back to the exact text; without such a space in the window the cut falls at a line break, and as
a last resort at the window's end (ids may then differ at the cut, the decoded text still does not).
Tokenizers that do not round-trip a cut (e.g. ones that prepend a space to every input) are never cut.
"""
from __future__ import annotations

import hashlib
from typing import Callable, Optional, Sequence

import numpy as np
from tokenizers import Tokenizer


def cut_points(text: str, max_chars: int) -> list[int]:
    """Start offsets of the chunks (always begins with 0)."""
    starts = [0]
    n = len(text)
    while n - starts[-1] > max_chars:
        lo, hi = starts[-1] + max_chars // 2, starts[-1] + max_chars
        cut = _last_word_boundary(text, lo, hi)
        if cut is None:
            nl = text.rfind("\n", lo, hi)
            cut = nl + 1 if nl >= 0 else hi
        starts.append(cut)
    return starts


def _last_word_boundary(text: str, lo: int, hi: int):
    i = text.rfind(" ", lo, hi)
    while i > lo:
        if not text[i - 1].isspace() and i + 1 < len(text) and text[i + 1].isalnum():
            return i
        i = text.rfind(" ", lo, i)
    return None


def split_long_text(text: str, max_chars: int) -> list[str]:
    starts = cut_points(text, max_chars)
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def _read_local(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DocumentTokenizer:
    """Loads a tokenizer once; encodes batches of documents into arrays of the shard dtype, EOS last."""

    def __init__(self, tokenizer_json: str, eos: str, max_chunk_chars: int = 50_000):
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.tokenizer.encode_special_tokens = True  # "<|endoftext|>" in a text is plain text
        self.eos_id = self.tokenizer.token_to_id(eos)
        if self.eos_id is None:
            raise ValueError(f"tokenizer.eos: {eos!r} is not a token of this tokenizer")
        self.vocab_size = self.tokenizer.get_vocab_size(with_added_tokens=True)
        self.dtype = np.dtype(np.uint16 if self.vocab_size <= 1 << 16 else np.uint32)
        self.max_chunk_chars = max_chunk_chars if self._cuts_round_trip() else None

    @classmethod
    def from_file(cls, path: str, eos: str, max_chunk_chars: int = 50_000,
                  read_bytes: Optional[Callable[[str], bytes]] = None) -> "DocumentTokenizer":
        """Loads a `tokenizer.json`. `read_bytes(path)` reads paths that `open` cannot (the pipeline passes
        Beam's FileSystems for gs:// and s3://); the default reads a local file."""
        data = read_bytes(path) if read_bytes is not None else _read_local(path)
        return cls(data.decode("utf-8"), eos, max_chunk_chars)

    def _cuts_round_trip(self) -> bool:
        probe = "Cutting here is safe, word for word."
        halves = split_long_text(probe, 20)
        ids = [i for h in halves for i in self._encode_texts([h])[0]]
        return len(halves) > 1 and self.tokenizer.decode(ids, skip_special_tokens=False) == probe

    def _encode_texts(self, texts: Sequence[str]) -> list[list[int]]:
        encode = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
        return [e.ids for e in encode(list(texts), add_special_tokens=False)]

    def encode_documents(self, texts: Sequence[str]) -> list[np.ndarray]:
        chunks: list[str] = []
        owners: list[int] = []
        for k, text in enumerate(texts):
            parts = [text] if self.max_chunk_chars is None else split_long_text(text, self.max_chunk_chars)
            chunks.extend(parts)
            owners.extend([k] * len(parts))
        pieces: list[list[list[int]]] = [[] for _ in texts]
        for owner, ids in zip(owners, self._encode_texts(chunks)):
            pieces[owner].append(ids)
        out = []
        for parts in pieces:
            n = sum(len(p) for p in parts)
            arr = np.empty(n + 1, dtype=self.dtype)
            pos = 0
            for p in parts:
                arr[pos : pos + len(p)] = p
                pos += len(p)
            arr[n] = self.eos_id
            out.append(arr)
        return out

    def decode(self, ids) -> str:
        return self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)
