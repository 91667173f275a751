"""`tokenmill plan build` end to end on bundled sample sources: the JSON of the contract, predictions equal
to the real run when the sample is the whole input and close to it when it is a quarter, exit codes."""
import gzip
import json
import os

import pytest
import yaml

from pipeline.cli import main
from tests.conftest import SAMPLE_DATA, TOKENIZER_JSON

CONTRACT_KEYS = {"input_bytes", "output_tokens", "sources", "cpu_hours", "wall_hours", "shuffle_bytes", "output_bytes"}


def _config(tmp_path, **extra) -> str:
    cfg = {"output": str(tmp_path / "out"), "seed": 7, "seq_len": 256,
           "tokenizer": {"path": TOKENIZER_JSON}, "shards": {"train": 2, "validation": 1},
           "sources": [{"name": "math", "paths": [os.path.join(SAMPLE_DATA, "math", "*.jsonl.gz")], "id_field": "id"},
                       {"name": "books", "paths": [os.path.join(SAMPLE_DATA, "books", "*.jsonl.gz")], "id_field": "id"}],
           "dedup": {"exact": True}}
    cfg.update(extra)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _plan(capsys, *args) -> dict:
    assert main(["plan", "build", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _real_tokens(config) -> tuple[int, dict]:
    assert main(["run", config]) == 0
    with open(os.path.join(os.path.dirname(config), "out", "manifest.json")) as f:
        manifest = json.load(f)
    total = sum(manifest["splits"][k]["tokens"] for k in ("train", "validation"))
    with open(os.path.join(os.path.dirname(config), "out", "report.json")) as f:
        chinchilla = json.load(f)["chinchilla"]  # what the dataset can train, in its report
    assert chinchilla["optimal_parameters"] == manifest["splits"]["train"]["tokens"] // 20
    assert chinchilla["tokens_per_source"] == {n: s["tokens"] for n, s in sorted(manifest["sources"].items())}
    return total, {n: s["tokens"] for n, s in manifest["sources"].items()}


@pytest.mark.slow
def test_a_whole_sample_predicts_the_real_run_and_a_quarter_comes_close(tmp_path, capsys):
    config = _config(tmp_path)
    real, real_sources = _real_tokens(config)
    capsys.readouterr()
    whole = _plan(capsys, config, "--sample-mb", "20", "--workers", "4")
    assert CONTRACT_KEYS <= set(whole) and set(whole["sources"]) == {"math", "books"}
    assert {n: s["scale"] for n, s in whole["sources"].items()} == {"math": 1.0, "books": 1.0}
    assert {n: s["output_tokens"] for n, s in whole["sources"].items()} == real_sources
    assert abs(whole["output_tokens"] - real) <= 3 * 256  # only the shards' tails are estimated
    assert whole["input_bytes"] == sum(os.path.getsize(os.path.join(SAMPLE_DATA, d, f)) for d, f in
                                       [("math", "gsm8k_train.jsonl.gz"), ("books", "speeches.jsonl.gz")])
    assert whole["cpu_hours"] > 0 and whole["wall_hours"] > 0 and whole["output_bytes"] > 2 * real
    assert whole["workers"] == 4 and whole["recommended_shards_train"] == 8

    quarter = _plan(capsys, config, "--sample-mb", "1")
    math = quarter["sources"]["math"]
    assert 3 < math["scale"] < 6  # ~1 MB of ~4.3 MB of text
    assert abs(math["output_tokens"] / real_sources["math"] - 1) < 0.05  # GSM8K is homogeneous
    lo, hi = quarter["output_tokens_range"]
    assert lo <= quarter["output_tokens"] <= hi


def test_a_bad_config_exits_2_before_sampling(tmp_path, capsys):
    assert main(["plan", "build", _config(tmp_path, bogus=1)]) == 2
    assert "bogus: unknown key" in capsys.readouterr().err
    assert main(["plan", "build", _config(tmp_path), "--sample-mb", "0"]) == 2
    assert "--sample-mb: must be above 0" in capsys.readouterr().err


def test_a_sample_the_pipeline_refuses_exits_1_with_its_reason(tmp_path, capsys):
    with gzip.open(tmp_path / "bad.jsonl.gz", "wt") as f:
        f.write(json.dumps({"id": "a", "text": "fine words " * 50}) + "\n{not json\n")
    config = _config(tmp_path, max_error_fraction=0.0,
                     sources=[{"name": "bad", "paths": [str(tmp_path / "bad.jsonl.gz")]}])
    assert main(["plan", "build", config, "--sample-mb", "1"]) == 1
    err = capsys.readouterr().err
    assert "failed on the half sample" in err and "unreadable" in err
