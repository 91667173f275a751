"""report.json's decontamination section, from count events."""
from pipeline.accounting import build_source_report
from pipeline.decontam.report import decontamination_report

STATS = {"gsm8k": {"examples": 10, "indexed": 9, "too_short": 1, "ngrams": 500},
         "mmlu": {"examples": 4, "indexed": 4, "too_short": 0, "ngrams": 80}}
COUNTS = [
    (("read", "web", "", ""), (10, 0)),
    (("kept", "web", "", ""), (6, 700)),
    (("rejected", "web", "decontaminate", "contaminated:gsm8k"), (2, 150)),
    (("rejected", "web", "filter:x", "contaminated:gsm8k"), (1, 5)),  # another stage's reason: not counted
    (("rejected", "web", "decontaminate", "contaminated:mmlu"), (1, 40)),
    (("decontam_matched", "web", "decontaminate", "gsm8k"), (3, 0)),
    (("decontam_matched", "web", "decontaminate", "mmlu"), (2, 0)),
    (("decontam_matched", "math", "decontaminate", "gsm8k"), (1, 0)),
    (("decontam_redacted", "math", "decontaminate", "gsm8k"), (1, 12)),
    (("read", "math", "", ""), (1, 0)),
    (("kept", "math", "", ""), (1, 20)),
]


def test_per_set_counts():
    report = decontamination_report(COUNTS, STATS, {"gsm8k": 3})
    assert list(report) == ["gsm8k", "mmlu"]
    assert report["gsm8k"] == {"examples": 10, "examples_indexed": 9, "examples_too_short": 1, "ngrams": 500,
                               "examples_found": 3, "documents_matched": 4, "documents_removed": 2,
                               "documents_redacted": 1, "tokens_removed": 162,
                               "documents_matched_by_source": {"web": 3, "math": 1}}
    assert report["mmlu"]["examples_found"] == 0 and report["mmlu"]["documents_removed"] == 1
    assert report["mmlu"]["tokens_removed"] == 40


def test_decontamination_counts_keep_the_accounting_identity():
    sources = build_source_report(COUNTS, ["web", "math"])
    assert sources["web"].identity_holds and sources["math"].identity_holds
    assert sources["web"].rejected_by_reason["contaminated:gsm8k"] == 3
    assert sources["math"].kept == 1 and sources["math"].rejected == 0


def test_the_printed_summary_has_a_decontamination_table_and_counts_cpu_parts_once():
    from pipeline.run_report import RunReport, Totals
    from pipeline.summary import run_summary
    from tests.pipeline.test_accounting import one_split_manifest

    sources = build_source_report(COUNTS, ["web", "math"])
    manifest = one_split_manifest()
    report = RunReport(sources, Totals.of(sources), decontamination=decontamination_report(COUNTS, STATS, {"gsm8k": 3}),
                       cpu_seconds={"curate": 4.0, "curate.decontaminate": 1.0, "tokenize": 5.0})
    lines = run_summary(report, manifest).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Decontamination"))
    assert lines[start + 3].split() == ["gsm8k", "10", "9", "3", "4", "2", "1", "162"]
    assert lines[start + 4].split() == ["mmlu", "4", "4", "0", "2", "1", "0", "40"]
    assert next(line for line in lines if line.startswith("total")).split() == ["total", "9.0"]
    assert "Decontamination" not in run_summary(RunReport(sources, Totals.of(sources)), manifest)
