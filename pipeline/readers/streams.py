"""Decompression that reports damage: a truncated or corrupt .gz, .zst or .bz2 stream raises one of
`STREAM_ERRORS` at the point where reading stopped, never ends early in silence.

gzip and bz2 from the standard library already raise (EOFError for a stream cut short, OSError or
zlib.error for corrupt data). zstandard's stream reader returns end-of-file when its input ends inside
a frame, so .zst goes through `ZstdFrames`, which raises `StreamDamaged` then.
"""
from __future__ import annotations

import bz2
import gzip
import io
import zlib
from typing import BinaryIO

COMPRESSED_SUFFIXES = (".gz", ".zst", ".zstd", ".bz2")
UTF8_BOM = b"\xef\xbb\xbf"


class StreamDamaged(EOFError):
    """A compressed stream ends inside a frame (cut short)."""


def _zstd_error() -> type:
    try:
        import zstandard
    except ImportError:  # pragma: no cover - zstandard is a dependency
        return StreamDamaged
    return zstandard.ZstdError


# What a damaged or unreadable stream raises while it is read.
STREAM_ERRORS = (EOFError, OSError, zlib.error, _zstd_error())


class ZstdFrames(io.RawIOBase):
    """Decompresses one or more concatenated zstd frames from a binary file object; raises
    StreamDamaged when the input ends inside a frame."""

    def __init__(self, raw: BinaryIO, chunk_bytes: int = 1 << 16):
        import zstandard

        super().__init__()
        self._raw, self._chunk_bytes = raw, chunk_bytes
        self._dctx = zstandard.ZstdDecompressor()
        self._frame = None  # the decompressor of the current frame
        self._out = bytearray()
        self._input_done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._out and not self._input_done:
            chunk = self._raw.read(self._chunk_bytes)
            if chunk:
                self._decompress(chunk)
            else:
                self._input_done = True
                if self._frame is not None and not self._frame.eof:
                    raise StreamDamaged("zstd stream ends inside a frame (truncated)")
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        del self._out[:n]
        return n

    def _decompress(self, data: bytes) -> None:
        while data:
            if self._frame is None or self._frame.eof:
                self._frame = self._dctx.decompressobj()
            self._out += self._frame.decompress(data)
            data = self._frame.unused_data if self._frame.eof else b""


class GzipIntegrity:
    """A read-through wrapper that feeds every byte read from a (multi-member) gzip file to a decoder,
    for readers that stop quietly at a damaged member (warcio): after reading, `damage()` drains the
    rest of the file and says whether, and at which compressed byte, it was truncated or corrupt."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._member = None  # decoder of the member being read; None between members
        self._consumed = 0  # compressed bytes seen
        self._problem: tuple[int, str] | None = None

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._check(data)
        return data

    def tell(self) -> int:
        return self._raw.tell()

    def _check(self, data: bytes) -> None:
        start = self._consumed
        self._consumed += len(data)
        while data and self._problem is None:
            if self._member is None:
                self._member = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                self._member.decompress(data)
            except zlib.error as e:
                self._problem = (start, f"corrupt gzip data: {e}")
                return
            if not self._member.eof:
                return
            data = self._member.unused_data
            start = self._consumed - len(data)
            self._member = None

    def damage(self) -> tuple[int, str] | None:
        """(compressed byte offset, what is wrong), or None when every member is complete."""
        while self._problem is None and self.read(1 << 20):
            pass
        if self._problem is None and self._member is not None:
            self._problem = (self._consumed, "gzip stream ends inside a member (truncated)")
        return self._problem


def is_compressed(path: str) -> bool:
    return path.endswith(COMPRESSED_SUFFIXES)


def decompressed(raw: BinaryIO, path: str) -> BinaryIO:
    """The decompressed bytes of `raw`, by the file name's suffix; `raw` itself when uncompressed."""
    if path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if path.endswith((".zst", ".zstd")):
        return io.BufferedReader(ZstdFrames(raw))
    if path.endswith(".bz2"):
        return bz2.BZ2File(raw, mode="rb")
    return raw


def damage_message(error: BaseException, offset: int, records: int) -> str:
    """What a ReadError says when a stream stops being readable part-way."""
    return (f"file unreadable from byte {offset:,} of its decompressed content (after {records:,} record(s)): "
            f"truncated or corrupt? {type(error).__name__}: {error}")
