"""Every problem of a manifest.json at once, each naming its field (`tokenmill verify`): every field the
format names, of the right type and range, and every path it names a plain relative path inside the
dataset. Checks the JSON, not the files; a manifest without problems reads as a `Manifest`."""
from __future__ import annotations

import re

from pipeline.config_base import MAX_SEQ_LEN
from pipeline.dataset.format import DTYPES
from pipeline.dataset.paths import XXH64_HEX, relative_path_problem

_SPLIT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
OPTIONAL_COUNTS = ("documents", "dropped_tail_documents")


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
    for key in OPTIONAL_COUNTS:
        problems += _count_problem(entry, key, where, required=False)
    if not isinstance(entry.get("xxh64"), str) or not XXH64_HEX.match(entry["xxh64"]):
        problems.append(f"{where}.xxh64: must be 16 lowercase hex digits, got {entry.get('xxh64')!r}")
    return problems


def _split_problems(name, block, where: str) -> list[str]:
    if not isinstance(name, str) or not _SPLIT_NAME.match(name):
        return [f"{where}: split name {name!r} is not a folder name"]
    if not isinstance(block, dict):
        return [f"{where}.{name}: must be an object"]
    problems = _count_problem(block, "rows", f"{where}.{name}") + _count_problem(block, "tokens", f"{where}.{name}")
    for key in OPTIONAL_COUNTS + ("dropped_tail_tokens",):
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
    """What makes a parsed manifest.json unusable (empty list: well-formed). Checks types and ranges,
    not files; the format name is checked by whoever reads it."""
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
