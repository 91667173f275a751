"""Decontamination through the real passes (tests.pipeline.stage_runner): which documents are dropped or
redacted, what rejects/, report.json and decontamination/*.parquet say, and where the stage sits (after
exact dedup, before repeated-line removal)."""
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.config import build_config
from pipeline.document import Document
from pipeline.run import RunFailed, run
from tests.conftest import TOKENIZER_JSON
from tests.pipeline.decontam.test_matching import FILLER, OTHER, QUESTION
from tests.pipeline.stage_runner import run_documents

TRIVIA = "Which planet in our solar system has the most moons orbiting it today"  # 13 words


def eval_sets(tmp_path):
    (tmp_path / "gsm8k_test.jsonl").write_text(
        json.dumps({"id": "gsm-1", "question": QUESTION, "answer": "72"}) + "\n"
        + json.dumps({"id": "gsm-2", "question": OTHER, "answer": "3"}) + "\n"
        + json.dumps({"id": "gsm-3", "question": "How many?", "answer": "5"}) + "\n")
    pq.write_table(pa.Table.from_pylist([{"question": TRIVIA, "choices": ["Saturn", "Mars"]}]),
                   str(tmp_path / "trivia.parquet"))
    return [{"name": "gsm8k_test", "paths": [str(tmp_path / "gsm8k_test.jsonl")], "text_fields": ["question", "answer"],
             "id_field": "id"},
            {"name": "trivia", "paths": [str(tmp_path / "*.parquet")], "format": "parquet",
             "text_fields": ["question", "choices"]}]


def documents():
    clean = [Document(f"clean-{i}", "web", f"Clean page {i}. " + FILLER * 4) for i in range(4)]
    return clean + [
        Document("web-q1", "web", FILLER * 2 + QUESTION.upper() + " " + FILLER),
        Document("web-q1-dup", "web", (FILLER * 2 + QUESTION.upper() + " " + FILLER).lower()),  # exact dup of web-q1
        Document("math-both", "math", "Worked examples. " + OTHER + "\n" + TRIVIA + "? Saturn. " + FILLER * 2),
        Document("math-clean", "math", "How many apples are left? " + FILLER * 3),
    ] + [Document(f"line-{i}", "forum", f"Post {i} says hello to everyone here today.\n{QUESTION}\n" + FILLER)
         for i in range(8)]


