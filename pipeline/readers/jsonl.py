"""JSON Lines, plain or compressed (.gz, .zst, .bz2). Record position = byte offset of the record's
line in the (decompressed) file, so derived ids do not depend on how a file was split."""
from __future__ import annotations

import json
from typing import Iterator

from pipeline.document import ReadError
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields, document_from_record
from pipeline.readers.streams import STREAM_ERRORS, UTF8_BOM, damage_message, decompressed, is_compressed


def plan_jsonl_splits(source: str, path: str, rel_path: str, size: int, split_bytes: int) -> list[FileSplit]:
    if is_compressed(path) or size <= split_bytes:
        return [FileSplit(source, "jsonl", path, rel_path)]
    return [FileSplit(source, "jsonl", path, rel_path, start, min(start + split_bytes, size))
            for start in range(0, size, split_bytes)]


def read_jsonl(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    """A record belongs to the split in which its line starts. A stream that stops being readable
    (truncated or corrupt compression, an I/O error) ends the split with one ReadError at the
    decompressed byte offset where reading stopped; the records before it are kept."""
    with open_file(split.path) as raw:
        stream = decompressed(raw, split.path)
        offset = records = 0
        try:
            if split.start > 0:
                stream.seek(split.start - 1)
                offset = split.start - 1 + len(stream.readline())  # finish the line the previous split owns
            for line in stream:
                position = offset
                offset += len(line)
                if split.end is not None and position >= split.end:
                    break
                if position == 0 and line.startswith(UTF8_BOM):  # utf-8-sig: a BOM opens the file, not a record
                    line = line[len(UTF8_BOM):]
                if not line.strip():
                    continue
                records += 1
                yield parse_line(line, split, fields, position)
        except STREAM_ERRORS as e:
            yield ReadError(split.source, split.path, offset, damage_message(e, offset, records))


def parse_line(line: bytes, split: FileSplit, fields: RecordFields, position: int) -> Record:
    """One JSON Lines record as a Document, or a ReadError saying what is wrong with it."""
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as e:
        return ReadError(split.source, split.path, position, f"invalid UTF-8 at byte {e.start} of the record")
    except json.JSONDecodeError as e:
        return ReadError(split.source, split.path, position, f"malformed JSON: {json_error_text(e)}")
    return document_from_record(record, fields, split, position)


def json_error_text(error: json.JSONDecodeError) -> str:
    """`Expecting value at column 3`; json's own messages that end in "at" take the column directly
    (`Unterminated string starting at column 9`)."""
    at = " " if error.msg.endswith(" at") else " at "
    return f"{error.msg}{at}column {error.colno}"
