"""`tokenmill verify DIR`: checks a built dataset against its manifest.

- the manifest itself: every field the format names, of the right type (a malformed one is a
  ValueError naming the field), and every path it names a plain relative path inside DIR
  (pipeline.dataset.manifest_problems);
- each shard: its xxh64, Arrow layout, dtype, rows and tokens, token ids below the vocabulary size, and
  its documents (a shard holds one EOS per document whose end was not in the dropped tail);
- the totals: each split's rows, tokens, documents and dropped tails against its shards, and the
  sources' documents and tokens against the splits;
- the shard files: those in train/ and validation/ are exactly the ones listed, as many as their names
  count (shard-00003-of-00008: 8), so a shard removed together with its entry is noticed;
- the tokenizer copy: its sha256, vocabulary size, EOS id and dtype against the manifest.

The checks are pure over the bytes they are given; the CLI passes Beam's FileSystems so gs:// and s3://
datasets verify alike.
"""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
from pipeline.dataset.files import bytes_sha256, bytes_xxh64
from pipeline.dataset.format import FORMAT, INPUT_IDS
from pipeline.dataset.manifest import Manifest, ShardEntry, SplitEntry
from pipeline.dataset.manifest_problems import OPTIONAL_COUNTS
from pipeline.dataset.paths import UnsafePath, inside, shard_name_parts
from pipeline.dataset.shard_reader import ShardReader


def load_manifest(read_bytes, out_dir: str, join) -> Manifest:
    """The manifest of `out_dir`; ValueError (naming the field) when it is missing or malformed."""
    try:
        data = read_bytes(join(out_dir, "manifest.json"))
    except (OSError, IOError, FileNotFoundError) as e:
        raise ValueError(f"{out_dir}: not a tokenmill dataset (no readable manifest.json: {e})") from None
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{out_dir}/manifest.json: not valid JSON: {e}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else raw
        raise ValueError(f"{out_dir}: manifest format is {found!r}, expected {FORMAT!r}")
    return Manifest.from_json(raw, f"{out_dir}/manifest.json", out_dir)  # a DatasetError lists every problem


def shard_problems(data: bytes, entry: ShardEntry, manifest: Manifest) -> list[str]:
    """Problems with one shard's bytes (empty list: all good)."""
    problems = []
    name = entry.path
    digest = bytes_xxh64(data)
    if digest != entry.xxh64:
        problems.append(f"{name}: xxh64 {digest} != manifest {entry.xxh64}")
    try:
        shard = ShardReader.of_bytes(data)
    except (pa.ArrowInvalid, OSError) as e:
        return problems + [f"{name}: not an Arrow IPC file: {e}"]
    try:
        return problems + _layout_problems(name, shard, entry, manifest)
    finally:
        shard.close()


def _layout_problems(name: str, shard: ShardReader, entry: ShardEntry, manifest: Manifest) -> list[str]:
    problems = []
    width = manifest.row_len
    col_type = shard.column_type
    if col_type is None or not pa.types.is_fixed_size_list(col_type) or col_type.list_size != width:
        return [f"{name}: column {INPUT_IDS} is {col_type}, expected fixed_size_list[{width}]"]
    if str(col_type.value_type) != manifest.dtype:
        problems.append(f"{name}: dtype {col_type.value_type} != manifest {manifest.dtype}")
    if shard.rows != entry.rows:
        problems.append(f"{name}: {shard.rows} rows != manifest {entry.rows}")
    if shard.rows * width != entry.tokens:
        problems.append(f"{name}: {shard.rows * width} tokens != manifest {entry.tokens}")
    blocks = [values for values in shard.token_values() if len(values)]
    if blocks:
        top = max(int(np.max(values)) for values in blocks)
        if top >= manifest.vocab_size:
            problems.append(f"{name}: token id {top} >= vocab_size {manifest.vocab_size}")
    if entry.documents is not None and entry.dropped_tail_documents is not None:
        ends = sum(int(np.count_nonzero(values == manifest.eos_id)) for values in blocks)
        expected = entry.documents - entry.dropped_tail_documents
        if ends != expected:
            problems.append(f"{name}: {ends} document ends (EOS) != manifest documents - dropped_tail_documents "
                            f"({expected})")
    return problems


def split_total_problems(name: str, split: SplitEntry) -> list[str]:
    """A split's totals against the sum over its shard entries (each entry is checked against its file)."""
    problems = []
    for key in ("rows", "tokens", "dropped_tail_tokens") + OPTIONAL_COUNTS:
        total, held = getattr(split, key), [getattr(e, key) for e in split.shards]
        if total is not None and None not in held and sum(held) != total:
            problems.append(f"splits.{name}.{key} is {total:,} but its shards hold {sum(held):,}")
    return problems


