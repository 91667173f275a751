"""What the pipeline's and the trainer's configs share: the strict pydantic base, `ConfigError`, YAML
reading, pydantic's errors as one line per key, and input path resolution. Neither Beam nor torch."""
from __future__ import annotations

import glob
import os
import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class ConfigError(ValueError):
    """A config the pipeline refuses to start with; the message names the key or file."""


# The longest row a config may ask for: rows of seq_len + 1 tokens, held in memory by the packer and
# the trainer. 1,048,576 (2**20) is beyond any context length trained today.
MAX_SEQ_LEN = 1 << 20


class StrictModel(BaseModel):
    """Unknown keys are errors, and so are values of the wrong type: `seq_len: true` or `seq_len: "8"`
    is refused rather than read as 1 or 8 (an integer is accepted where a float is expected)."""

    model_config = ConfigDict(extra="forbid", validate_default=True, strict=True)


class _Loader(yaml.SafeLoader):
    """YAML 1.1 as PyYAML reads it, except that `1e-3` and `2E9` are floats (as in YAML 1.2 and JSON),
    not strings: configs are validated with strict types, so a string would be refused."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))


def load_yaml(text) -> Any:
    """A YAML document (a string or a text file); see `_Loader`."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def read_yaml_config(path: str) -> tuple[Any, str]:
    """A YAML config file's contents and its folder (what relative paths in it may be relative to)."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = load_yaml(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    return raw, os.path.dirname(os.path.abspath(path))


def format_validation_error(err: ValidationError, what: str = "config") -> str:
    """pydantic's errors as one line per key: `  sources.0.weight: Input should be ...`."""
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = {"extra_forbidden": "unknown key", "missing": "required key is missing"}.get(e["type"], e["msg"])
        lines.append(f"  {key}: {msg}")
    return f"invalid {what}:\n" + "\n".join(lines)


def resolve_input_path(pattern: str, config_dir: str) -> str:
    """An input path as the pipeline will read it: URLs and absolute paths unchanged, a relative path
    against the working directory if it matches there, else against the config file's folder."""
    if "://" in pattern or os.path.isabs(pattern):
        return pattern
    if glob.glob(pattern):
        return os.path.abspath(pattern)
    return os.path.abspath(os.path.join(config_dir, pattern))
