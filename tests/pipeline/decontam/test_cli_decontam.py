"""`tokenmill run` with decontamination, end to end: a maths source, an evaluation set of which some
examples are in it (reformatted) and some are not; then verify and inspect."""
import gzip
import json

import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.cli import main

pytestmark = pytest.mark.slow


def test_run_removes_the_eval_examples_found_and_reports_them(tmp_path, capsys, sample_data, tokenizer_path):
    with gzip.open(f"{sample_data}/math/gsm8k_train.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(300), f)]
    train, held_out = rows[:200], rows[200:]
    (tmp_path / "math.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train))
    # the eval set: 4 questions of the training file (as an eval file would write them: question and
    # answer apart, other casing and spacing) and 6 questions that are not in it
    evals = []
    for r in train[10:14] + held_out[:6]:
        question, answer = r["text"].removeprefix("Question: ").split("\nAnswer: ")
        evals.append({"id": r["id"].replace("gsm8k_train", "eval"), "question": "  " + question.lower(), "answer": answer})
    (tmp_path / "eval.jsonl").write_text("".join(json.dumps(e) + "\n" for e in evals))
    cfg = {"output": str(tmp_path / "out"), "seq_len": 64, "tokenizer": {"path": tokenizer_path},
           "validation_fraction": 0.0, "shards": {"train": 2, "validation": 1},
           "sources": [{"name": "math", "paths": [str(tmp_path / "math.jsonl")], "id_field": "id"}],
           "dedup": {"exact": True},
           "decontaminate": {"ngram": 13, "sets": [{"name": "gsm8k_test", "paths": ["eval.jsonl"],
                                                     "text_fields": ["question", "answer"], "id_field": "id"}]}}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(cfg))

    assert main(["run", str(tmp_path / "run.yaml")]) == 0  # eval.jsonl: relative to the config's folder
    printed = capsys.readouterr().out
    assert "Decontamination" in printed and "contaminated:gsm8k_test" in printed
    report = json.load(open(tmp_path / "out" / "report.json"))
    gsm = report["decontamination"]["gsm8k_test"]
    assert (gsm["examples"], gsm["examples_found"], gsm["documents_removed"]) == (10, 4, 4)
    assert gsm["tokens_removed"] > 0 and report["totals"]["identity_holds"]
    assert report["sources"]["math"]["kept"] == 196
    rejects = pq.read_table(tmp_path / "out" / "rejects").to_pylist()
    assert sorted((r["id"], r["duplicate_of"]) for r in rejects if r["stage"] == "decontaminate") == [
        (f"gsm8k_train/{i}", f"eval/{i}") for i in range(10, 14)]
    matches = pq.read_table(tmp_path / "out" / "decontamination").to_pylist()
    assert sorted(m["document_id"] for m in matches) == [f"gsm8k_train/{i}" for i in range(10, 14)]
    assert "curate.decontaminate" in report["cpu_seconds"] and "curate" in report["cpu_seconds"]

    assert main(["verify", str(tmp_path / "out")]) == 0
    assert main(["inspect", str(tmp_path / "out")]) == 0
    assert "Decontamination" in capsys.readouterr().out

    assert main(["run", str(tmp_path / "run.yaml"), "--set", "decontaminate.sets.0.paths=[nowhere.jsonl]"]) == 2
    assert "decontaminate.sets.0.paths.0: no file matches" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "run.yaml"), "--set", "decontaminate.action=erase"]) == 2
    assert "decontaminate.action" in capsys.readouterr().err
