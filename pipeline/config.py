"""The one validated pipeline config, built from YAML plus `--set` overrides before any work starts.

Every user mistake becomes a `ConfigError` whose message names the key (`sources.0.weight`); the CLI
turns it into exit code 2. Relative input paths (source globs, tokenizer, models) are looked up
against the working directory first and, when nothing is there, against the config file's folder,
so `tokenmill run examples/sample.yaml` works from anywhere. `output` is relative to the working
directory.
"""
from __future__ import annotations

import os
from typing import Any, Literal, Optional, Union

from pydantic import Field, ValidationError, field_validator, model_validator

from filters.registry import PATH_PARAMETERS, validate_filter_spec
from mixers.weights import MixStatement, SourceWeight
from pipeline.config_base import (
    MAX_SEQ_LEN, ConfigError, StrictModel, format_validation_error, read_yaml_config, resolve_input_path,
)
from pipeline.overrides import apply_overrides


class TokenizerConfig(StrictModel):
    path: str
    eos: str = "<|endoftext|>"
    # Documents longer than this are cut at pre-token boundaries before encoding (see pipeline.tokenize).
    max_chunk_chars: int = Field(default=50_000, ge=1_000)
    batch_size: int = Field(default=256, ge=1)


class ShardsConfig(StrictModel):
    train: int = Field(default=8, ge=1)
    validation: int = Field(default=1, ge=1)


class SourceConfig(StrictModel):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    paths: list[str] = Field(min_length=1)
    format: Literal["jsonl", "parquet", "text", "warc"] = "jsonl"
    text_field: str = "text"
    id_field: Optional[str] = None
    url_field: Optional[str] = "url"
    weight: Optional[float] = Field(default=None, ge=0)
    max_repeats: Optional[float] = Field(default=None, ge=1)
    filters: Optional[list[dict[str, Any]]] = None

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path_is_a_list(cls, v):
        return [v] if isinstance(v, str) else v


class NearDedupConfig(StrictModel):
    """MinHash-LSH near-duplicate removal. `bands` x `rows` must be at most `num_perm` when both are set;
    when neither is set they are chosen for `threshold`."""

    threshold: float = Field(default=0.8, gt=0, lt=1)
    ngram: int = Field(default=5, ge=1)
    num_perm: int = Field(default=112, ge=2)
    bands: Optional[int] = Field(default=None, ge=1)
    rows: Optional[int] = Field(default=None, ge=1)
    max_rounds: int = Field(default=32, ge=1)

    @model_validator(mode="after")
    def _bands_rows(self):
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands * self.rows}) exceeds num_perm ({self.num_perm})")
        return self


class LineDedupConfig(StrictModel):
    max_occurrences: int = Field(default=6, ge=1)
    min_chars_after: int = Field(default=1, ge=0)


class DedupConfig(StrictModel):
    exact: bool = False
    url: bool = False
    near: Union[bool, NearDedupConfig] = False
    lines: Union[bool, LineDedupConfig] = False

    @field_validator("near", mode="after")
    @classmethod
    def _near_true_means_defaults(cls, v):
        return NearDedupConfig() if v is True else v

    @field_validator("lines", mode="after")
    @classmethod
    def _lines_true_means_defaults(cls, v):
        return LineDedupConfig() if v is True else v


