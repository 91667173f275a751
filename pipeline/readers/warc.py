"""WARC: HTTP responses with HTML, main text extracted with trafilatura (the extractor datatrove uses,
with its settings). id = WARC-Record-ID, url = WARC-Target-URI, position = the record's byte offset."""
from __future__ import annotations

from typing import Iterator

from pipeline.document import Document, ReadError
from pipeline.readers.base import FileSplit, OpenFile, Record, RecordFields

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def extract_main_text(html: bytes) -> str:
    import trafilatura

    return trafilatura.extract(html, favor_precision=True, include_comments=False, deduplicate=True) or ""


def read_warc(split: FileSplit, fields: RecordFields, open_file: OpenFile) -> Iterator[Record]:
    from warcio.archiveiterator import ArchiveIterator

    with open_file(split.path) as raw:
        records = ArchiveIterator(raw)
        for record in records:
            if record.rec_type != "response":
                continue
            content_type = (record.http_headers.get_header("Content-Type") if record.http_headers else "") or ""
            if not content_type.lower().startswith(_HTML_TYPES):
                continue
            html = record.content_stream().read()
            position = records.get_record_offset()  # after reading: asking first skips the payload
            try:
                text = extract_main_text(html)
            except Exception as e:  # a broken record must not stop the file
                yield ReadError(split.source, split.path, position, f"HTML extraction failed: {type(e).__name__}: {e}")
                continue
            rec_id = record.rec_headers.get_header("WARC-Record-ID") or f"{split.source}/{split.rel_path}#{position}"
            url = record.rec_headers.get_header("WARC-Target-URI")
            yield Document(id=rec_id, source=split.source, text=text, url=url or None)