def source_total_problems(manifest: Manifest) -> list[str]:
    """The sources' documents and tokens (before tails were dropped) against the splits'."""
    sources = manifest.sources.values()
    entries = [e for split in manifest.splits.values() for e in split.shards]
    problems = []
    if sources and all(s.documents is not None for s in sources) and all(e.documents is not None for e in entries):
        have, want = sum(s.documents for s in sources), sum(e.documents for e in entries)
        if have != want:
            problems.append(f"sources hold {have:,} documents but the shards {want:,}")
    if sources and all(s.tokens is not None for s in sources):
        have, want = sum(s.tokens for s in sources), sum(e.tokens + e.dropped_tail_tokens for e in entries)
        if have != want:
            problems.append(f"sources hold {have:,} tokens but the shards {want:,} (dropped tails included)")
    return problems


def shard_set_problems(split: str, entries: tuple[ShardEntry, ...], present: list[str] | None) -> list[str]:
    """The split's listed shards against their names and the shard files present in its folder
    (`present`: file names in OUT/<split>/, or None when the folder cannot be listed)."""
    problems, listed = [], {}
    for e in entries:
        parts = shard_name_parts(e.path)
        if parts is None or parts[0] != split:
            problems.append(f"{e.path}: listed under splits.{split} but not named {split}/shard-NNNNN-of-NNNNN.arrow")
        elif e.path in listed:
            problems.append(f"{e.path}: listed twice")
        else:
            listed[e.path] = parts
    on_disk = {f"{split}/{n}": shard_name_parts(f"{split}/{n}") for n in (present or [])}
    on_disk = {p: parts for p, parts in on_disk.items() if parts is not None}
    problems += [f"{p}: present in {split}/ but not in the manifest" for p in sorted(set(on_disk) - set(listed))]
    counts = {parts[2] for parts in list(listed.values()) + list(on_disk.values())}
    if len(counts) > 1:
        return problems + [f"splits.{split}: shard file names disagree on the shard count ({sorted(counts)})"]
    if counts:
        count = counts.pop()
        unlisted = sorted(set(range(count)) - {parts[1] for parts in listed.values()})
        if unlisted:
            names = ", ".join(f"shard-{i:05d}-of-{count:05d}" for i in unlisted[:5])
            problems.append(f"splits.{split} lists {len(listed)} of the {count} shards its file names count "
                            f"(not listed: {names}{', ...' if len(unlisted) > 5 else ''})")
    return problems


def tokenizer_file_problems(out_dir: str, manifest: Manifest, read_bytes, join, exists) -> list[str]:
    """The tokenizer copy against the manifest: sha256, and (when it matches) vocabulary size, EOS id
    and dtype as the pipeline derives them. A dataset whose manifest names no tokenizer file and that
    holds no tokenizer.json has nothing to check."""
    tok = manifest.tokenizer
    rel = tok.file if tok.file is not None else "tokenizer.json"
    try:
        path = inside(out_dir, rel, join, "tokenizer.file")
    except UnsafePath as e:
        return [str(e)]
    if not exists(path):
        return [f"{rel}: missing (the manifest names it)"] if tok.file is not None else []
    data = read_bytes(path)
    digest = bytes_sha256(data)
    if digest != tok.sha256:
        return [f"{rel}: sha256 {digest} != manifest tokenizer.sha256 {tok.sha256}"]
    if tok.eos is None:
        return []
    from pipeline.tokenize import DocumentTokenizer

    loaded = DocumentTokenizer(data.decode("utf-8"), tok.eos)
    found = {"vocab_size": loaded.vocab_size, "eos_id": loaded.eos_id}
    problems = [f"tokenizer.{k}: manifest {getattr(tok, k)} != {rel}'s {v}" for k, v in found.items()
                if getattr(tok, k) != v]
    if loaded.dtype.name != manifest.dtype:
        problems.append(f"dtype: manifest {manifest.dtype} != {loaded.dtype.name} for {rel}'s vocabulary")
    return problems


def verify_dataset(out_dir: str, read_bytes, join, exists, list_names=None) -> tuple[list[str], int]:
    """(problems, shards checked). `list_names(folder)`: the file names in a folder (for the shard-set
    check; skipped without it). Raises ValueError for a missing or malformed manifest."""
    manifest = load_manifest(read_bytes, out_dir, join)
    problems = tokenizer_file_problems(out_dir, manifest, read_bytes, join, exists)
    checked = 0
    for name, split in manifest.splits.items():
        for entry in split.shards:
            try:
                path = inside(out_dir, entry.path, join, f"splits.{name} shard")
            except UnsafePath as e:
                problems.append(str(e))
                continue
            if not exists(path):
                problems.append(f"{entry.path}: missing")
                continue
            problems += shard_problems(read_bytes(path), entry, manifest)
            checked += 1
        problems += split_total_problems(name, split)
        present = list_names(join(out_dir, name)) if list_names is not None else None
        problems += shard_set_problems(name, split.shards, present)
    return problems + source_total_problems(manifest), checked
