"""What a built dataset can train: pipeline.capacity's arithmetic, and `tokenmill inspect` showing it."""
import json
import os

from pipeline.capacity import capacity_text, dataset_capacity, manifest_capacity
from pipeline.cli import main
from pipeline.dataset.manifest import Manifest


def test_capacity_is_twenty_tokens_per_parameter():
    cap = dataset_capacity(2_000_000_000, {"web": 1_500_000_000, "code": 520_000_000})
    assert cap["optimal_parameters"] == 100_000_000 and cap["optimal_parameters_4_epochs"] == 400_000_000
    assert cap["tokens_per_source"] == {"code": 520_000_000, "web": 1_500_000_000}
    text = capacity_text(cap)
    assert "2B train tokens: Chinchilla-optimal for a 100M-parameter model" in text
    assert "up to 400M parameters at 4 epochs" in text and "code 520M (25.7%), web 1.5B (74.3%)" in text


def test_inspect_answers_what_can_i_train(dataset_64, capsys):
    assert main(["inspect", dataset_64, "--rows", "0"]) == 0
    out = capsys.readouterr().out
    with open(os.path.join(dataset_64, "manifest.json")) as f:
        cap = manifest_capacity(Manifest.from_json(json.load(f)))
    assert "What can I train on this?" in out and capacity_text(cap) in out
    assert cap["optimal_parameters"] == cap["train_tokens"] // 20 > 0
