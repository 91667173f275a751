"""Small file helpers over Beam's FileSystems, so local paths, gs:// and s3:// behave alike."""
from __future__ import annotations

import json

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems


def open_raw(path: str):
    """Opens for reading without Beam's own decompression (readers handle compression themselves)."""
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def read_bytes(path: str) -> bytes:
    with open_raw(path) as f:
        return f.read()


def write_bytes(path: str, data: bytes) -> None:
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.write(data)


def write_json(path: str, obj) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def read_json(path: str):
    return json.loads(read_bytes(path).decode("utf-8"))


def join(*parts: str) -> str:
    return FileSystems.join(*parts)
