"""Opening a dataset's files, local or remote (any fsspec URL: `gs://`, `s3://`, `memory://`), and their
checksums: xxh64 for shards (the manifest's `xxh64`), sha256 for the tokenizer copy. `verify` reads files
through Beam's FileSystems and hashes the bytes it read (`bytes_xxh64`, `bytes_sha256`); the shard
writer and the remote-shard cache hash bytes as they stream them."""
from __future__ import annotations

import hashlib
from typing import BinaryIO

import xxhash

from pipeline.dataset.paths import is_remote

CHUNK = 1 << 22


def open_binary(path: str) -> BinaryIO:
    if is_remote(path):
        import fsspec

        return fsspec.open(path, "rb").open()
    return open(path.removeprefix("file://"), "rb")


def _digest(hasher, path: str) -> str:
    with open_binary(path) as f:
        while block := f.read(CHUNK):
            hasher.update(block)
    return hasher.hexdigest()


def file_xxh64(path: str) -> str:
    """The xxh64 (16 hex digits) of a file's bytes, read in 4 MiB blocks."""
    return _digest(xxhash.xxh64(), path)


def bytes_xxh64(data: bytes) -> str:
    """The xxh64 of bytes already read (a shard `verify` reads whole to parse it)."""
    return xxhash.xxh64(data).hexdigest()


def file_sha256(path: str) -> str:
    return _digest(hashlib.sha256(), path)


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
