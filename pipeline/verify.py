"""`tokenmill verify DIR`: re-reads every shard and checks it against the manifest."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from pipeline.manifest import FORMAT
from pipeline.shards import INPUT_IDS


def load_manifest(read_bytes, out_dir: str, join) -> dict:
    import json

    try:
        manifest = json.loads(read_bytes(join(out_dir, "manifest.json")))
    except (OSError, IOError, FileNotFoundError) as e:
        raise ValueError(f"{out_dir}: not a tokenmill dataset (no readable manifest.json: {e})") from None
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{out_dir}: manifest format is {manifest.get('format')!r}, expected {FORMAT!r}")
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
    except pa.ArrowInvalid as e:
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
    if table.num_rows:
        values = table.column(INPUT_IDS).combine_chunks().flatten().to_numpy(zero_copy_only=False)
        top = int(np.max(values))
        if top >= manifest["tokenizer"]["vocab_size"]:
            problems.append(f"{name}: token id {top} >= vocab_size {manifest['tokenizer']['vocab_size']}")
    return problems


def verify_dataset(out_dir: str, read_bytes, join, exists) -> tuple[list[str], int]:
    """(problems, shards checked)."""
    manifest = load_manifest(read_bytes, out_dir, join)
    problems, checked = [], 0
    for split, block in manifest["splits"].items():
        for entry in block["shards"]:
            path = join(out_dir, entry["path"])
            if not exists(path):
                problems.append(f"{entry['path']}: missing")
                continue
            problems += check_shard(read_bytes(path), entry, manifest)
            checked += 1
        if sum(e["rows"] for e in block["shards"]) != block["rows"]:
            problems.append(f"splits.{split}.rows does not equal the sum over its shards")
    return problems, checked
