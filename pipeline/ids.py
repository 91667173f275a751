"""Stable document ids for records that carry none: derived from the file path and record position.

The path is taken relative to the non-glob prefix of the configured pattern, so moving the data
folder, or listing files in another order, does not change any id.
"""
from __future__ import annotations

import posixpath
import re
from typing import Optional

_GLOB_CHARS = re.compile(r"[*?\[]")


def glob_base(pattern: str) -> str:
    """The folder part of a pattern before its first glob character (`data/web/*.gz` -> `data/web`)."""
    m = _GLOB_CHARS.search(pattern)
    head = pattern if m is None else pattern[: m.start()]
    return posixpath.dirname(head) if (m is not None or not head.endswith("/")) else head.rstrip("/")


def relative_path(path: str, base: str) -> str:
    base = base.rstrip("/")
    if base and path.startswith(base + "/"):
        return path[len(base) + 1 :]
    return posixpath.basename(path)


def derived_id(source: str, rel_path: str, position: Optional[int]) -> str:
    """`source/relpath` for one-document files, `source/relpath#position` for records inside a file."""
    return f"{source}/{rel_path}" if position is None else f"{source}/{rel_path}#{position}"


def record_id(raw_id: object, source: str, rel_path: str, position: Optional[int]) -> str:
    """The record's own id when it has a usable one, else the derived one."""
    if isinstance(raw_id, bool) or raw_id is None or (isinstance(raw_id, str) and not raw_id):
        return derived_id(source, rel_path, position)
    if isinstance(raw_id, (str, int)):
        return str(raw_id)
    return derived_id(source, rel_path, position)
