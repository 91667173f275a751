"""WARC: HTTP responses with HTML, main text extracted with trafilatura (the extractor datatrove uses,
with its settings). id = WARC-Record-ID, url = WARC-Target-URI, position = the record's byte offset.

warcio stops quietly at a truncated gzip member, so a .warc.gz is read through `GzipIntegrity`; a
truncated or corrupt file ends with one ReadError at the compressed byte where the damage starts, the
records before it kept."""
from __future__ import annotations

from typing import Iterator

from pipeline.document import Document, ReadError
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields
from pipeline.readers.streams import STREAM_ERRORS, GzipIntegrity

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def extract_main_text(html: bytes) -> str:
    """The page's main text. trafilatura's `deduplicate` drops text segments it has seen before in this
    process (a module-level cache): cleared first, so a page's text depends on the page alone, not on
    which pages the same worker extracted before it (datatrove keeps the cache across documents)."""
    import trafilatura
    from trafilatura.deduplication import LRU_TEST

    LRU_TEST.clear()
    return trafilatura.extract(html, favor_precision=True, include_comments=False, deduplicate=True) or ""


def read_warc(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    from warcio.exceptions import ArchiveLoadFailed

    with open_file(split.path) as raw:
        stream = GzipIntegrity(raw) if split.path.endswith(".gz") else raw
        position = 0
        try:
            for position, record, html in _html_responses(stream):
                yield _document(split, record, html, position)
        except (ArchiveLoadFailed, *STREAM_ERRORS) as e:
            yield ReadError(split.source, split.path, position, f"file unreadable after the record at byte {position:,} "
                                                                f"(truncated or corrupt?): {type(e).__name__}: {e}")
            return
        damage = stream.damage() if isinstance(stream, GzipIntegrity) else None
    if damage is not None:
        yield ReadError(split.source, split.path, damage[0], f"file unreadable from compressed byte {damage[0]:,}: {damage[1]}")


def _html_responses(stream):
    """(byte offset, record, payload) of every HTTP response carrying HTML."""
    from warcio.archiveiterator import ArchiveIterator

    records = ArchiveIterator(stream)
    for record in records:
        if record.rec_type != "response":
            continue
        content_type = (record.http_headers.get_header("Content-Type") if record.http_headers else "") or ""
        if not content_type.lower().startswith(_HTML_TYPES):
            continue
        html = record.content_stream().read()
        yield records.get_record_offset(), record, html  # offset after reading: asking first skips the payload


def _document(split: FileSplit, record, html: bytes, position: int) -> Record:
    try:
        text = extract_main_text(html)
    except Exception as e:  # a broken record must not stop the file
        return ReadError(split.source, split.path, position, f"HTML extraction failed: {type(e).__name__}: {e}")
    rec_id = record.rec_headers.get_header("WARC-Record-ID") or f"{split.source}/{split.rel_path}#{position}"
    url = record.rec_headers.get_header("WARC-Target-URI")
    return Document(id=rec_id, source=split.source, text=text, url=url or None)
