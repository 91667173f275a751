"""Builds a small tokenmill dataset exactly per the contract (docs/format.md, "Shard format" and
"manifest.json"), from real text and the real GPT-NeoX tokenizer, so the trainer can be tested before
and independently of the Beam pipeline.

Each shard is a stream of documents, each followed by EOS, cut into rows of seq_len + 1 tokens; the
final partial row is dropped and its size recorded. Documents go to the validation split by a hash of
their index, and round-robin to the train shards.
"""
from __future__ import annotations

import glob
import gzip
import hashlib
import json
import os

import numpy as np
import pyarrow as pa
import xxhash

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE_DATA = os.path.join(REPO, "examples", "data")
TOKENIZER_JSON = os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json")
EOS = "<|endoftext|>"


def shakespeare_paragraphs() -> list[str]:
    with open(os.path.join(SAMPLE_DATA, "books", "tinyshakespeare.txt"), encoding="utf-8") as f:
        return [p.strip() for p in f.read().split("\n\n") if p.strip()]


def all_sample_texts() -> list[str]:
    """Every document of the bundled jsonl sources plus Shakespeare as one document, like `make demo`."""
    texts = []
    for path in sorted(glob.glob(os.path.join(SAMPLE_DATA, "*", "*.jsonl.gz"))):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    with open(os.path.join(SAMPLE_DATA, "books", "tinyshakespeare.txt"), encoding="utf-8") as f:
        texts.append(f.read())
    return texts


def _tokenizer():
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(TOKENIZER_JSON)
    tok.encode_special_tokens = True  # text that spells "<|endoftext|>" is plain text (docs/format.md)
    with open(TOKENIZER_JSON, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return tok, {"sha256": sha, "vocab_size": tok.get_vocab_size(), "eos_id": tok.token_to_id(EOS)}


def _encoded(tok, texts: list[str], batch: int = 256):
    for start in range(0, len(texts), batch):
        yield from (e.ids for e in tok.encode_batch(texts[start:start + batch], add_special_tokens=False))


def write_shard(path: str, tokens: np.ndarray, seq_len: int, dtype: str, record_batch_rows: int | None) -> dict:
    """Cuts a token stream into rows and writes them as an Arrow IPC file; returns its manifest entry."""
    row_len = seq_len + 1
    rows = len(tokens) // row_len
    matrix = tokens[: rows * row_len].astype(dtype)
    values = pa.array(matrix, type=pa.uint16() if dtype == "uint16" else pa.uint32())
    column = pa.FixedSizeListArray.from_arrays(values, row_len)
    table = pa.table({"input_ids": column})
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=record_batch_rows or max(rows, 1))
    with open(path, "rb") as f:
        digest = xxhash.xxh64(f.read()).hexdigest()
    return {"rows": rows, "tokens": rows * row_len, "dropped_tail_tokens": len(tokens) - rows * row_len, "xxh64": digest}


def build_dataset(out_dir: str, *, seq_len: int = 64, train_shards: int = 3, validation_shards: int = 1,
                  train_rows: int = 300, texts: list[str] | None = None, dtype: str = "uint16",
                  record_batch_rows: int | None = None, seed: int = 1234) -> dict:
    """Writes OUT/train/*.arrow, OUT/validation/*.arrow and OUT/manifest.json (last); returns the
    manifest. Stops taking documents once the train split reaches about `train_rows` rows."""
    texts = shakespeare_paragraphs() if texts is None else texts
    tok, tokenizer = _tokenizer()
    eos = tokenizer["eos_id"]
    streams: dict[str, list[list[int]]] = {"train": [[] for _ in range(train_shards)],
                                           "validation": [[] for _ in range(validation_shards)]}
    train_tokens = 0
    documents = 0
    for i, doc in enumerate(_encoded(tok, texts)):
        if train_tokens >= (train_rows + train_shards) * (seq_len + 1):
            break
        documents += 1
        doc = doc + [eos]
        if validation_shards and xxhash.xxh64_intdigest(f"{seed}/{i}".encode()) % 10 == 0:
            streams["validation"][i % validation_shards].extend(doc)
        else:
            streams["train"][i % train_shards].extend(doc)
            train_tokens += len(doc)
    splits = {}
    for split, shard_streams in streams.items():
        shards = []
        for k, stream in enumerate(shard_streams):
            rel = f"{split}/shard-{k:05d}-of-{len(shard_streams):05d}.arrow"
            entry = write_shard(os.path.join(out_dir, rel), np.asarray(stream, dtype=np.int64), seq_len, dtype,
                                record_batch_rows)
            shards.append({"path": rel, **entry})
        splits[split] = {"rows": sum(s["rows"] for s in shards), "tokens": sum(s["tokens"] for s in shards),
                         "shards": shards}
    manifest = {
        "format": "tokenmill.shards/1", "seq_len": seq_len, "dtype": dtype, "tokenizer": tokenizer,
        "seed": seed, "splits": splits,
        "sources": {"fixture": {"documents": documents, "tokens": splits["train"]["tokens"],
                                "target_fraction": None, "realized_fraction": 1.0, "repeats": 1.0}},
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def read_all_rows(out_dir: str, split: str = "train") -> np.ndarray:
    """Every row of a split in manifest order, read independently of the trainer (for assertions)."""
    with open(os.path.join(out_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    blocks = []
    for shard in manifest["splits"][split]["shards"]:
        table = pa.ipc.open_file(os.path.join(out_dir, shard["path"])).read_all()
        col = table.column("input_ids").combine_chunks()
        blocks.append(col.flatten().to_numpy().reshape(len(col), manifest["seq_len"] + 1))
    return np.concatenate(blocks)


def edit_manifest(root: str, edit) -> None:
    """Rewrites root/manifest.json after `edit(manifest_dict)` changed it in place (fault tests)."""
    path = os.path.join(root, "manifest.json")
    with open(path) as f:
        raw = json.load(f)
    edit(raw)
    with open(path, "w") as f:
        json.dump(raw, f)
