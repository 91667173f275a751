"""The accounting identity and the printed summary, from counted events (pure)."""
from pipeline.accounting import build_source_report, error_fraction_problems
from pipeline.dataset.manifest import Manifest, MixRow, SplitEntry, TokenizerEntry
from pipeline.run_report import RunReport, Totals
from pipeline.summary import lines_table, reasons_table, run_summary

EVENTS = [
    (("read", "web", "", ""), (10, 0)),
    (("kept", "web", "", ""), (4, 900)),
    (("rejected", "web", "filter:gopher_repetition", "dup_line_frac"), (2, 300)),
    (("rejected", "web", "filter:fineweb_quality", "line_punct_ratio"), (1, 50)),
    (("rejected", "web", "filter:c4_quality", "dup_line_frac"), (1, 20)),  # same reason, other filter
    (("duplicates", "web", "dedup_exact", "exact_duplicate"), (1, 100)),
    (("unreadable", "web", "read", "unreadable"), (1, 0)),
    (("lines_removed", "web", "dedup_lines", "repeated_line"), (37, 1_200)),
    (("read", "books", "", ""), (3, 0)),
    (("kept", "books", "", ""), (2, 500)),
]


def test_identity_reasons_stages_tokens_and_lines_per_source():
    sources = build_source_report(EVENTS, ["web", "books", "empty"])
    web = sources["web"]
    assert (web.read, web.kept, web.rejected, web.duplicates, web.unreadable) == (10, 4, 4, 1, 1)
    assert web.identity_holds and web.kept_tokens == 900
    assert web.rejected_by_reason == {"dup_line_frac": 3, "line_punct_ratio": 1}
    assert web.rejected_by_stage == {"filter:gopher_repetition": {"dup_line_frac": 2},
                                     "filter:fineweb_quality": {"line_punct_ratio": 1},
                                     "filter:c4_quality": {"dup_line_frac": 1}}
    assert web.duplicates_by_reason == {"dedup_exact:exact_duplicate": 1}
    assert web.removed_tokens_by_reason == {"dup_line_frac": 320, "line_punct_ratio": 50,
                                            "dedup_exact:exact_duplicate": 100}
    assert web.rejected_tokens_by_stage["filter:gopher_repetition"] == {"dup_line_frac": 300}
    assert web.rejected_tokens_by_stage["filter:c4_quality"] == {"dup_line_frac": 20}
    assert (web.lines_removed, web.line_chars_removed) == (37, 1_200)  # lines are not documents
    assert "lines_removed" not in sources["books"].to_json()
    assert sources["books"].rejected == 0 and not sources["books"].identity_holds  # 3 read, 2 kept: one lost
    assert sources["empty"].read == 0 and sources["empty"].identity_holds
    assert Totals.of(sources).read == 13 and not Totals.of(sources).identity_holds


def test_error_fraction_names_the_source_over_the_limit():
    sources = build_source_report(EVENTS, ["web", "books"])
    assert error_fraction_problems(sources, 0.1) == []
    [problem] = error_fraction_problems(sources, 0.05)
    assert "'web'" in problem and "1 of 10" in problem and "errors/" in problem


def test_summary_tables_show_stage_reason_documents_and_tokens():
    sources = build_source_report(EVENTS, ["web", "books"])
    table = reasons_table(sources).splitlines()
    assert table[0].split() == ["source", "stage", "reason", "documents", "tokens"]
    rows = [line.split() for line in table[2:]]
    assert rows[0] == ["web", "filter:gopher_repetition", "dup_line_frac", "2", "300"]  # its own tokens
    assert ["web", "filter:c4_quality", "dup_line_frac", "1", "20"] in rows
    assert ["web", "dedup_exact", "exact_duplicate", "1", "100"] in rows and len(rows) == 4
    assert lines_table(sources).splitlines()[2].split() == ["web", "37", "1,200"]
    assert lines_table(build_source_report(EVENTS[-2:], ["books"])) is None
    assert reasons_table(build_source_report(EVENTS[-2:], ["books"])) == "(nothing removed)"
    text = run_summary(RunReport(sources, Totals.of(sources)), one_split_manifest())
    assert "Repeated lines cut from documents" in text and "identity" in text and "BROKEN" in text


def one_split_manifest() -> Manifest:
    return Manifest(seq_len=4, dtype="uint16", tokenizer=TokenizerEntry("0" * 64, 100, 0), seed=0,
                    splits={"train": SplitEntry(shards=(), rows=2, tokens=10, documents=2)},
                    sources={"web": MixRow(documents=4, tokens=900, target_fraction=1.0, realized_fraction=1.0,
                                           repeats=1.0)})
