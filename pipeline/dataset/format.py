"""The shard format `tokenmill.shards/1`: one Arrow IPC file per shard with a single non-nullable column
`input_ids` of fixed-size lists of seq_len + 1 token ids (uint16 when the vocabulary fits, else uint32),
written in record batches of BATCH_ROWS rows so that the same rows always give the same bytes.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

FORMAT = "tokenmill.shards/1"
INPUT_IDS = "input_ids"
DTYPES = ("uint16", "uint32")
ARROW_TYPES = {"uint16": pa.uint16(), "uint32": pa.uint32()}
BATCH_ROWS = 1024
TRAIN, VALIDATION = "train", "validation"


def shard_schema(seq_len: int, dtype) -> pa.Schema:
    value_type = pa.uint16() if np.dtype(dtype) == np.uint16 else pa.uint32()
    return pa.schema([pa.field(INPUT_IDS, pa.list_(value_type, seq_len + 1), nullable=False)])


def rows_to_batch(rows: np.ndarray, schema: pa.Schema) -> pa.RecordBatch:
    """A record batch of `rows` ((n, seq_len + 1) token ids) in the shard schema."""
    list_type = schema.field(INPUT_IDS).type
    values = pa.array(np.ascontiguousarray(rows).reshape(-1), type=list_type.value_type)
    return pa.RecordBatch.from_arrays([pa.FixedSizeListArray.from_arrays(values, list_type.list_size)], schema=schema)
