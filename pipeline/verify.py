"""`tokenmill verify DIR`: checks a built dataset against its manifest.

- the manifest itself: every field the contract names, of the right type (a malformed one is a
  ValueError naming the field), and every path it names a plain relative path inside DIR;
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

import hashlib
import json
import re

import numpy as np
import pyarrow as pa

from pipeline.dataset_paths import UnsafePath, inside, relative_path_problem, shard_name_parts
from pipeline.manifest import FORMAT
from pipeline.shards import INPUT_IDS

DTYPES = ("uint16", "uint32")
_SPLIT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_XXH64 = re.compile(r"^[0-9a-f]{16}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_OPTIONAL_COUNTS = ("documents", "dropped_tail_documents")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count_problem(obj: dict, key: str, where: str, required: bool = True) -> list[str]:
    if key not in obj:
        return [f"{where}: missing field {key!r}"] if required else []
    if not _is_int(obj[key]) or obj[key] < 0:
        return [f"{where}.{key}: must be a non-negative integer, got {obj[key]!r}"]
    return []


def _shard_entry_problems(entry, where: str) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{where}: must be an object"]
    problems = []
    path = entry.get("path")
    if "path" not in entry:
        problems.append(f"{where}: missing field 'path'")
    elif relative_path_problem(path):
        problems.append(f"{where}.path {path!r} {relative_path_problem(path)}")
    for key in ("rows", "tokens", "dropped_tail_tokens"):
        problems += _count_problem(entry, key, where)
    for key in _OPTIONAL_COUNTS:
        problems += _count_problem(entry, key, where, required=False)
    if not isinstance(entry.get("xxh64"), str) or not _XXH64.match(entry["xxh64"]):
        problems.append(f"{where}.xxh64: must be 16 lowercase hex digits, got {entry.get('xxh64')!r}")
    return problems


def _split_problems(name, block, where: str) -> list[str]:
    if not isinstance(name, str) or not _SPLIT_NAME.match(name):
        return [f"{where}: split name {name!r} is not a folder name"]
    if not isinstance(block, dict):
        return [f"{where}.{name}: must be an object"]
    problems = _count_problem(block, "rows", f"{where}.{name}") + _count_problem(block, "tokens", f"{where}.{name}")
    for key in _OPTIONAL_COUNTS + ("dropped_tail_tokens",):
        problems += _count_problem(block, key, f"{where}.{name}", required=False)
    shards = block.get("shards")
    if not isinstance(shards, list):
        return problems + [f"{where}.{name}.shards: must be a list, got {shards!r}"]
    for i, entry in enumerate(shards):
        problems += _shard_entry_problems(entry, f"{where}.{name}.shards.{i}")
    return problems


def _tokenizer_problems(tok) -> list[str]:
    if not isinstance(tok, dict):
        return [f"tokenizer: must be an object, got {tok!r}"]
    problems = []
    if not isinstance(tok.get("sha256"), str) or not _SHA256.match(tok["sha256"]):
        problems.append(f"tokenizer.sha256: must be 64 lowercase hex digits, got {tok.get('sha256')!r}")
    for key in ("vocab_size", "eos_id"):
        problems += _count_problem(tok, key, "tokenizer")
    if not problems and tok["eos_id"] >= tok["vocab_size"]:
        problems.append(f"tokenizer.eos_id {tok['eos_id']} is outside the vocabulary (size {tok['vocab_size']})")
    if "file" in tok and relative_path_problem(tok["file"]):
        problems.append(f"tokenizer.file {tok['file']!r} {relative_path_problem(tok['file'])}")
    return problems


def manifest_problems(manifest) -> list[str]:
    """What makes a manifest unusable (empty list: well-formed). Checks types and ranges, not files."""
    from pipeline.config_base import MAX_SEQ_LEN

    if not isinstance(manifest, dict):
        return ["must be a JSON object"]
    problems = [f"missing field {key!r}" for key in ("seq_len", "dtype", "seed", "tokenizer", "splits")
                if key not in manifest]
    if problems:
        return problems
    seq_len = manifest.get("seq_len")
    if not _is_int(seq_len) or not 1 <= seq_len <= MAX_SEQ_LEN:
        problems.append(f"seq_len: must be an integer from 1 to {MAX_SEQ_LEN:,}, got {seq_len!r}")
    if manifest.get("dtype") not in DTYPES:
        problems.append(f"dtype: must be one of {', '.join(DTYPES)}, got {manifest.get('dtype')!r}")
    if not _is_int(manifest.get("seed")):
        problems.append(f"seed: must be an integer, got {manifest.get('seed')!r}")
    problems += _tokenizer_problems(manifest.get("tokenizer"))
    splits = manifest.get("splits")
    if not isinstance(splits, dict) or "train" not in splits:
        return problems + [f"splits: must be an object with a 'train' split, got {splits!r}"[:200]]
    for name, block in splits.items():
        problems += _split_problems(name, block, "splits")
    sources = manifest.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(s, dict) for s in sources.values()):
        problems.append("sources: must be an object of objects")
    return problems


def load_manifest(read_bytes, out_dir: str, join) -> dict:
    """The manifest of `out_dir`; ValueError (naming the field) when it is missing or malformed."""
    try:
        data = read_bytes(join(out_dir, "manifest.json"))
    except (OSError, IOError, FileNotFoundError) as e:
        raise ValueError(f"{out_dir}: not a tokenmill dataset (no readable manifest.json: {e})") from None
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{out_dir}/manifest.json: not valid JSON: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else manifest
        raise ValueError(f"{out_dir}: manifest format is {found!r}, expected {FORMAT!r}")
    problems = manifest_problems(manifest)
    if problems:
        raise ValueError(f"{out_dir}/manifest.json is malformed:\n  " + "\n  ".join(problems))
    return manifest


def check_shard(data: bytes, entry: dict, manifest: dict) -> list[str]:
    """Problems with one shard's bytes (empty list: all good)."""
    import xxhash

    problems = []
    name = entry["path"]
    if xxhash.xxh64(data).hexdigest() != entry["xxh64"]:
        problems.append(f"{name}: xxh64 {xxhash.xxh64(data).hexdigest()} != manifest {entry['xxh64']}")
    try:
        table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
    except (pa.ArrowInvalid, OSError) as e:
        return problems + [f"{name}: not an Arrow IPC file: {e}"]
    width = manifest["seq_len"] + 1
    col_type = table.schema.field(INPUT_IDS).type if INPUT_IDS in table.schema.names else None
    if col_type is None or not pa.types.is_fixed_size_list(col_type) or col_type.list_size != width:
        return problems + [f"{name}: column {INPUT_IDS} is {col_type}, expected fixed_size_list[{width}]"]
    if str(col_type.value_type) != manifest["dtype"]:
        problems.append(f"{name}: dtype {col_type.value_type} != manifest {manifest['dtype']}")
    if table.num_rows != entry["rows"]:
        problems.append(f"{name}: {table.num_rows} rows != manifest {entry['rows']}")
    if table.num_rows * width != entry["tokens"]:
        problems.append(f"{name}: {table.num_rows * width} tokens != manifest {entry['tokens']}")
    values = table.column(INPUT_IDS).combine_chunks().flatten().to_numpy(zero_copy_only=False)
    if len(values):
        top = int(np.max(values))
        if top >= manifest["tokenizer"]["vocab_size"]:
            problems.append(f"{name}: token id {top} >= vocab_size {manifest['tokenizer']['vocab_size']}")
    if all(k in entry for k in _OPTIONAL_COUNTS):
        ends = int(np.count_nonzero(values == manifest["tokenizer"]["eos_id"]))
        expected = entry["documents"] - entry["dropped_tail_documents"]
        if ends != expected:
            problems.append(f"{name}: {ends} document ends (EOS) != manifest documents - dropped_tail_documents "
                            f"({expected})")
    return problems


