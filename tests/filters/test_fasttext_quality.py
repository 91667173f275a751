"""train-quality trains a real fastText classifier on the sample corpus; the filter scores with it."""
import gzip
import json
import os

import pytest

from filters.fasttext_quality import FastTextQuality
from filters.train_quality import binary_scores, is_held_out, main
from tests.filters.conftest import REPO, doc

DATA = os.path.join(REPO, "examples", "data")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("quality") / "model.bin"
    code = main(["--positive", f"{DATA}/books/speeches.jsonl.gz", "--negative", f"{DATA}/forum/*.jsonl.gz",
                 "--output", str(out), "--epoch", "5", "--dim", "16"])
    return code, out


def test_trains_and_reports_held_out_precision_recall(trained, capsys):
    code, out = trained
    assert code == 0 and out.is_file()


def test_report_is_printed(tmp_path, capsys):
    code = main(["--positive", f"{DATA}/books/speeches.jsonl.gz", "--negative", f"{DATA}/forum/nps_chat.jsonl.gz",
                 f"{DATA}/multilingual/fortunes_ru_sample.jsonl.gz", "--output", str(tmp_path / "m.bin"),
                 "--epoch", "2", "--dim", "8", "--holdout", "0.3"])
    printed = capsys.readouterr().out
    assert code == 0 and "precision" in printed and "recall" in printed and "F1" in printed


def test_filter_keeps_book_like_text_and_drops_chat(trained):
    _, model = trained
    quality = FastTextQuality(model=str(model), threshold=0.5)
    with gzip.open(f"{DATA}/books/speeches.jsonl.gz", "rt") as f:
        speech = json.loads(next(f))["text"]
    kept = quality(doc(speech))
    assert kept.keep and kept.signals["quality_score"] >= 0.5
    dropped = quality(doc("lol u there?? brb\nJOIN\nPART\nhiya all"))
    assert (dropped.keep, dropped.reason) == (False, "low_quality_score")
    assert dropped.signals["quality_score"] == dropped.score < 0.5


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main([]) == 2
    assert main(["--positive", "/no/such/*.jsonl", "--negative", "/no/other.jsonl", "--output", str(tmp_path / "m")]) == 2
    assert main(["--positive", f"{DATA}/books/speeches.jsonl.gz", "--negative", f"{DATA}/forum/webtext.jsonl.gz",
                 "--output", str(tmp_path / "m"), "--holdout", "1.5"]) == 2
    assert "no file matches" in capsys.readouterr().err


def test_unknown_label_and_missing_model(trained):
    _, model = trained
    with pytest.raises(ValueError, match="label"):
        FastTextQuality(model=str(model), label="nope").setup()
    with pytest.raises(FileNotFoundError):
        FastTextQuality(model="/no/model.bin")


def test_held_out_split_is_a_pure_function_of_seed_and_key():
    keys = [f"f.jsonl:{i}" for i in range(2000)]
    held = [k for k in keys if is_held_out(k, 7, 0.2)]
    assert held == [k for k in keys if is_held_out(k, 7, 0.2)]
    assert 300 < len(held) < 500 and held != [k for k in keys if is_held_out(k, 8, 0.2)]


def test_binary_scores():
    s = binary_scores([True, True, False, False], [True, False, True, False])
    assert (s.precision, s.recall, s.f1, s.support) == (0.5, 0.5, 0.5, 4)