class EvalSetConfig(StrictModel):
    """An evaluation set to remove from the training data: files read like a source's (pipeline.readers),
    one example per record (per file for `text`), its `text_fields` joined by newlines."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    paths: list[str] = Field(min_length=1)
    format: Literal["jsonl", "parquet", "text"] = "jsonl"
    text_fields: list[str] = Field(default_factory=lambda: ["text"], min_length=1)
    id_field: Optional[str] = None  # without it, an example's id is `<set>/<file>#<position>`

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path_is_a_list(cls, v):
        return [v] if isinstance(v, str) else v


class DecontaminationConfig(StrictModel):
    """Documents holding any `ngram`-word n-gram of an evaluation example (after normalization; see
    pipeline.decontam.ngrams) are dropped or redacted. Examples of `min_words` to `ngram - 1` words are
    matched whole; shorter ones ("the answer is 5") are not matched at all. `margin`: words cut on each
    side of a redacted span."""

    ngram: int = Field(default=13, ge=1)
    action: Literal["drop", "redact"] = "drop"
    min_words: int = Field(default=8, ge=1)
    margin: int = Field(default=10, ge=0)
    sets: list[EvalSetConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_set_names(self):
        names = [s.name for s in self.sets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"set names must be unique; repeated: {', '.join(dup)}")
        return self


class MixConfig(StrictModel):
    # Total output tokens (train + validation); None keeps the sources' natural size where weights allow.
    total_tokens: Optional[int] = Field(default=None, ge=1)
    # What to do when a source is too small to reach its weight within max_repeats.
    on_shortfall: Literal["fail", "rescale"] = "fail"
    # Alternative to weights: sample sources proportionally to size^(1/temperature).
    temperature: Optional[float] = Field(default=None, gt=0)


class ReportConfig(StrictModel):
    """What report.html shows besides counts (pipeline.report_parts): per (source, stage, reason) the
    `samples` removed documents with the smallest hash of (seed, id), `kept_samples` kept ones per source,
    each cut to `excerpt_chars` characters. 0 samples shows none (e.g. for data that must not be quoted)."""

    samples: int = Field(default=5, ge=0, le=100)
    kept_samples: int = Field(default=3, ge=0, le=100)
    excerpt_chars: int = Field(default=2000, ge=100, le=100_000)


class PipelineConfig(StrictModel):
    output: str
    seed: int = 0
    seq_len: int = Field(ge=1, le=MAX_SEQ_LEN)
    tokenizer: TokenizerConfig
    validation_fraction: float = Field(default=0.01, ge=0, lt=1)
    shards: ShardsConfig = ShardsConfig()
    write_curated: bool = True
    sources: list[SourceConfig] = Field(min_length=1)
    filters: list[dict[str, Any]] = Field(default_factory=list)
    dedup: DedupConfig = DedupConfig()
    mix: MixConfig = MixConfig()
    decontaminate: Optional[DecontaminationConfig] = None
    # Fail the run (exit 1, no manifest) when more than this fraction of a source's records is unreadable.
    max_error_fraction: float = Field(default=0.1, ge=0, le=1)
    # Fraction of rejected documents whose text is kept in rejects/ (all ids are always kept).
    rejects_text_fraction: float = Field(default=1.0, ge=0, le=1)
    report: ReportConfig = ReportConfig()

    @model_validator(mode="after")
    def _unique_source_names(self):
        names = [s.name for s in self.sources]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dup)}")
        return self

    def filters_for(self, source: SourceConfig) -> list[dict[str, Any]]:
        return source.filters if source.filters is not None else self.filters


def _match_count(pattern: str) -> int:
    if "://" in pattern:
        from apache_beam.io.filesystems import FileSystems  # only for remote paths

        return sum(len(m.metadata_list) for m in FileSystems.match([pattern]))
    import glob

    return len([p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p)])


def _resolve_paths(cfg: PipelineConfig, config_dir: str, check_files: bool) -> PipelineConfig:
    cfg.tokenizer.path = resolve_input_path(cfg.tokenizer.path, config_dir)
    if check_files and "://" not in cfg.tokenizer.path and not os.path.isfile(cfg.tokenizer.path):
        raise ConfigError(f"tokenizer.path: no such file: {cfg.tokenizer.path}")
    for i, src in enumerate(cfg.sources):
        src.paths = [resolve_input_path(p, config_dir) for p in src.paths]
        if check_files:
            for j, p in enumerate(src.paths):
                if _match_count(p) == 0:
                    raise ConfigError(f"sources.{i}.paths.{j}: no file matches {p!r}")
    for i, eval_set in enumerate(cfg.decontaminate.sets if cfg.decontaminate else []):
        eval_set.paths = [resolve_input_path(p, config_dir) for p in eval_set.paths]
        if check_files:
            for j, p in enumerate(eval_set.paths):
                if _match_count(p) == 0:
                    raise ConfigError(f"decontaminate.sets.{i}.paths.{j}: no file matches {p!r}")
    for spec in filter_specs(cfg):
        _resolve_filter_paths(spec[1], config_dir)
    return cfg


def filter_specs(cfg: PipelineConfig) -> list[tuple[str, Any]]:
    """(config key, spec) for the shared filter list and every source's own list."""
    specs = [(f"filters.{k}", f) for k, f in enumerate(cfg.filters)]
    for i, src in enumerate(cfg.sources):
        if src.filters is not None:
            specs += [(f"sources.{i}.filters.{k}", f) for k, f in enumerate(src.filters)]
    return specs


def _resolve_filter_paths(spec: Any, config_dir: str) -> None:
    """Model and list files named by a filter resolve like input paths (see `resolve_input_path`)."""
    if not isinstance(spec, dict):
        return
    for key in PATH_PARAMETERS & spec.keys():
        if isinstance(spec[key], str):
            spec[key] = resolve_input_path(spec[key], config_dir)


def _check_filters(cfg: PipelineConfig) -> None:
    """Builds every configured filter once so unknown names or bad parameters fail before any work."""
    for key, spec in filter_specs(cfg):
        try:
            validate_filter_spec(spec)
        except (ValueError, TypeError, FileNotFoundError) as e:
            raise ConfigError(f"{key}: {e}") from None


def mix_statement(sources: list[SourceConfig], mix: MixConfig) -> MixStatement:
    """The mix as `sources` and `mix` state it; building it checks the mix's rules (a ValueError names the key)."""
    weights = tuple(SourceWeight(s.name, s.weight, s.max_repeats) for s in sources)
    return MixStatement(weights, mix.temperature, mix.total_tokens, mix.on_shortfall)


def _check_mix(cfg: PipelineConfig) -> None:
    try:
        mix_statement(cfg.sources, cfg.mix)
    except ValueError as e:
        raise ConfigError(f"mix: {e}") from None


def mixing_requested(cfg: PipelineConfig) -> bool:
    """Whether the config asks for a mix (weights, a temperature or a token total) rather than the
    natural one, in which every kept document appears once."""
    return (cfg.mix.temperature is not None or cfg.mix.total_tokens is not None
            or any(s.weight is not None for s in cfg.sources))


def build_config(raw: Any, overrides: list[str] = (), config_dir: str = ".", check_files: bool = True) -> PipelineConfig:
    if not isinstance(raw, dict):
        raise ConfigError("config must be a YAML mapping of keys to values")
    raw = apply_overrides(raw, overrides)
    try:
        cfg = PipelineConfig.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(format_validation_error(e)) from None
    cfg = _resolve_paths(cfg, config_dir, check_files)
    _check_filters(cfg)
    _check_mix(cfg)
    return cfg


def load_config(path: str, overrides: list[str] = (), check_files: bool = True) -> PipelineConfig:
    raw, config_dir = read_yaml_config(path)
    return build_config(raw, overrides, config_dir, check_files)
