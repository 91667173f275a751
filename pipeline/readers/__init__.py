"""Pure record readers, one module per format: a `FileSplit` in, Documents and ReadErrors out.

Each reader takes an `open_file(path) -> binary file object` so the Beam transform can pass Beam's
FileSystems (gs://, s3://, local) while tests pass the builtin `open`. Splits let a runner spread one
big file over workers: byte ranges for uncompressed JSONL, row groups for Parquet, whole files otherwise.
"""
from pipeline.readers.base import FileSplit, RecordFields, plan_splits, read_split

__all__ = ["FileSplit", "RecordFields", "plan_splits", "read_split"]
