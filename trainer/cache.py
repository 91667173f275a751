"""A bounded local cache of remote shards (`gs://`, `s3://`, any fsspec URL). Torch-free.

Files are named by their xxh64, so a cached file is never stale, and are verified while they
download. The name comes from the manifest, so it must be 16 hex digits and the file must land inside
the cache folder; anything else is refused. Writes go to a temporary name and are renamed into place, so processes sharing the cache
(ranks, DataLoader workers) may race on the same shard harmlessly. After each download the least
recently used files are deleted until the cache fits `max_bytes`; the file just fetched is never
deleted, so disk use is bounded by max(max_bytes, largest shard) plus the downloads in flight.
Deleting a file another process has memory-mapped is safe on POSIX: its mapping stays valid.
"""
from __future__ import annotations

import os
import uuid

import xxhash

from pipeline.dataset.manifest import DatasetError, ShardEntry
from pipeline.dataset.paths import XXH64_HEX, UnsafePath, check_local_inside


class ShardCache:
    def __init__(self, cache_dir: str, max_bytes: int):
        assert max_bytes > 0
        self.cache_dir = cache_dir
        self.max_bytes = max_bytes
        os.makedirs(cache_dir, exist_ok=True)

    def _path(self, info: ShardEntry) -> str:
        if not isinstance(info.xxh64, str) or not XXH64_HEX.match(info.xxh64):
            raise DatasetError(f"shard {info.path}: xxh64 {info.xxh64!r} is not 16 hex digits; not a cache file name")
        try:
            return check_local_inside(self.cache_dir, os.path.join(self.cache_dir, f"{info.xxh64}.arrow"), "cache file")
        except UnsafePath as e:
            raise DatasetError(f"shard {info.path}: {e}") from None

    def fetch(self, url: str, info: ShardEntry) -> str:
        """A local path holding the shard at `url`, downloading it when it is not cached."""
        path = self._path(info)
        if os.path.exists(path):
            os.utime(path)  # mark as recently used
            return path
        import fsspec

        tmp = f"{path}.{uuid.uuid4().hex}.part"
        digest = xxhash.xxh64()
        try:
            with fsspec.open(url, "rb") as src, open(tmp, "wb") as dst:
                while block := src.read(1 << 22):
                    digest.update(block)
                    dst.write(block)
        except FileNotFoundError:
            _remove(tmp)
            raise DatasetError(f"shard {info.path}: not found at {url}") from None
        except BaseException:
            _remove(tmp)
            raise
        if digest.hexdigest() != info.xxh64:
            _remove(tmp)
            raise DatasetError(
                f"shard {info.path}: downloaded xxh64 is {digest.hexdigest()}, the manifest says {info.xxh64}")
        os.replace(tmp, path)
        self._evict(keep=path)
        return path

    def _evict(self, keep: str) -> None:
        entries = []
        for name in os.listdir(self.cache_dir):
            if not name.endswith(".arrow"):
                continue
            full = os.path.join(self.cache_dir, name)
            try:
                st = os.stat(full)
            except FileNotFoundError:  # another process evicted it
                continue
            entries.append((st.st_mtime, st.st_size, full))
        total = sum(size for _, size, _ in entries)
        for _, size, full in sorted(entries):
            if total <= self.max_bytes:
                break
            if full != keep:
                _remove(full)
                total -= size

    def cached_bytes(self) -> int:
        return sum(os.path.getsize(os.path.join(self.cache_dir, n)) for n in os.listdir(self.cache_dir)
                   if n.endswith(".arrow"))


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tokenmill", "shards")
