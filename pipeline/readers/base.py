"""What every reader shares: the split description, the record fields, and record-to-Document conversion.
The readers import this module; the registry of formats (pipeline.readers) imports the readers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable, Optional, Union

from pipeline.document import Document, ReadError
from pipeline.ids import record_id

OpenFile = Callable[[str], BinaryIO]
Record = Union[Document, ReadError]


@dataclass(frozen=True)
class FileSplit:
    """A unit of reading work. `start`/`end`: a byte range (uncompressed JSONL) or a row-group
    index (Parquet, `end` unused); whole-file formats use start=0, end=None."""

    source: str
    format: str
    path: str
    rel_path: str
    start: int = 0
    end: Optional[int] = None


@dataclass(frozen=True)
class RecordFields:
    text_field: str = "text"
    id_field: Optional[str] = None
    url_field: Optional[str] = "url"
    # Fields whose values follow text_field's, joined by newlines (an evaluation example's question and
    # answer); each may be a string, a number or a list of them (a multiple-choice example's choices).
    more_text_fields: tuple[str, ...] = ()

    @property
    def text_fields(self) -> tuple[str, ...]:
        return (self.text_field, *self.more_text_fields)


def document_from_record(record: object, fields: RecordFields, split: FileSplit, position: int) -> Record:
    """A parsed JSON object or Parquet row as a Document, or a ReadError saying what is wrong."""

    def error(msg: str) -> ReadError:
        return ReadError(split.source, split.path, position, msg)

    if not isinstance(record, dict):
        return error(f"record is a JSON {type(record).__name__}, not an object")
    for name in fields.text_fields:
        if name not in record:
            return error(f"missing field {name!r}")
    text = record[fields.text_field]
    if not isinstance(text, str):
        return error(f"field {fields.text_field!r} is {type(text).__name__}, not a string")
    if fields.more_text_fields:
        parts = [text] + [_field_text(record[name]) for name in fields.more_text_fields]
        for name, part in zip(fields.more_text_fields, parts[1:]):
            if part is None:
                return error(f"field {name!r} is {type(record[name]).__name__}, not a string, number or list of them")
        text = "\n".join(parts)
    bad = unencodable(text)
    if bad:
        return error(bad)
    raw_id = record.get(fields.id_field) if fields.id_field else None
    url = record.get(fields.url_field) if fields.url_field else None
    return Document(
        id=record_id(raw_id, split.source, split.rel_path, position),
        source=split.source,
        text=text,
        url=url if isinstance(url, str) and url else None,
    )


def _field_text(value: object) -> Optional[str]:
    """A joined field's value as text: a string as is, a number written out, a list one item per line."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (list, tuple)):
        items = [_field_text(v) for v in value]
        return None if any(i is None or isinstance(v, (list, tuple)) for i, v in zip(items, value)) else "\n".join(items)
    return None


def unencodable(text: str) -> Optional[str]:
    """JSON may escape lone surrogates (\\ud800) that no tokenizer can encode: name the problem."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return f"text is not valid Unicode: lone surrogate at character {e.start}"
    return None
