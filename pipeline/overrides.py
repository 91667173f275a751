"""`--set KEY=VALUE` overrides by dotted path (`seq_len=512`, `sources.0.weight=0.3`).

Values are parsed as YAML scalars or flow collections (`true`, `3`, `0.5`, `1e-3`, `[en, de]`, `{exact: true}`).
A path through a key that does not exist creates it, so validation reports it as an unknown key;
a list index out of range is an error here.
"""
from __future__ import annotations

import copy
from typing import Any

import yaml

from pipeline.config_base import ConfigError, load_yaml


def parse_override(item: str) -> tuple[list[str], Any]:
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
    key, _, value = item.partition("=")
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {item!r}: empty key")
    try:
        parsed = load_yaml(value) if value.strip() else ""
    except yaml.YAMLError as e:
        raise ConfigError(f"--set {key}: value is not valid YAML: {e}") from None
    return key.split("."), parsed


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    raw = copy.deepcopy(raw)
    for item in overrides:
        path, value = parse_override(item)
        node: Any = raw
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            where = ".".join(path[: depth + 1])
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(f"--set {'.'.join(path)}: no list item {where}")
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    if not isinstance(node.get(part), (dict, list)):
                        node[part] = {} if node.get(part) in (None, True, False) else node[part]
                    node = node[part]
            else:
                raise ConfigError(f"--set {'.'.join(path)}: {'.'.join(path[:depth])} is not a mapping or list")
    return raw