@pytest.fixture(scope="module")
def dropped(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("decontam-drop")
    return run_documents(documents(), tmp, dedup={"exact": True, "lines": {"max_occurrences": 6}},
                         decontaminate={"sets": eval_sets(tmp)})


def test_contaminated_documents_are_rejected_naming_the_set_and_the_example(dropped):
    decontaminated = [r for r in dropped.rejected if r[1] == "decontaminate"]
    assert decontaminated == sorted(
        [("web-q1", "decontaminate", "contaminated:gsm8k_test", "gsm-1"),
         ("math-both", "decontaminate", "contaminated:gsm8k_test", "gsm-2")]
        + [(f"line-{i}", "decontaminate", "contaminated:gsm8k_test", "gsm-1") for i in range(8)])
    assert set(dropped.kept) == {"clean-0", "clean-1", "clean-2", "clean-3", "math-clean"}


def test_exact_duplicates_are_removed_before_and_repeated_lines_after_decontamination(dropped):
    # web-q1-dup is a duplicate of web-q1, not a second contaminated document; the forum posts' shared
    # line (the example) would have been cut by line dedup had it run first, leaving nothing to find
    assert ("web-q1-dup", "dedup_exact", "exact_duplicate", "web-q1") in dropped.rejected
    assert dropped.report["decontamination"]["gsm8k_test"]["documents_matched_by_source"] == {"web": 1, "math": 1,
                                                                                             "forum": 8}


def test_report_section_per_set_and_the_accounting_identity(dropped):
    report = dropped.report
    gsm, trivia = report["decontamination"]["gsm8k_test"], report["decontamination"]["trivia"]
    assert (gsm["examples"], gsm["examples_indexed"], gsm["examples_too_short"], gsm["examples_found"]) == (3, 2, 1, 2)
    assert (gsm["documents_matched"], gsm["documents_removed"], gsm["documents_redacted"]) == (10, 10, 0)
    rejected_tokens = sum(s["rejected_tokens_by_stage"].get("decontaminate", {}).get("contaminated:gsm8k_test", 0)
                          for s in report["sources"].values())
    assert gsm["tokens_removed"] == rejected_tokens > 0
    # math-both holds a trivia example too: found and matched, but its removal counts under gsm8k_test only
    assert (trivia["examples"], trivia["examples_found"], trivia["documents_matched"], trivia["documents_removed"]) == (1, 1, 1, 0)
    assert report["totals"]["identity_holds"]
    assert report["sources"]["forum"]["rejected_by_reason"] == {"contaminated:gsm8k_test": 8}


def test_matches_parquet_lists_every_example_found_and_is_a_file_of_the_run(dropped):
    folder = os.path.join(dropped.output, "decontamination")
    rows = pq.read_table(folder).to_pylist()
    pairs = sorted((r["document_id"], r["set"], r["example_id"], r["action"]) for r in rows)
    assert pairs == sorted([("web-q1", "gsm8k_test", "gsm-1", "dropped"), ("math-both", "gsm8k_test", "gsm-2", "dropped"),
                            ("math-both", "trivia", "trivia/trivia.parquet#0", "dropped")]
                           + [(f"line-{i}", "gsm8k_test", "gsm-1", "dropped") for i in range(8)])
    web = next(r for r in rows if r["document_id"] == "web-q1")
    assert web["matched_text"] == QUESTION.upper().rstrip("?") and web["matched_ngrams"] == len(QUESTION.split()) - 12
    files = json.load(open(os.path.join(dropped.output, ".tokenmill-files.json")))["files"]
    assert sorted(f for f in files if f.startswith("decontamination/")) == sorted(
        f"decontamination/{n}" for n in os.listdir(folder))
    assert not os.path.exists(os.path.join(dropped.output, ".tmp"))


def test_redact_keeps_the_document_without_the_example(tmp_path):
    docs = [Document("long", "web", FILLER * 3 + QUESTION + "\n\n" + FILLER * 3),
            Document("all-of-it", "web", QUESTION), Document("clean", "web", FILLER * 5)]
    out = run_documents(docs, tmp_path, decontaminate={"action": "redact", "margin": 0, "sets": eval_sets(tmp_path)[:1]})
    assert out.kept["long"]["text"] == (FILLER * 3).rstrip() + "\n\n" + FILLER * 3
    assert json.loads(out.kept["long"]["signals"]) == {"decontaminated": "gsm8k_test",
                                                        "decontaminated_words": len(QUESTION.split())}
    assert out.kept["clean"]["signals"] is None
    assert [r[:3] for r in out.rejected] == [("all-of-it", "decontaminate", "contaminated:gsm8k_test")]
    gsm = out.report["decontamination"]["gsm8k_test"]
    assert (gsm["documents_matched"], gsm["documents_removed"], gsm["documents_redacted"]) == (2, 1, 1)
    assert gsm["tokens_removed"] > out.report["sources"]["web"]["removed_tokens_by_reason"]["contaminated:gsm8k_test"]
    actions = sorted((r["document_id"], r["action"]) for r in pq.read_table(os.path.join(out.output, "decontamination")).to_pylist())
    assert actions == [("all-of-it", "dropped"), ("long", "redacted")]


def test_an_unreadable_eval_record_fails_the_run_naming_the_set(tmp_path):
    (tmp_path / "docs.jsonl").write_text(json.dumps({"text": FILLER * 5}) + "\n")
    (tmp_path / "bad.jsonl").write_text(json.dumps({"question": QUESTION}) + "\n{oops\n")
    cfg = build_config({"output": str(tmp_path / "out"), "seq_len": 16, "tokenizer": {"path": TOKENIZER_JSON},
                        "sources": [{"name": "web", "paths": [str(tmp_path / "docs.jsonl")]}],
                        "decontaminate": {"sets": [{"name": "bad_set", "paths": [str(tmp_path / "bad.jsonl")],
                                                    "text_fields": ["question"]}]}})
    with pytest.raises(RunFailed, match=r"decontaminate set 'bad_set': .*bad.jsonl at \d+: malformed JSON"):
        run(cfg, [])
    assert not (tmp_path / "out" / "manifest.json").exists()
