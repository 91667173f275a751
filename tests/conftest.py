"""Shared fixtures: paths to the bundled sample corpus and tokenizer, and a Beam test pipeline that
runs in-process (FnApiRunner: the DirectRunner would try to download Prism)."""
import logging
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_DATA = os.path.join(REPO, "examples", "data")
TOKENIZER_JSON = os.path.join(REPO, "examples", "tokenizers", "gpt-neox-20b.json")

logging.getLogger("apache_beam").setLevel(logging.ERROR)
# `tokenmill run` starts one worker process per core by default; tests run in-process unless they ask.
os.environ.setdefault("TOKENMILL_WORKERS", "1")


@pytest.fixture
def sample_data():
    return SAMPLE_DATA


@pytest.fixture
def tokenizer_path():
    return TOKENIZER_JSON


@pytest.fixture
def beam_pipeline():
    """Usage: `with beam_pipeline() as p: ...` runs a TestPipeline on the in-process runner."""
    from apache_beam.testing.test_pipeline import TestPipeline

    return lambda: TestPipeline(runner="FnApiRunner")
