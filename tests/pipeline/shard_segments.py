"""Reads a built dataset back as documents: every EOS-terminated token segment of every shard."""
import collections
import json

from pipeline.dataset.shard_reader import read_shard_rows


def eos_segments(out):
    """(manifest, {split: [(shard path, segment tokens without EOS)]}) in shard and row order."""
    manifest = json.load(open(out / "manifest.json"))
    eos = manifest["tokenizer"]["eos_id"]
    found = collections.defaultdict(list)
    for split, block in manifest["splits"].items():
        for shard in block["shards"]:
            flat = read_shard_rows(str(out / shard["path"])).reshape(-1).tolist()
            start = 0
            for i, t in enumerate(flat):
                if t == eos:
                    found[split].append((shard["path"], flat[start:i]))
                    start = i + 1
    return manifest, found
