"""Filters by versioned name, and the checks a config spec must pass before any work starts.

A spec is `{"name": "gopher_quality", **params}`. A changed behaviour gets a new versioned name
(`gopher_quality_v2`), so a config naming `gopher_quality_v1` decides the same forever; the unversioned
names are aliases of the current version.
"""
from __future__ import annotations

import inspect
from typing import Any

from pydantic import TypeAdapter, ValidationError

from filters.base import Filter
from filters.fasttext_quality import FastTextQuality
from filters.heuristics import C4Quality, FineWebQuality, GopherQuality, GopherRepetition
from filters.language import LanguageId
from filters.pii import PiiRedaction
from filters.simple import DocLength, MaxLineLength, NonAlphanumericFraction
from filters.url_blocklist import UrlBlocklist
from filters.word_split import has_word_tokenizer

FILTERS: dict[str, type[Filter]] = {
    cls.name: cls
    for cls in (GopherQuality, GopherRepetition, C4Quality, FineWebQuality, LanguageId, FastTextQuality,
                UrlBlocklist, PiiRedaction, DocLength, NonAlphanumericFraction, MaxLineLength)
}
ALIASES: dict[str, str] = {
    "gopher_quality": "gopher_quality_v1",
    "gopher_repetition": "gopher_repetition_v1",
    "c4_quality": "c4_quality_v1",
    "fineweb_quality": "fineweb_quality_v1",
    "language": "language_v1",
    "fasttext_quality": "fasttext_quality_v1",
    "url_blocklist": "url_blocklist_v1",
    "pii": "pii_v1",
    "doc_length": "doc_length_v1",
    "non_alnum_fraction": "non_alnum_fraction_v1",
    "max_line_length": "max_line_length_v1",
}
# Parameters that name a file; a config's relative paths for them are resolved like its input paths.
PATH_PARAMETERS = frozenset({"model", "domains_file"})


def canonical_name(name: Any) -> str:
    if not isinstance(name, str):
        raise ValueError(f"filter name must be a string, got {name!r}")
    resolved = ALIASES.get(name, name)
    if resolved not in FILTERS:
        known = ", ".join(sorted(set(FILTERS) | set(ALIASES)))
        raise ValueError(f"unknown filter {name!r}; known filters: {known}")
    return resolved


def _required(cls: type[Filter]) -> list[str]:
    signature = inspect.signature(cls.__init__)
    return [p.name for p in signature.parameters.values()
            if p.default is inspect.Parameter.empty and p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def checked_params(spec: dict) -> tuple[type[Filter], dict[str, Any]]:
    """The filter class and its parameters, type-checked and converted (YAML lists to tuples, ...)."""
    if not isinstance(spec, dict):
        raise ValueError(f"a filter must be a mapping like {{name: gopher_quality}}, got {spec!r}")
    if "name" not in spec:
        raise ValueError("a filter needs a 'name'")
    name = spec["name"]
    cls = FILTERS[canonical_name(name)]
    params = {}
    for key, value in spec.items():
        if key == "name":
            continue
        if key not in cls.params:
            allowed = ", ".join(sorted(cls.params)) or "none"
            raise ValueError(f"{name}: unknown parameter {key!r} (parameters: {allowed})")
        try:
            params[key] = TypeAdapter(cls.params[key]).validate_python(value)
        except ValidationError as e:
            problem = e.errors()[0]["msg"]
            raise ValueError(f"{name}: parameter {key!r}: {problem} (got {value!r})") from None
    missing = [p for p in _required(cls) if p not in params]
    if missing:
        raise ValueError(f"{name}: missing required parameter {missing[0]!r}")
    if "language" in params and not has_word_tokenizer(params["language"]):
        raise ValueError(f"{name}: no word tokenizer for language {params['language']!r}")
    return cls, params


def build_filter(spec: dict) -> Filter:
    """The filter a spec names, without its heavy resources (see `Filter.setup`). Raises ValueError, or
    FileNotFoundError for a missing model or list file, with a message that starts with the filter name."""
    cls, params = checked_params(spec)
    try:
        return cls(**params)
    except (ValueError, FileNotFoundError) as e:
        raise type(e)(f"{spec['name']}: {e}") from None


def validate_filter_spec(spec: dict) -> None:
    build_filter(spec)


def build_chain(specs: list[dict]) -> list[Filter]:
    return [build_filter(spec) for spec in specs]