def split_total_problems(split: str, block: dict) -> list[str]:
    """A split's totals against the sum over its shard entries (each entry is checked against its file)."""
    problems = []
    for key in ("rows", "tokens", "dropped_tail_tokens") + _OPTIONAL_COUNTS:
        if key in block and all(key in e for e in block["shards"]):
            total = sum(e[key] for e in block["shards"])
            if total != block[key]:
                problems.append(f"splits.{split}.{key} is {block[key]:,} but its shards hold {total:,}")
    return problems


def source_total_problems(manifest: dict) -> list[str]:
    """The sources' documents and tokens (before tails were dropped) against the splits'."""
    sources = manifest.get("sources") or {}
    entries = [e for b in manifest["splits"].values() for e in b["shards"]]
    problems = []
    if sources and all("documents" in s for s in sources.values()) and all("documents" in e for e in entries):
        have, want = sum(s["documents"] for s in sources.values()), sum(e["documents"] for e in entries)
        if have != want:
            problems.append(f"sources hold {have:,} documents but the shards {want:,}")
    if sources and all("tokens" in s for s in sources.values()):
        have, want = sum(s["tokens"] for s in sources.values()), sum(e["tokens"] + e["dropped_tail_tokens"] for e in entries)
        if have != want:
            problems.append(f"sources hold {have:,} tokens but the shards {want:,} (dropped tails included)")
    return problems


