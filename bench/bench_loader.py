"""Loader throughput: the trainer's shard reader against a plain numpy memmap of the same tokens (the
limit) and against litdata's token streaming, each reading the same rows into (batch, seq_len + 1)
int32 torch tensors (what the trainer's DataLoader hands to the loop).

    python -m bench.bench_loader [--data out/sample] [--batch-size 8] [--epochs 2]

Without --data it builds a dataset from every bundled sample document (seq_len 1024, 8 train shards,
the real GPT-NeoX tokenizer), like `make demo`. Side by side in one process:
  memmap            one flat uint16 .bin of all train rows, np.memmap, rows gathered in the trainer's
                    shuffled order (the limit: the same copy the trainer must make, nothing else)
  memmap-seq        the same file read in file order (how fast the disk/page cache streams)
  tokenmill-reader  trainer.split.SplitReader + trainer.order.SampleStream, no torch DataLoader
  tokenmill-dl0/2   trainer.data.TrainBatches through a torch DataLoader with 0 and 2 worker processes
  litdata-dl0/2     litdata optimize(TokensLoader) + StreamingDataset(shuffle=True) + StreamingDataLoader
                    (skipped when litdata is not installed)
mosaicml-streaming is not compared: every release pins numpy<2.2, which this project's numpy 2.4 excludes.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from trainer.data import TrainBatches, train_loader  # noqa: E402
from pipeline.dataset.manifest import read_manifest  # noqa: E402
from trainer.order import Partition, SampleStream  # noqa: E402
from trainer.split import SplitReader  # noqa: E402


def build_default_dataset(folder: str) -> str:
    from tests.trainer.dataset_fixture import all_sample_texts, build_dataset

    build_dataset(folder, seq_len=1024, train_shards=8, validation_shards=1, train_rows=10**9, texts=all_sample_texts())
    return folder


def timed(batches) -> tuple[int, float]:
    t0 = time.perf_counter()
    tokens = 0
    for b in batches:
        tokens += b.numel()
    return tokens, time.perf_counter() - t0


def memmap_batches(path, rows_total, row_len, order, batch):
    data = np.memmap(path, dtype=np.uint16, mode="r").reshape(rows_total, row_len)
    for i in range(0, len(order) - batch + 1, batch):
        yield torch.from_numpy(data[order[i:i + batch]].astype(np.int32))


def reader_batches(manifest, n_batches, batch, seed):
    reader = SplitReader(manifest, "train")
    stream = SampleStream(reader.shard_rows, seed)
    p = Partition(batch_size=batch)
    for j in range(n_batches):
        shards, rows = stream.locate(p.micro_batch(j))
        yield torch.from_numpy(reader.gather(shards, rows).astype(np.int32))


def _shard_tokens(path: str):
    """litdata input: one shard's rows as a flat uint16 token stream (module level: litdata pickles it)."""
    yield torch.from_numpy(np.load(path))


def build_litdata(manifest, all_rows: np.ndarray, folder: str) -> str:
    from litdata import optimize
    from litdata.streaming.item_loader import TokensLoader

    ends = np.cumsum([0] + [s.rows for s in manifest.shards("train")])
    inputs = []
    for i in range(len(ends) - 1):
        inputs.append(os.path.join(folder + "-inputs", f"{i}.npy"))
        os.makedirs(os.path.dirname(inputs[-1]), exist_ok=True)
        np.save(inputs[-1], np.ascontiguousarray(all_rows[ends[i]:ends[i + 1]].reshape(-1)))
    optimize(fn=_shard_tokens, inputs=inputs, output_dir=folder, chunk_size=manifest.row_len * 1024,
             item_loader=TokensLoader(), num_workers=1, mode="overwrite")
    # optimize() switched multiprocessing to spawn; a training process reading a prepared dataset would
    # keep Linux's fork, so the loaders are measured with it.
    multiprocessing.set_start_method("fork", force=True)
    return folder


def litdata_batches(folder, row_len, batch, workers, n_batches):
    from litdata import StreamingDataLoader, StreamingDataset
    from litdata.streaming.item_loader import TokensLoader

    ds = StreamingDataset(folder, item_loader=TokensLoader(block_size=row_len), shuffle=True, seed=0)
    loader = StreamingDataLoader(ds, batch_size=batch, num_workers=workers, drop_last=True)
    k = 0
    while k < n_batches:  # one pass of the loader is one epoch; drop_last loses a batch per epoch
        for b in loader:
            if k >= n_batches:
                return
            k += 1
            yield b.to(torch.int32)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="a built dataset (default: build one from the bundled sample)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=2, help="passes over the train split per measurement")
    args = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="bench_loader_")
    try:
        data = args.data or build_default_dataset(os.path.join(work, "dataset"))
        manifest = read_manifest(data)
        rows_total, row_len, batch = manifest.rows("train"), manifest.row_len, args.batch_size
        all_rows = np.concatenate([SplitReader(manifest, "train").reader(i).take(np.arange(s.rows))
                                   for i, s in enumerate(manifest.shards("train"))])
        flat = os.path.join(work, "tokens.bin")
        all_rows.astype(np.uint16).tofile(flat)
        stream = SampleStream([s.rows for s in manifest.shards("train")], seed=0)
        ends = np.cumsum([0] + [s.rows for s in manifest.shards("train")])
        positions = np.arange(rows_total * args.epochs)
        shard_idx, row_idx = stream.locate(positions)
        shuffled = ends[shard_idx] + row_idx
        n_batches = len(positions) // batch

        runs = {
            "memmap": lambda: memmap_batches(flat, rows_total, row_len, shuffled, batch),
            "memmap-seq": lambda: memmap_batches(flat, rows_total, row_len, positions % rows_total, batch),
            "tokenmill-reader": lambda: reader_batches(manifest, n_batches, batch, seed=0),
        }
        for workers in (0, 2):
            runs[f"tokenmill-dl{workers}"] = (lambda w=workers: train_loader(
                TrainBatches(manifest, Partition(batch_size=batch), seed=0, limit=n_batches), num_workers=w,
                pin_memory=False))
        print(f"dataset: {data} | {rows_total:,} train rows x {row_len} tokens | batch {batch} | "
              f"{args.epochs} epoch(s) = {n_batches * batch * row_len / 1e6:.1f}M tokens per measurement | "
              f"torch threads {torch.get_num_threads()}, {os.cpu_count()} cores")
        try:
            import litdata  # noqa: F401
        except ImportError:
            print("litdata not installed: skipped (pip install 'litdata>=0.2.70,<0.3')")
        else:
            lit_dir = os.path.join(work, "litdata")
            runs["litdata-build"] = None
            for workers in (0, 2):
                runs[f"litdata-dl{workers}"] = (lambda w=workers: litdata_batches(lit_dir, row_len, batch, w, n_batches))
        results = {}
        for name, make in runs.items():
            if name == "litdata-build":
                build_litdata(manifest, all_rows, lit_dir)
                continue
            best = None
            for _ in range(3):
                tokens, seconds = timed(make())
                assert abs(tokens - n_batches * batch * row_len) <= 2 * args.epochs * batch * row_len, (name, tokens)
                best = seconds if best is None else min(best, seconds)
            results[name] = tokens / best
        limit = results["memmap"]
        print("\n| loader | tokens/s (best of 3) | vs memmap (limit) |\n|---|---:|---:|")
        for name, rate in results.items():
            print(f"| {name} | {rate / 1e6:,.1f}M | {rate / limit:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
