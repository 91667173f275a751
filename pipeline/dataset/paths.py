"""Paths that a dataset's own files name (a manifest's shard paths and tokenizer file, a run's file
list, a remote shard's xxh64 used as a cache file name) are data, not trusted: each must be a plain
relative path that stays inside the dataset (or cache) folder. Pure: no Beam, no torch.
"""
from __future__ import annotations

import os
import re

# train/shard-00000-of-00008.arrow: the split folder, the shard's index and the split's shard count.
SHARD_NAME = re.compile(r"^(?P<split>[A-Za-z0-9_.-]+)/shard-(?P<index>\d{5})-of-(?P<count>\d{5})\.arrow$")
XXH64_HEX = re.compile(r"^[0-9a-f]{16}$")


class UnsafePath(ValueError):
    """A path from a dataset file that would lead outside the dataset; the message names it."""


def is_remote(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def join(root: str, rel: str) -> str:
    """`rel` under the dataset `root`: posix-joined for a URL, os.path-joined for a local folder."""
    if is_remote(root):
        return root.rstrip("/") + "/" + rel
    return os.path.join(root.removeprefix("file://"), rel)


def relative_path_problem(rel: object) -> str | None:
    """Why `rel` is not a plain relative path inside a folder (None when it is one): it must be a
    non-empty string of `/`-separated names, none of them empty, `.` or `..`, with no backslash or NUL,
    not absolute and not a URL."""
    if not isinstance(rel, str) or not rel:
        return "must be a non-empty string"
    if "\\" in rel or "\x00" in rel:
        return "must not hold a backslash or NUL"
    if rel.startswith("/") or "://" in rel or re.match(r"^[A-Za-z]:", rel):
        return "must be relative to the dataset"
    if any(part in ("", ".", "..") for part in rel.split("/")):
        return "must not have empty, '.' or '..' components"
    return None


def check_relative(rel: object, what: str = "path") -> str:
    """`rel` itself when it is a plain relative path; else UnsafePath naming it."""
    problem = relative_path_problem(rel)
    if problem:
        raise UnsafePath(f"{what} {rel!r} {problem}")
    return rel


def check_local_inside(root: str, full: str, what: str = "path") -> str:
    """`full` when, symlinks followed, it lies inside the local folder `root`; else UnsafePath."""
    real_root = os.path.realpath(root.removeprefix("file://"))
    real = os.path.realpath(full.removeprefix("file://"))
    if os.path.commonpath([real_root, real]) != real_root:
        raise UnsafePath(f"{what} {full!r} resolves to {real}, outside {root}")
    return full


def inside(root: str, rel: object, join_path=None, what: str = "path") -> str:
    """`root` joined with `rel` (by `join_path`, default `join`: posix for URLs, os.path locally), refused with
    UnsafePath unless `rel` is a plain relative path and, for a local root, the result stays inside
    the root once symlinks are followed."""
    check_relative(rel, what)
    full = (join_path or join)(root, rel)
    return full if is_remote(root) else check_local_inside(root, full, what)


def shard_name_parts(rel: str) -> tuple[str, int, int] | None:
    """(split folder, index, count) of a shard path named like train/shard-00003-of-00008.arrow."""
    m = SHARD_NAME.match(rel)
    return (m["split"], int(m["index"]), int(m["count"])) if m else None
