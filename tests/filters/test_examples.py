"""The example recipes load and validate with the real config code, every filter included."""
import os

import pytest

from filters.registry import canonical_name
from pipeline.config import load_config
from tests.filters.conftest import REPO


@pytest.mark.parametrize("name", ["fineweb_en.yaml", "multilingual.yaml"])
def test_example_recipe_loads(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # paths must resolve against the examples/ folder
    cfg = load_config(os.path.join(REPO, "examples", name))
    for source in cfg.sources:
        assert all(os.path.isabs(p) for p in source.paths)
        assert cfg.filters_for(source), source.name


def test_fineweb_recipe_has_the_fineweb_chain_in_order():
    cfg = load_config(os.path.join(REPO, "examples", "fineweb_en.yaml"))
    names = [canonical_name(f["name"]) for f in cfg.filters]
    assert names == ["url_blocklist_v1", "language_v1", "gopher_repetition_v1", "gopher_quality_v1", "c4_quality_v1",
                     "fineweb_quality_v1", "pii_v1"]
    assert (cfg.dedup.exact, cfg.dedup.url, bool(cfg.dedup.near), bool(cfg.dedup.lines)) == (True, True, True, True)
