"""report.json through its model: a real run's report reads back and writes the same bytes; optional
fields stay absent when they do not apply; a refused run's report holds only what it knows."""
import json
import os

from pipeline.accounting import build_source_report
from pipeline.run_report import RunReport, SourceReport, SplitSummary, Totals


def test_a_written_report_reads_back_and_writes_the_same_bytes(report_run):
    with open(os.path.join(report_run.output, "report.json"), encoding="utf-8") as f:
        text = f.read()
    raw = json.loads(text)
    report = RunReport.from_json(raw)
    assert report.to_json() == raw
    assert json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n" == text  # as the commit step writes it
    assert all(isinstance(s, SourceReport) for s in report.sources.values())
    assert report.totals == Totals.of(report.sources)
    assert report.totals.read == sum(s.read for s in report.sources.values()) > 0
    assert isinstance(report.splits["train"], SplitSummary) and report.splits["train"].num_shards >= 1
    assert sum(row.documents for row in report.mix.values()) == sum(s.documents for s in report.splits.values())
    assert report.failed is None and "failed" not in raw


def test_line_counts_appear_only_where_repeated_line_removal_ran():
    events = [(("read", "web", "", ""), (3, 0)), (("kept", "web", "", ""), (3, 30)),
              (("lines_removed", "web", "dedup_lines", "repeated_line"), (4, 80)), (("read", "books", "", ""), (1, 0)),
              (("kept", "books", "", ""), (1, 9))]
    sources = build_source_report(events, ["web", "books"])
    web, books = sources["web"].to_json(), sources["books"].to_json()
    assert (web["lines_removed"], web["line_chars_removed"]) == (4, 80) and web["identity_holds"]
    assert "lines_removed" not in books and "line_chars_removed" not in books
    assert SourceReport.from_json(web) == sources["web"] and SourceReport.from_json(books) == sources["books"]


def test_a_refused_runs_report_holds_sources_totals_and_the_problems():
    sources = build_source_report([(("read", "web", "", ""), (2, 0)), (("unreadable", "web", "read", "x"), (2, 0))],
                                  ["web"])
    raw = RunReport(sources, Totals.of(sources), failed=["too many"]).to_json()
    assert set(raw) == {"sources", "totals", "failed"} and raw["totals"]["unreadable"] == 2


def test_counts_an_older_report_lacks_read_as_zero():
    report = RunReport.from_json({"sources": {"web": {"read": 5, "kept": 5}}})
    assert report.sources["web"].rejected == 0 and report.sources["web"].rejected_by_stage == {}
    assert report.totals.kept == 5 and report.totals.identity_holds and report.mix is None
