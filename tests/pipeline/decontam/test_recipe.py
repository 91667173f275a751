"""examples/decontaminate.yaml is valid and its eval set reads as the examples it promises."""
import os

from pipeline.config import load_config
from pipeline.transforms.decontam import build_eval_index
from tests.conftest import REPO


def test_the_decontamination_recipe_and_its_eval_set():
    cfg = load_config(os.path.join(REPO, "examples", "decontaminate.yaml"))
    assert cfg.decontaminate.sets[0].paths[0] == os.path.join(REPO, "examples", "evals", "gsm8k_demo.jsonl")
    index = build_eval_index(cfg.decontaminate)
    stats = index.stats["gsm8k_demo"]
    assert (stats.examples, stats.indexed, stats.too_short) == (46, 46, 0)
    assert index.example_ids[0].startswith("demo/") and "demo/new-3" in index.example_ids
