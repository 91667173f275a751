"""Plain text: one document per file; the id is derived from the file's path. A UTF-8 byte order mark
opening the file is not part of the text (utf-8-sig); a file that cannot be read whole (truncated or
corrupt compression) is one ReadError."""
from __future__ import annotations

from typing import Iterator

from pipeline.document import Document, ReadError
from pipeline.ids import derived_id
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields, unencodable
from pipeline.readers.streams import STREAM_ERRORS, UTF8_BOM, decompressed


def read_text(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    with open_file(split.path) as raw:
        try:
            data = decompressed(raw, split.path).read()
        except STREAM_ERRORS as e:
            yield ReadError(split.source, split.path, 0, f"file unreadable (truncated or corrupt?): {type(e).__name__}: {e}")
            return
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        yield ReadError(split.source, split.path, 0, f"invalid UTF-8 at byte {bom + e.start}")
        return
    problem = unencodable(text)
    if problem:
        yield ReadError(split.source, split.path, 0, problem)
        return
    yield Document(id=derived_id(split.source, split.rel_path, None), source=split.source, text=text)
