"""JSON Lines, plain or compressed (.gz, .zst, .bz2). Record position = byte offset of the record's
line in the (decompressed) file, so derived ids do not depend on how a file was split."""
from __future__ import annotations

import bz2
import gzip
import io
import json
from typing import BinaryIO, Iterator

from pipeline.document import ReadError
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields, document_from_record

_COMPRESSED = (".gz", ".zst", ".zstd", ".bz2")


def is_compressed(path: str) -> bool:
    return path.endswith(_COMPRESSED)


def decompressed(raw: BinaryIO, path: str) -> BinaryIO:
    if path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if path.endswith((".zst", ".zstd")):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True))
    if path.endswith(".bz2"):
        return bz2.BZ2File(raw, mode="rb")
    return raw


def plan_jsonl_splits(source: str, path: str, rel_path: str, size: int, split_bytes: int) -> list[FileSplit]:
    if is_compressed(path) or size <= split_bytes:
        return [FileSplit(source, "jsonl", path, rel_path)]
    return [FileSplit(source, "jsonl", path, rel_path, start, min(start + split_bytes, size))
            for start in range(0, size, split_bytes)]


def read_jsonl(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    """A record belongs to the split in which its line starts."""
    with open_file(split.path) as raw:
        stream = decompressed(raw, split.path)
        offset = 0
        if split.start > 0:
            stream.seek(split.start - 1)
            offset = split.start - 1 + len(stream.readline())  # finish the line the previous split owns
        for line in stream:
            position = offset
            offset += len(line)
            if split.end is not None and position >= split.end:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError as e:
                yield ReadError(split.source, split.path, position, f"invalid UTF-8 at byte {e.start} of the record")
                continue
            except json.JSONDecodeError as e:
                yield ReadError(split.source, split.path, position, f"malformed JSON: {e.msg} at column {e.colno}")
                continue
            yield document_from_record(record, fields, split, position)
