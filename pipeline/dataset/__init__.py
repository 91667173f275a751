"""The dataset format (`tokenmill.shards/1`) in one place: what `tokenmill run` commits, what `verify` and
`inspect` read, and what the trainer trains on. Pure: imports neither Beam nor torch.

- format: the format name, the shard schema, token dtypes, record batch size;
- paths: which paths a dataset's own files may name (inside the dataset, shard file names);
- files: opening a dataset's files locally or through fsspec, and their checksums;
- shard_writer / shard_reader: an Arrow IPC shard written with its running xxh64, and read back
  memory-mapped without copying;
- shard_stats: what the shard writer reports per shard (the manifest of a run is built from them in
  pipeline.run_manifest);
- manifest: the `Manifest` (manifest.json) with its splits, shards, tokenizer and mix rows;
  manifest_problems: every problem of a manifest.json, by field;
- verify: `tokenmill verify`'s checks of a dataset against its manifest;
- records: dataclasses as JSON objects, optional fields left out while None.
"""
