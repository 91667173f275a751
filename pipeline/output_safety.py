"""What `tokenmill run` may delete in its output directory OUT, and what it refuses to start with.

A run owns two things in OUT, and deletes nothing else:
- OUT/.tmp/, its staging area: the job writes every file there (shards and side outputs), and the
  commit step moves them into place;
- the files a committed run wrote, listed in OUT/.tokenmill-files.json (written by the commit step
  before the manifest). For a dataset committed before that list existed: manifest.json, the reports,
  the tokenizer copy, the shards its manifest names and side outputs with tokenmill's own names
  (errors/errors-00000-of-00001.jsonl, ...).

Before anything is touched, a run refuses (ConfigError, exit 2, naming the paths)
- an input inside OUT (a source file or pattern, the tokenizer, a filter's model or list): the run
  would replace what it reads;
- a file it would write over without owning it (a report.json, shard or side output with tokenmill's
  name that no previous run of tokenmill recorded).
Any other file in OUT is left as it is.

The previous dataset stays readable until the new one is complete: the commit step calls
`retire_previous_run` (which deletes the previous manifest, then the previous run's files that the new
run does not replace), moves the new files in, `write_file_list`s them and writes the manifest last.

The decisions (`owned_files`, `collisions`, `inputs_inside_output`) are pure; the functions that read
or change OUT go through Beam's FileSystems (local paths, gs://, s3://), imported where used.
"""
from __future__ import annotations

import glob
import os
import re
from typing import Iterable, Optional

from pipeline.dataset.paths import is_remote, relative_path_problem, shard_name_parts

FILE_LIST = ".tokenmill-files.json"
FILE_LIST_FORMAT = "tokenmill.files/1"
STAGING = ".tmp"
MANIFEST = "manifest.json"
# Files every committed run writes at the top of OUT.
FIXED_FILES = (MANIFEST, "report.json", "report.html", "tokenizer.json", FILE_LIST)
SPLITS = ("train", "validation")
SIDE_OUTPUT_FOLDERS = ("curated", "rejects", "errors", "decontamination")
# Side outputs: one file per pass and input split (curated/curated-00003.parquet, rejects/curate-00003.parquet,
# errors/errors-00003.jsonl, decontamination/matches-00003.parquet), and the names of earlier versions
# (rejects/rejects-00000-of-00001.parquet).
_SIDE_OUTPUT = re.compile(r"^(?:(?:curated/curated|rejects/(?:rejects|read|curate|near)|decontamination/matches)"
                          r"-\d{5}(?:-of-\d{5})?\.parquet|errors/errors-\d{5}(?:-of-\d{5})?\.jsonl)$")


# --- pure decisions ---------------------------------------------------------------------------------

def is_run_file_name(rel: str) -> bool:
    """A name a run of tokenmill writes under OUT: a fixed file, a shard, or a side output."""
    if rel in FIXED_FILES or _SIDE_OUTPUT.match(rel):
        return True
    parts = shard_name_parts(rel)
    return parts is not None and parts[0] in SPLITS


def is_side_output_name(rel: str) -> bool:
    return bool(_SIDE_OUTPUT.match(rel))


def _listed(file_list: object) -> Optional[set[str]]:
    if not isinstance(file_list, dict) or file_list.get("format") != FILE_LIST_FORMAT:
        return None
    files = file_list.get("files")
    if not isinstance(files, list):
        return None
    return {f for f in files if isinstance(f, str) and relative_path_problem(f) is None and is_run_file_name(f)}


def _from_manifest(manifest: object, present: Iterable[str]) -> set[str]:
    """What a dataset committed before file lists existed holds of ours (an empty set for anything
    that is not a tokenmill manifest)."""
    from pipeline.dataset.format import FORMAT

    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return set()
    owned = set(FIXED_FILES) - {FILE_LIST}
    splits = manifest.get("splits")
    for block in (splits.values() if isinstance(splits, dict) else ()):
        for entry in (block.get("shards") or () if isinstance(block, dict) else ()):
            path = entry.get("path") if isinstance(entry, dict) else None
            if isinstance(path, str) and relative_path_problem(path) is None and is_run_file_name(path):
                owned.add(path)
    return owned | {p for p in present if is_side_output_name(p)}


def owned_files(file_list: object, manifest: object, present: Iterable[str]) -> set[str]:
    """The files under OUT (relative paths) that a previous run of tokenmill wrote: those its file
    list names (only names a run writes, inside OUT), else those a tokenmill manifest implies."""
    listed = _listed(file_list)
    if listed is not None:
        return listed | {FILE_LIST}
    return _from_manifest(manifest, present)


def collisions(present: Iterable[str], owned: set[str]) -> list[str]:
    """Files with a name a run writes that no previous run recorded: writing would destroy them."""
    return sorted(p for p in present if is_run_file_name(p) and p not in owned)


def _inside(path: str, output: str) -> bool:
    if is_remote(output) or is_remote(path):
        return path.rstrip("/").startswith(output.rstrip("/") + "/") or path.rstrip("/") == output.rstrip("/")
    real_out = os.path.realpath(output)
    return os.path.commonpath([real_out, os.path.realpath(path)]) == real_out


def inputs_inside_output(output: str, inputs: Iterable[tuple[str, str, list[str]]]) -> list[str]:
    """`key: path` for every input inside `output`. inputs: (config key, path or pattern, the local
    files it matches); a pattern counts when its folder part or any file it matches is inside."""
    from pipeline.ids import glob_base

    found = []
    for key, pattern, matches in inputs:
        base = glob_base(pattern) if glob.has_magic(pattern) else pattern
        inner = [m for m in matches if _inside(m, output)]
        if _inside(base, output) or inner:
            found.append(f"{key}: {pattern}" + (f" (matches {inner[0]})" if inner and inner[0] != pattern else ""))
    return found


