"""Opening a dataset's files, local or remote (any fsspec URL: `gs://`, `s3://`, `memory://`), and their
checksums: xxh64 for shards (the manifest's `xxh64`), sha256 for the tokenizer copy. The pipeline passes
Beam's FileSystems opener instead, so every checksum is computed here."""
from __future__ import annotations

import hashlib
from typing import BinaryIO, Callable

import xxhash

from pipeline.dataset.paths import is_remote

CHUNK = 1 << 22


def open_binary(path: str) -> BinaryIO:
    if is_remote(path):
        import fsspec

        return fsspec.open(path, "rb").open()
    return open(path.removeprefix("file://"), "rb")


def _digest(hasher, path: str, open_file: Callable[[str], BinaryIO]) -> str:
    with open_file(path) as f:
        while block := f.read(CHUNK):
            hasher.update(block)
    return hasher.hexdigest()


def file_xxh64(path: str, open_file: Callable[[str], BinaryIO] = open_binary) -> str:
    """The xxh64 (16 hex digits) of a file's bytes, read in 4 MiB blocks."""
    return _digest(xxhash.xxh64(), path, open_file)


def bytes_xxh64(data: bytes) -> str:
    """The xxh64 of bytes already read (a shard `verify` reads whole to parse it)."""
    return xxhash.xxh64(data).hexdigest()


def file_sha256(path: str, open_file: Callable[[str], BinaryIO] = open_binary) -> str:
    return _digest(hashlib.sha256(), path, open_file)
