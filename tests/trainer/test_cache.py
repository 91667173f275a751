"""Remote datasets through fsspec (here its in-memory filesystem, `memory://`), read through the
bounded local shard cache."""
import os

import fsspec
import numpy as np
import pytest

from tests.trainer.dataset_fixture import read_all_rows
from trainer.cache import ShardCache
from pipeline.dataset.manifest import DatasetError, read_manifest
from trainer.split import SplitReader


@pytest.fixture
def remote_dataset(dataset_dir, request):
    fs = fsspec.filesystem("memory")
    root = f"memory://ds-{request.node.name}"
    for folder, _, files in os.walk(dataset_dir):
        for name in files:
            local = os.path.join(folder, name)
            fs.put_file(local, f"{root}/{os.path.relpath(local, dataset_dir)}")
    yield root
    fs.rm(root, recursive=True)


def test_remote_rows_equal_local_rows_and_the_cache_stays_bounded(remote_dataset, dataset_dir, tmp_path):
    m = read_manifest(remote_dataset)
    sizes = [os.path.getsize(os.path.join(dataset_dir, s.path)) for s in m.shards("train")]
    cache = ShardCache(str(tmp_path / "cache"), max_bytes=max(sizes) + 1)  # room for one shard
    reader = SplitReader(m, "train", cache, max_open=1)
    want = read_all_rows(dataset_dir)
    offsets = np.cumsum([0] + [s.rows for s in m.shards("train")])
    for shard in [0, 1, 2, 0]:
        rows = np.arange(m.shards("train")[shard].rows)
        got = reader.gather(np.full(len(rows), shard), rows)
        assert (got == want[offsets[shard]:offsets[shard + 1]]).all()
        assert cache.cached_bytes() <= max(sizes)
    assert len(os.listdir(tmp_path / "cache")) == 1


def test_a_cached_shard_is_not_downloaded_again(remote_dataset, tmp_path):
    m = read_manifest(remote_dataset)
    cache = ShardCache(str(tmp_path / "cache"), max_bytes=10**9)
    info = m.shards("train")[0]
    path = cache.fetch(m.shard_location(info), info)
    fsspec.filesystem("memory").rm(m.shard_location(info))
    assert cache.fetch(m.shard_location(info), info) == path


def test_a_corrupt_download_is_refused_and_not_cached(remote_dataset, tmp_path):
    m = read_manifest(remote_dataset)
    info = m.shards("train")[1]
    with fsspec.open(m.shard_location(info), "wb") as f:
        f.write(b"not an arrow file")
    cache = ShardCache(str(tmp_path / "cache"), max_bytes=10**9)
    with pytest.raises(DatasetError, match="shard train/shard-00001-of-00003.arrow: downloaded xxh64"):
        SplitReader(m, "train", cache).verify([1])
    assert os.listdir(tmp_path / "cache") == []


def test_a_remote_dataset_without_manifest_is_refused(remote_dataset):
    fsspec.filesystem("memory").rm(f"{remote_dataset}/manifest.json")
    with pytest.raises(DatasetError, match="no manifest.json"):
        read_manifest(remote_dataset)


def test_a_cache_file_name_never_leaves_the_cache(tmp_path):
    from pipeline.dataset.manifest import ShardEntry

    cache = ShardCache(str(tmp_path / "cache"), max_bytes=1 << 20)
    (tmp_path / "victim.arrow").write_bytes(b"keep me")
    for bad in ("../victim", "/etc/passwd", "0123456789abcdeZ"):
        with pytest.raises(DatasetError, match="not 16 hex digits"):
            cache.fetch("memory://nowhere/x.arrow", ShardEntry("train/x.arrow", 1, 1, bad))
    assert (tmp_path / "victim.arrow").read_bytes() == b"keep me"