def shard_set_problems(split: str, entries: list[dict], present: list[str] | None) -> list[str]:
    """The split's listed shards against their names and the shard files present in its folder
    (`present`: file names in OUT/<split>/, or None when the folder cannot be listed)."""
    problems, listed = [], {}
    for e in entries:
        parts = shard_name_parts(e["path"])
        if parts is None or parts[0] != split:
            problems.append(f"{e['path']}: listed under splits.{split} but not named {split}/shard-NNNNN-of-NNNNN.arrow")
        elif e["path"] in listed:
            problems.append(f"{e['path']}: listed twice")
        else:
            listed[e["path"]] = parts
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


def tokenizer_file_problems(out_dir: str, manifest: dict, read_bytes, join, exists) -> list[str]:
    """The tokenizer copy against the manifest: sha256, and (when it matches) vocabulary size, EOS id
    and dtype as the pipeline derives them. A dataset whose manifest names no tokenizer file and that
    holds no tokenizer.json has nothing to check."""
    tok = manifest["tokenizer"]
    rel = tok.get("file", "tokenizer.json")
    try:
        path = inside(out_dir, rel, join, "tokenizer.file")
    except UnsafePath as e:
        return [str(e)]
    if not exists(path):
        return [f"{rel}: missing (the manifest names it)"] if "file" in tok else []
    data = read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != tok["sha256"]:
        return [f"{rel}: sha256 {digest} != manifest tokenizer.sha256 {tok['sha256']}"]
    if "eos" not in tok:
        return []
    from pipeline.tokenize import DocumentTokenizer

    loaded = DocumentTokenizer(data.decode("utf-8"), tok["eos"])
    found = {"vocab_size": loaded.vocab_size, "eos_id": loaded.eos_id}
    problems = [f"tokenizer.{k}: manifest {tok[k]} != {rel}'s {v}" for k, v in found.items() if tok[k] != v]
    if loaded.dtype.name != manifest["dtype"]:
        problems.append(f"dtype: manifest {manifest['dtype']} != {loaded.dtype.name} for {rel}'s vocabulary")
    return problems


def verify_dataset(out_dir: str, read_bytes, join, exists, list_names=None) -> tuple[list[str], int]:
    """(problems, shards checked). `list_names(folder)`: the file names in a folder (for the shard-set
    check; skipped without it). Raises ValueError for a missing or malformed manifest."""
    manifest = load_manifest(read_bytes, out_dir, join)
    problems = tokenizer_file_problems(out_dir, manifest, read_bytes, join, exists)
    checked = 0
    for split, block in manifest["splits"].items():
        for entry in block["shards"]:
            try:
                path = inside(out_dir, entry["path"], join, f"splits.{split} shard")
            except UnsafePath as e:
                problems.append(str(e))
                continue
            if not exists(path):
                problems.append(f"{entry['path']}: missing")
                continue
            problems += check_shard(read_bytes(path), entry, manifest)
            checked += 1
        problems += split_total_problems(split, block)
        present = list_names(join(out_dir, split)) if list_names is not None else None
        problems += shard_set_problems(split, block["shards"], present)
    return problems + source_total_problems(manifest), checked
