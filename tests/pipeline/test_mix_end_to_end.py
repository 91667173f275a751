"""A four-source weighted run on the sample corpus, its realized mix counted independently by decoding
the shards back to input documents."""
import collections
import gzip
import json
import os
import unicodedata

import pytest
import yaml
from tokenizers import Tokenizer

from pipeline.cli import main
from tests.pipeline.shard_segments import eos_segments

pytestmark = pytest.mark.slow
WEIGHTS = {"web": 0.5, "math": 0.25, "forum": 0.17, "multilingual": 0.08}


def config(tmp_path, sample_data, tokenizer_path, **mix):
    cfg = {
        "output": str(tmp_path / "out"), "seed": 5, "seq_len": 512, "tokenizer": {"path": tokenizer_path},
        "validation_fraction": 0.02, "shards": {"train": 4, "validation": 1},
        "sources": [{"name": n, "paths": [os.path.join(sample_data, n, "*.jsonl.gz")], "weight": w, "id_field": "id"}
                    for n, w in WEIGHTS.items()],
        "mix": mix,
    }
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def owners(sample_data):
    owner = {}
    for name in WEIGHTS:
        folder = os.path.join(sample_data, name)
        for f in os.listdir(folder):
            if f.endswith(".jsonl.gz"):
                for line in gzip.open(os.path.join(folder, f), "rt", encoding="utf-8"):
                    owner[unicodedata.normalize("NFC", json.loads(line)["text"])] = name
    return owner


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    from tests.conftest import SAMPLE_DATA, TOKENIZER_JSON

    tmp = tmp_path_factory.mktemp("mix")
    assert main(["run", str(config(tmp, SAMPLE_DATA, TOKENIZER_JSON))]) == 0
    return tmp / "out"


def decoded_segments(out, tokenizer_path):
    """split -> [(shard, text, tokens with EOS)] for every document copy in the shards."""
    manifest, found = eos_segments(out)
    tok = Tokenizer.from_file(tokenizer_path)
    by_split = {split: [(path, unicodedata.normalize("NFC", tok.decode(tokens, skip_special_tokens=False)),
                         len(tokens) + 1) for path, tokens in segs] for split, segs in found.items()}
    return manifest, by_split


def test_realized_shares_decoded_from_the_shards_are_within_half_a_point(mixed, sample_data, tokenizer_path):
    owner = owners(sample_data)
    manifest, by_split = decoded_segments(mixed, tokenizer_path)
    tokens = collections.Counter()
    for split in by_split.values():
        for _, text, n in split:
            tokens[owner[text]] += n
    total = sum(tokens.values())
    for name, target in WEIGHTS.items():
        assert abs(tokens[name] / total - target) < 0.005, (name, tokens[name] / total)
        assert abs(manifest["sources"][name]["realized_fraction"] - target) < 0.005
        assert manifest["sources"][name]["target_fraction"] == pytest.approx(target)
    assert manifest["sources"]["web"]["repeats"] > 3  # web is small: it must repeat to reach half


def test_copies_are_never_adjacent_and_never_cross_the_split(mixed, tokenizer_path):
    _, by_split = decoded_segments(mixed, tokenizer_path)
    for split in by_split.values():
        for (shard_a, a, _), (shard_b, b, _) in zip(split, split[1:]):
            assert not (shard_a == shard_b and a == b), "two copies of a document side by side"
    assert not {t for _, t, _ in by_split["train"]} & {t for _, t, _ in by_split["validation"]}


def test_inspect_prints_the_mix_table(mixed, capsys):
    assert main(["inspect", str(mixed)]) == 0
    out = capsys.readouterr().out
    assert "target" in out and "realized" in out and "0.5000" in out


def test_a_mix_the_data_cannot_meet_fails_naming_the_source(tmp_path, sample_data, tokenizer_path, capsys):
    path = config(tmp_path, sample_data, tokenizer_path)
    assert main(["run", str(path), "--set", "sources.0.max_repeats=1"]) == 1
    err = capsys.readouterr().err
    assert "web" in err and "run failed" in err
    assert not (tmp_path / "out" / "manifest.json").exists()
