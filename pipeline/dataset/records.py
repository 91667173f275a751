"""Flat dataclasses as JSON objects, the way tokenmill's files hold them: a field whose default is None
is optional and left out while it is None, so a record read from a file writes back the same keys."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping, TypeVar

R = TypeVar("R")


def record_to_json(record) -> dict[str, Any]:
    return {f.name: value for f in fields(record)
            if (value := getattr(record, f.name)) is not None or f.default is not None}


def record_from_json(cls: type[R], obj: Mapping[str, Any]) -> R:
    """`cls` from the keys of `obj` that are its fields (others are ignored; a missing required field
    raises TypeError)."""
    return cls(**{f.name: obj[f.name] for f in fields(cls) if f.name in obj})
