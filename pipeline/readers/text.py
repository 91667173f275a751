"""Plain text: one document per file; the id is derived from the file's path."""
from __future__ import annotations

from typing import Iterator

from pipeline.document import Document, ReadError
from pipeline.ids import derived_id
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields, unencodable
from pipeline.readers.jsonl import decompressed


def read_text(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    with open_file(split.path) as raw:
        data = decompressed(raw, split.path).read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        yield ReadError(split.source, split.path, 0, f"invalid UTF-8 at byte {e.start}")
        return
    problem = unencodable(text)
    if problem:
        yield ReadError(split.source, split.path, 0, problem)
        return
    yield Document(id=derived_id(split.source, split.rel_path, None), source=split.source, text=text)
