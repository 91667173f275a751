"""A deterministic sample of a build's inputs, for `tokenmill plan build`.

Per source, files in path order (the order the pipeline numbers its splits), then records in file order,
until `budget` bytes of decompressed input are taken: a prefix of the source. Whole files are linked (or
copied, when remote) unchanged, so compression and split layout stay those of the real input; the file
where the budget ends is cut after its last whole record and written under the same name in the same
compression (JSONL: lines; WARC: records, copied as raw bytes; Parquet: rows). Files keep their path
relative to the source pattern's folder, so derived ids, hence dedup survivors and the validation split,
are those of the full run. A smaller budget takes a prefix of a bigger one.

What is measured for scaling is the input consumed in its stored form (`stored_bytes`: compressed bytes
read, or the share of a Parquet file's rows): the full source's size is the sum of its files' sizes, so the
ratio of the two scales every count. `text_bytes` (decompressed) estimates the full input's text size.
"""
from __future__ import annotations

import gzip
import os
import posixpath
import shutil
from dataclasses import dataclass, field

from apache_beam.io.filesystems import FileSystems

from pipeline.fileio import open_raw
from pipeline.ids import glob_base, relative_path
from pipeline.readers.streams import decompressed


@dataclass(frozen=True)
class InputFile:
    path: str
    size: int
    rel_path: str  # relative to the pattern's folder, as pipeline.ids derives ids
    pattern_index: int


@dataclass
class SourceSample:
    name: str
    patterns: list[str] = field(default_factory=list)  # the derived config's paths
    files: int = 0  # files touched (the last possibly in part)
    text_bytes: int = 0  # decompressed input bytes taken
    stored_bytes: float = 0.0  # stored (compressed) input bytes those came from


def list_inputs(source) -> list[InputFile]:
    """Every file of a source's patterns, once, in path order, with its size."""
    seen: dict[str, InputFile] = {}
    for i, pattern in enumerate(source.paths):
        base = glob_base(pattern)
        for result in FileSystems.match([pattern]):
            for meta in result.metadata_list:
                if meta.path not in seen:
                    seen[meta.path] = InputFile(meta.path, meta.size_in_bytes, relative_path(meta.path, base), i)
    return sorted(seen.values(), key=lambda f: f.path)


def _compressed_writer(path: str):
    if path.endswith(".gz"):
        return gzip.open(path, "wb")
    if path.endswith((".zst", ".zstd")):
        import zstandard

        return zstandard.ZstdCompressor().stream_writer(open(path, "wb"), closefd=True)
    if path.endswith(".bz2"):
        import bz2

        return bz2.open(path, "wb")
    return open(path, "wb")


def _link_or_copy(f: InputFile, dest: str) -> None:
    if "://" in f.path:
        with open_raw(f.path) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    else:
        os.symlink(os.path.abspath(f.path), dest)


def _text_size(f: InputFile, limit: int | None) -> int:
    """Decompressed bytes of the file, counted up to just past `limit` (None: all)."""
    text = 0
    with open_raw(f.path) as raw:
        stream = decompressed(raw, f.path)
        while (limit is None or text <= limit) and (block := stream.read(1 << 20)):
            text += len(block)
    return text


def _parquet_text_size(f: InputFile, text_field: str) -> int:
    """The text column's uncompressed bytes, from the footer."""
    import pyarrow.parquet as pq

    with open_raw(f.path) as raw:
        meta = pq.ParquetFile(raw).metadata
        names = [meta.schema.column(j).name for j in range(meta.num_columns)]
        if text_field not in names:
            return f.size
        j = names.index(text_field)
        return sum(meta.row_group(g).column(j).total_uncompressed_size for g in range(meta.num_row_groups))


def _jsonl_prefix(f: InputFile, dest: str, budget: int) -> tuple[int, float]:
    """The file's first lines up to `budget` decompressed bytes, written in its compression; the stored bytes
    they stand for are the file's size times their share of its decompressed bytes."""
    text = 0
    with open_raw(f.path) as raw, _compressed_writer(dest) as out:
        for line in decompressed(raw, f.path):
            if text >= budget:
                break
            out.write(line)
            text += len(line)
    return text, f.size * text / _text_size(f, None)


def _warc_prefix(f: InputFile, dest: str, budget: int) -> tuple[int, float]:
    """Whole WARC records (raw bytes, gzip members included) until their decompressed size reaches the budget."""
    from warcio.archiveiterator import ArchiveIterator

    text, end = 0, 0
    with open_raw(f.path) as raw:
        it = ArchiveIterator(raw)
        for record in it:
            if text >= budget:
                break
            text += len(record.content_stream().read()) + 512  # payload + headers, roughly
            it.read_to_end(record)
            end = it.get_record_offset() + it.get_record_length()
    with open_raw(f.path) as raw, open(dest, "wb") as out:
        out.write(raw.read(end))
    return text, float(end)


def _parquet_prefix(f: InputFile, dest: str, budget: int, text_field: str) -> tuple[int, float]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open_raw(f.path) as raw:
        pf = pq.ParquetFile(raw)
        total_rows, tables, text = pf.metadata.num_rows, [], 0
        for batch in pf.iter_batches(batch_size=256):
            table = pa.Table.from_batches([batch])
            texts = table.column(text_field).to_pylist() if text_field in table.column_names else []
            sizes = [len(t.encode("utf-8")) if isinstance(t, str) else 0 for t in texts] or [0] * table.num_rows
            take = 0
            while take < len(sizes) and text < budget:
                text += sizes[take]
                take += 1
            tables.append(table.slice(0, take))
            if text >= budget:
                break
    table = pa.concat_tables(tables)
    pq.write_table(table, dest)
    return text, f.size * table.num_rows / max(total_rows, 1)


def sample_source(source, budget: int, out_dir: str) -> SourceSample:
    """Writes the sample of one source under out_dir/<source>/<pattern index>/<relative path>."""
    sample, used = SourceSample(source.name), set()
    for f in list_inputs(source):
        left = budget - sample.text_bytes
        if left <= 0:
            break
        dest = os.path.join(out_dir, source.name, str(f.pattern_index), f.rel_path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if source.format == "parquet":
            text = _parquet_text_size(f, source.text_field)
        else:  # one document per text file: always whole
            text = _text_size(f, None if source.format == "text" else left)
        stored = float(f.size)
        if text <= left or source.format == "text":
            _link_or_copy(f, dest)
        elif source.format == "jsonl":  # the budget ends in this file: keep its first records
            text, stored = _jsonl_prefix(f, dest, left)
        elif source.format == "warc":
            text, stored = _warc_prefix(f, dest, left)
        else:
            text, stored = _parquet_prefix(f, dest, left, source.text_field)
        sample.files += 1
        sample.text_bytes += text
        sample.stored_bytes += stored
        used.add(f.pattern_index)
    for i in sorted(used):  # a pattern whose files the budget did not reach has none in the sample
        base = glob_base(source.paths[i])
        tail = source.paths[i][len(base):].lstrip("/") if source.paths[i].startswith(base) else \
            posixpath.basename(source.paths[i])
        sample.patterns.append(os.path.join(out_dir, source.name, str(i), tail))
    return sample
