"""report.json's samples and distributions through the real passes (stage_runner): which documents are
sampled, what their excerpts and evidence say, near duplicates next to their survivors, histograms that
count every document, and the page rendered from it."""
import json
import os

import pytest

from pipeline.distributions import MEASURES
from pipeline.document import STAGE_DEDUP_EXACT, STAGE_DEDUP_NEAR
from pipeline.report_backfill import backfill_samples
from pipeline.report_parts import KEPT, sample_hash
from tests.pipeline.report_run import EXCERPT, K, KEPT_K, SEED, _corpus
from tests.pipeline.stage_runner import run_documents


@pytest.fixture
def run(report_run):
    return report_run


def test_every_removal_reason_has_the_k_documents_with_the_smallest_hashes(run):
    samples = run.report["samples"]
    by_key: dict[tuple, list[str]] = {}
    for doc_id, stage, reason, _ in run.rejected:
        source = "forum" if doc_id.startswith(("spam", "tiny", "chat")) else "books"
        by_key.setdefault((source, stage, reason), []).append(doc_id)
    assert {(s, "filter:gopher_repetition") for s in ("forum",)} <= {k[:2] for k in by_key}
    assert (("books", STAGE_DEDUP_NEAR, "near_duplicate") in by_key and ("books", STAGE_DEDUP_EXACT, "exact_duplicate") in by_key
            and ("forum", "filter:doc_length", "too_few_chars") in by_key)
    for (source, stage, reason), ids in by_key.items():
        chosen = [s["id"] for s in samples[source][stage][reason]]
        assert chosen == sorted(ids, key=lambda i: (sample_hash(SEED, i), i))[:K], (source, stage, reason)
    kept_ids = {i: row["source"] for i, row in run.kept.items()}
    for source in ("books", "forum"):
        chosen = [s["id"] for s in samples[source][KEPT][KEPT]]
        ids = [i for i, s in kept_ids.items() if s == source]
        assert chosen == sorted(ids, key=lambda i: (sample_hash(SEED, i), i))[:KEPT_K]


def test_excerpts_are_cut_slices_of_the_text_with_the_evidence_marked(run):
    texts = {d.id: d.text for d in _corpus()}
    for stages in run.report["samples"].values():
        for reasons in stages.values():
            for entries in reasons.values():
                for s in entries:
                    full = texts[s["id"]]
                    assert s["chars"] == len(full) and len(s["text"]) <= EXCERPT
                    assert s["text"] == full[s["start"]:s["start"] + len(s["text"])]
    spam = run.report["samples"]["forum"]["filter:gopher_repetition"]
    marked = [s for entries in spam.values() for s in entries]
    assert marked and all(s["marks"] and "gram" in s["note"] for s in marked)
    for s in marked:
        for start, end in s["marks"]:
            assert s["text"][start:end].split() and set(s["text"][start:end].split()) <= {"buy", "cheap", "pills", "now"}


def test_a_near_duplicate_sample_carries_its_survivor(run):
    near = run.report["samples"]["books"][STAGE_DEDUP_NEAR]["near_duplicate"]
    kept_texts = {i: row["text"] for i, row in run.kept.items()}
    assert near
    for s in near:
        survivor = s["survivor"]
        assert survivor["id"] == s["duplicate_of"] and survivor["id"] in kept_texts
        assert kept_texts[survivor["id"]].startswith(survivor["text"])
    exact = run.report["samples"]["books"][STAGE_DEDUP_EXACT]["exact_duplicate"]
    assert [s["duplicate_of"] for s in exact] == [_corpus()[2].id]


