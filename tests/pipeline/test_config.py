import pytest
import yaml

from pipeline.config import build_config, load_config
from pipeline.config_base import ConfigError

BASE = {
    "output": "out/x",
    "seq_len": 128,
    "tokenizer": {"path": "tokenizers/gpt-neox-20b.json"},
    "sources": [{"name": "web", "paths": ["data/web/*.jsonl.gz"]}],
}


def build(raw, *overrides, **kw):
    import os

    from tests.conftest import REPO

    return build_config(raw, list(overrides), config_dir=os.path.join(REPO, "examples"), **kw)


def test_minimal_config_gets_defaults_and_resolves_paths_against_the_config_folder():
    cfg = build(BASE)
    assert cfg.seed == 0 and cfg.shards.train == 8 and cfg.validation_fraction == 0.01
    assert cfg.sources[0].format == "jsonl" and cfg.sources[0].text_field == "text"
    assert cfg.sources[0].paths[0].endswith("examples/data/web/*.jsonl.gz")
    assert cfg.dedup.near is False and cfg.filters == []


@pytest.mark.parametrize("override, key", [
    ("seq_len=0", "seq_len"),
    ("sources.0.weight=-0.5", "sources.0.weight"),
    ("shards.train=0", "shards.train"),
    ("validation_fraction=1.5", "validation_fraction"),
    ("colour=blue", "colour"),
    ("tokenizer.vocab=3", "tokenizer.vocab"),
    ("sources.0.format=csv", "sources.0.format"),
    ("seq_len=[1, 2]", "seq_len"),
    ("sources=[]", "sources"),
    ("dedup.near={threshold: 2}", "dedup.near"),
    # strict types: a boolean or a quoted number is not a number, and seq_len has a documented maximum
    ("seq_len=true", "seq_len"),
    ("seq_len='512'", "seq_len"),
    ("seq_len=1048577", "seq_len"),
    ("shards.validation=true", "shards.validation"),
    ("max_error_fraction=true", "max_error_fraction"),
    ("write_curated=1", "write_curated"),
])
def test_bad_values_name_the_key(override, key):
    with pytest.raises(ConfigError) as e:
        build(BASE, override)
    assert key in str(e.value)


def test_the_largest_seq_len_and_yaml_1_2_floats_are_accepted():
    from pipeline.config_base import MAX_SEQ_LEN

    cfg = build(BASE, f"seq_len={MAX_SEQ_LEN}", "sources.0.weight=1e-1")
    assert cfg.seq_len == 1_048_576 and cfg.sources[0].weight == 0.1


def test_missing_required_key_is_named():
    raw = {k: v for k, v in BASE.items() if k != "seq_len"}
    with pytest.raises(ConfigError, match="seq_len: required key is missing"):
        build(raw)


def test_missing_files_are_named():
    with pytest.raises(ConfigError, match=r"sources\.0\.paths\.0: no file matches"):
        build(BASE, "sources.0.paths=[nowhere/*.jsonl]")
    with pytest.raises(ConfigError, match="tokenizer.path: no such file"):
        build(BASE, "tokenizer.path=missing.json")


def test_overrides_set_nested_and_listed_keys():
    cfg = build(BASE, "sources.0.weight=0.3", "dedup.near={threshold: 0.7, ngram: 3}", "seed=7", "dedup.exact=true")
    assert cfg.sources[0].weight == 0.3 and cfg.seed == 7 and cfg.dedup.exact is True
    assert cfg.dedup.near.threshold == 0.7 and cfg.dedup.near.ngram == 3


def test_override_errors():
    with pytest.raises(ConfigError, match="no list item sources.3"):
        build(BASE, "sources.3.weight=1")
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        build(BASE, "seq_len")


def test_duplicate_source_names_are_refused():
    raw = dict(BASE, sources=BASE["sources"] * 2)
    with pytest.raises(ConfigError, match="repeated: web"):
        build(raw)


def test_true_switches_mean_default_stage_settings():
    cfg = build(BASE, "dedup.near=true", "dedup.lines=true")
    assert cfg.dedup.near.ngram == 5 and cfg.dedup.lines.max_occurrences == 6


def test_load_config_reports_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("seq_len: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(bad))
    notmap = tmp_path / "list.yaml"
    notmap.write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(ConfigError, match="mapping"):
        load_config(str(notmap))


def test_sample_config_is_valid():
    from tests.conftest import REPO

    cfg = load_config(f"{REPO}/examples/sample.yaml")
    assert {s.name for s in cfg.sources} >= {"web", "books", "math", "multilingual"}


DECONTAM = {"sets": [{"name": "gsm8k_test", "paths": ["data/math/*.jsonl.gz"], "text_fields": ["text"]}]}


def test_decontamination_defaults_and_paths_resolve_like_sources():
    cfg = build(dict(BASE, decontaminate=DECONTAM))
    d = cfg.decontaminate
    assert (d.ngram, d.action, d.min_words, d.margin) == (13, "drop", 8, 10)
    assert d.sets[0].format == "jsonl" and d.sets[0].paths[0].endswith("examples/data/math/*.jsonl.gz")
    assert build(BASE).decontaminate is None


@pytest.mark.parametrize("override, key", [
    ("decontaminate.ngram=0", "decontaminate.ngram"),
    ("decontaminate.action=delete", "decontaminate.action"),
    ("decontaminate.min_words=0", "decontaminate.min_words"),
    ("decontaminate.margin=-1", "decontaminate.margin"),
    ("decontaminate.sets=[]", "decontaminate.sets"),
    ("decontaminate.colour=1", "decontaminate.colour"),
    ("decontaminate.sets.0.format=warc", "decontaminate.sets.0.format"),
    ("decontaminate.sets.0.text_fields=[]", "decontaminate.sets.0.text_fields"),
    ("decontaminate.sets.0.name=a/b", "decontaminate.sets.0.name"),
    ("decontaminate.sets.0.fields=[text]", "decontaminate.sets.0.fields"),
])
def test_bad_decontamination_values_name_the_key(override, key):
    with pytest.raises(ConfigError) as e:
        build(dict(BASE, decontaminate=DECONTAM), override)
    assert key in str(e.value)


def test_decontamination_sets_need_files_and_unique_names():
    with pytest.raises(ConfigError, match=r"decontaminate\.sets\.0\.paths\.0: no file matches"):
        build(dict(BASE, decontaminate=DECONTAM), "decontaminate.sets.0.paths=[evals/nowhere.jsonl]")
    with pytest.raises(ConfigError, match="decontaminate: .*repeated: gsm8k_test"):
        build(dict(BASE, decontaminate={"sets": DECONTAM["sets"] * 2}))
