"""docs/format.md is the users' reference: every config key, filter, filter parameter and command that
exists must be named there, so a new key cannot ship undocumented."""
import os
import re
import typing

import pytest
from pydantic import BaseModel

from filters.registry import ALIASES, FILTERS
from pipeline.config import PipelineConfig
from trainer.config import TrainConfig

DOC = os.path.join(os.path.dirname(__file__), "..", "docs", "format.md")


def _section(title: str) -> str:
    """The text of the `## title` section (up to the next `## ` heading)."""
    text = open(DOC, encoding="utf-8").read()
    match = re.search(rf"^## {re.escape(title)}\b.*?(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, f"docs/format.md has no section '## {title}'"
    return match.group(0)


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def config_keys(model: type[BaseModel], prefix: str = "") -> list[tuple[str, bool]]:
    """(dotted key, has sub-keys) for every field reachable from `model`; list items as `key[]`."""
    keys = []
    for name, field in model.model_fields.items():
        key = prefix + name
        subs = _models_in(field.annotation)
        keys.append((key, bool(subs)))
        is_list = typing.get_origin(field.annotation) is list
        for sub in subs:
            keys += config_keys(sub, key + ("[]." if is_list else "."))
    return keys


def _documented(key: str, has_sub_keys: bool, section: str) -> bool:
    return f"`{key}`" in section or (has_sub_keys and f"`{key}." in section) or (
        has_sub_keys and f"`{key}[]." in section)


@pytest.mark.parametrize("model, title", [(PipelineConfig, "Pipeline config"), (TrainConfig, "Trainer config")])
def test_every_config_key_is_documented(model, title):
    section = _section(title)
    keys = config_keys(model)
    assert len(keys) > 20
    missing = [key for key, has_sub_keys in keys if not _documented(key, has_sub_keys, section)]
    assert not missing, f"docs/format.md '{title}' does not name: {missing}"


def test_the_key_walk_sees_nested_and_listed_keys():
    keys = dict(config_keys(PipelineConfig))
    assert {"dedup.near.threshold", "sources[].weight", "decontaminate.sets[].text_fields",
            "report.excerpt_chars"} <= keys.keys()
    assert keys["dedup.near"] and not keys["seq_len"]


def test_every_filter_and_parameter_is_documented():
    section = _section("Pipeline config")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \(`\w+`\) \|.*$", section, flags=re.M)}
    for alias, versioned in ALIASES.items():
        assert alias in rows and f"`{versioned}`" in rows[alias], f"filter {alias} ({versioned}) is not documented"
    assert set(ALIASES.values()) == set(FILTERS)
    for alias, versioned in ALIASES.items():
        undocumented = [p for p in FILTERS[versioned].params if f"`{p}`" not in rows[alias]]
        assert not undocumented, f"filter {alias}: parameters {undocumented} are not documented"


def test_every_command_is_documented():
    from pipeline.cli import build_parser

    section = _section("Commands and exit codes")
    commands = [a for a in build_parser()._subparsers._group_actions[0].choices]
    assert {"run", "verify", "inspect", "train", "plan"} <= set(commands)
    assert all(f"`tokenmill {c}" in section for c in commands), commands