def test_histograms_count_every_document_before_and_the_kept_ones_after(run):
    dist = run.report["distributions"]
    for source, stats in run.report["sources"].items():
        chars = dist["sources"][source]["chars"]
        assert sum(chars["before"]) == stats["read"] - stats["unreadable"]
        assert sum(chars["after"]) == stats["kept"] == sum(dist["sources"][source]["tokens"]["after"])
        bins = MEASURES["chars"].bins
        expected = [0] * len(bins)
        for row in run.kept.values():
            if row["source"] == source:
                expected[bins.index(len(row["text"]))] += 1
        assert chars["after"] == expected
    # the Gopher measures of the documents the filter saw, with the thresholds the filter compares them to
    forum = dist["sources"]["forum"]
    assert sum(forum["gopher_top_2_gram_frac"]["before"]) == sum(d.source == "forum" and len(d.text) >= 40 for d in _corpus())
    assert {"value": 0.2, "name": "gopher_repetition.top_n_grams[2]"} in dist["thresholds"]["forum"]["gopher_top_2_gram_frac"]
    assert {"value": 40.0, "name": "doc_length.min_chars"} in dist["thresholds"]["forum"]["chars"]
    assert dist["measures"]["chars"]["scale"] == "log"


def test_report_json_keeps_its_keys_and_adds_the_run_overview(run):
    report = run.report
    assert {"sources", "totals", "splits", "mix", "config", "shuffle", "wall_seconds"} <= set(report)
    assert report["stage_order"]["forum"] == ["read", "dedup_exact", "filter:doc_length", "filter:gopher_repetition", "dedup_near"]
    assert len(report["config_sha256"]) == 64 and report["splits"]["train"]["num_shards"] == 1
    assert report["shuffle"]["report_parts"] > 0
    assert report["report_settings"]["samples"] == K
    with open(os.path.join(run.output, "report.json")) as f:
        assert json.load(f)["samples"] == report["samples"]


def test_the_page_names_every_source_and_reason_and_quotes_text_escaped(run):
    with open(os.path.join(run.output, "report.html"), encoding="utf-8") as f:
        page = f.read()
    for source, stats in run.report["sources"].items():
        assert f'data-source="{source}"' in page
        for stage, reasons in stats["rejected_by_stage"].items():
            for reason in reasons:
                assert f'data-stage="{stage}" data-reason="{reason}"' in page
    assert "&lt;b&gt;&amp;amp;" in page and "<b>&amp;" not in page  # the chat documents' markup, as text
    assert "characters after not shown" in page


def test_inspect_backfills_the_same_samples_from_rejects_and_curated(run):
    from apache_beam.io.filesystems import FileSystems

    def list_names(folder):
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []

    backfilled = backfill_samples(run.output, os.path.join, list_names, FileSystems.open, SEED, K, KEPT_K, EXCERPT)
    ids = lambda samples: {(src, st, r): [s["id"] for s in e] for src, x in samples.items() for st, y in x.items() for r, e in y.items()}
    assert ids(backfilled) == ids(run.report["samples"])
    near = backfilled["books"][STAGE_DEDUP_NEAR]["near_duplicate"]
    assert all(s["survivor"]["id"] == s["duplicate_of"] for s in near)


def test_no_samples_when_asked_for_none_but_still_distributions(tmp_path):
    docs = _corpus()[:12]
    out = run_documents(docs, tmp_path, seed=SEED, dedup={"near": True}, report={"samples": 0, "kept_samples": 0})
    assert out.report["samples"] == {} and out.report["distributions"]["sources"]["books"]["chars"]["before"]
    assert len(out.kept) == len(docs) - 4  # the near copies still go


def test_every_report_json_and_manifest_key_of_a_real_run_is_in_docs_format_md(report_run):
    """docs/format.md names every top-level report.json key, every per-source count and every manifest
    field a run writes (a new key cannot ship undocumented)."""
    import json
    import os

    from tests.test_format_doc import _section

    report_doc, manifest_doc = _section("report.json"), _section("manifest.json")
    with open(os.path.join(report_run.output, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    with open(os.path.join(report_run.output, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    source = next(iter(report["sources"].values()))
    assert [k for k in report if f"`{k}" not in report_doc] == []
    assert [k for k in source if k not in report_doc] == []
    shard = manifest["splits"]["train"]["shards"][0]
    missing = [k for k in manifest if f"`{k}" not in manifest_doc]
    missing += [k for k in manifest["tokenizer"] if f"`tokenizer.{k}`" not in manifest_doc]
    missing += [k for k in shard if f"{k}`" not in manifest_doc]
    missing += [k for row in manifest["sources"].values() for k in row if f"{k}`" not in manifest_doc]
    assert missing == []