def staged_name(written_path: str) -> Optional[str]:
    """The relative name (`errors/errors-00000-of-00001.jsonl`) of a side output file the job wrote,
    from its full path; None for anything else."""
    rel = "/".join(written_path.replace("\\", "/").split("/")[-2:])
    return rel if is_side_output_name(rel) else None


# --- reading and changing OUT -----------------------------------------------------------------------

def _join(*parts: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.join(*parts)


def _exists(path: str) -> bool:
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.exists(path)


def _delete(paths: list[str]) -> None:
    from apache_beam.io.filesystems import FileSystems

    if paths:
        FileSystems.delete(paths)


def present_run_files(output: str) -> list[str]:
    """Relative paths of the files in the places a run writes: OUT's top level and its run folders
    (one level deep); the staging area is not listed."""
    folders = SPLITS + SIDE_OUTPUT_FOLDERS
    if not is_remote(output):
        found = [n for n in FIXED_FILES if os.path.isfile(os.path.join(output, n))]
        for folder in folders:
            path = os.path.join(output, folder)
            if os.path.isdir(path):
                found += [f"{folder}/{n}" for n in sorted(os.listdir(path)) if os.path.isfile(os.path.join(path, n))]
        return found
    from apache_beam.io.filesystems import FileSystems

    found = [n for n in FIXED_FILES if FileSystems.exists(_join(output, n))]
    prefix = output.rstrip("/") + "/"
    for result in FileSystems.match([_join(output, folder, "*") for folder in folders]):
        found += [m.path[len(prefix):] for m in result.metadata_list if m.path.startswith(prefix)]
    return found


def _read_json_or_none(path: str):
    from pipeline.fileio import read_json

    try:
        return read_json(path) if _exists(path) else None
    except (OSError, ValueError):
        return None


def previous_run_files(output: str) -> set[str]:
    """What a previous run of tokenmill wrote under OUT (see `owned_files`)."""
    return owned_files(_read_json_or_none(_join(output, FILE_LIST)), _read_json_or_none(_join(output, MANIFEST)),
                       present_run_files(output))


def _input_locations(cfg) -> list[tuple[str, str, list[str]]]:
    """(config key, path or pattern, local files it matches) for every file the run reads."""
    from pipeline.config import filter_specs

    try:
        from filters.registry import PATH_PARAMETERS
    except ImportError:
        PATH_PARAMETERS = frozenset()
    items = [("tokenizer.path", cfg.tokenizer.path)]
    for i, src in enumerate(cfg.sources):
        items += [(f"sources.{i}.paths.{j}", p) for j, p in enumerate(src.paths)]
    for i, eval_set in enumerate(cfg.decontaminate.sets if cfg.decontaminate else []):
        items += [(f"decontaminate.sets.{i}.paths.{j}", p) for j, p in enumerate(eval_set.paths)]
    for key, spec in filter_specs(cfg):
        if isinstance(spec, dict):
            items += [(f"{key}.{name}", spec[name]) for name in sorted(PATH_PARAMETERS & spec.keys())
                      if isinstance(spec[name], str)]
    return [(key, p, [] if is_remote(p) else sorted(glob.glob(p, recursive=True))) for key, p in items]


def check_output(cfg) -> None:
    """Refuses (ConfigError naming the paths) inputs inside the output directory and files there that
    the run would overwrite without owning them. Reads only."""
    from pipeline.config_base import ConfigError

    overlapping = inputs_inside_output(cfg.output, _input_locations(cfg))
    if overlapping:
        raise ConfigError(f"output {cfg.output} holds inputs of this run; a run replaces what it wrote there, "
                          "so inputs must live outside it:\n  " + "\n  ".join(overlapping))
    foreign = collisions(present_run_files(cfg.output), previous_run_files(cfg.output))
    if foreign:
        raise ConfigError(f"output {cfg.output} holds files that no previous run of tokenmill recorded, with names "
                          "this run would write over; move them away or choose another output:\n  "
                          + "\n  ".join(foreign))


def clear_staging(output: str) -> None:
    """Deletes OUT/.tmp/ (what an interrupted run left there): the staging area is the run's own."""
    staging = _join(output, STAGING)
    if _exists(staging):
        _delete([staging])


def write_file_list(output: str, files: Iterable[str]) -> None:
    from pipeline.fileio import write_json

    write_json(_join(output, FILE_LIST), {"format": FILE_LIST_FORMAT, "files": sorted(set(files))})


def retire_previous_run(output: str, new_files: set[str]) -> None:
    """The commit step's first change to OUT: records the previous and the new run's files as ours (so
    an interrupted commit leaves nothing a later run would take for foreign), deletes the previous
    manifest (from here on the directory reads as incomplete), then the previous run's files that the
    new run does not replace. Safe to repeat."""
    previous = previous_run_files(output)
    write_file_list(output, previous | new_files)
    if MANIFEST in previous and _exists(_join(output, MANIFEST)):
        _delete([_join(output, MANIFEST)])
    stale = [_join(output, rel) for rel in sorted(previous - new_files - {FILE_LIST, MANIFEST})]
    _delete([p for p in stale if _exists(p)])
    _remove_empty_run_folders(output)


def _remove_empty_run_folders(output: str) -> None:
    """A run folder the previous run filled and the new one leaves empty goes (local output only: object
    stores have no folders)."""
    if is_remote(output):
        return
    for folder in SPLITS + SIDE_OUTPUT_FOLDERS:
        path = os.path.join(output, folder)
        if os.path.isdir(path) and not os.listdir(path):
            os.rmdir(path)
