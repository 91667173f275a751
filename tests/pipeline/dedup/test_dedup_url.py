"""URL deduplication on real pages with URL variants, through the real pipeline (every pass, in-process
runner): the scan pass writes URL keys, DecideDuplicates picks one survivor per normalized URL, the curate
pass rejects the others."""
import dataclasses

import pytest

from pipeline.document import STAGE_DEDUP_URL, Document
from tests.pipeline.stage_runner import run_documents

from .real_docs import pydocs


def _variants():
    pages = pydocs()[:12]
    a, b, c = pages[0], pages[1], pages[2]
    host = a.url.split("/")[2]
    same = pydocs()[20]
    variants = [
        # a: a longer copy under an equivalent URL survives, the shorter original goes
        dataclasses.replace(a, id="a-longer", text=a.text + "\nEdited footer.",
                            url=a.url.replace(host, host.upper(), 1) + "?utm_source=feed#top"),
        # b: equal lengths, the smaller id survives
        dataclasses.replace(b, id="0-b-copy", url=b.url.replace("https://", "HTTPS://") + "?fbclid=x"),
        # c: a different query parameter is a different page
        dataclasses.replace(c, id="c-page-2", url=c.url + "?page=2"),
        Document("no-url-1", "web", "A document without a URL."),
        Document("no-url-2", "web", "A document without a URL.", url="  "),
        # three identical records (same id, text and URL): exactly one is kept
        same, same, same,
    ]
    expected_rejects = [(a.id, "a-longer"), (b.id, "0-b-copy"), (same.id, same.id), (same.id, same.id)]
    return pages + variants, expected_rejects


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """The same documents in input order and reversed."""
    docs, expected_rejects = _variants()
    tmp = tmp_path_factory.mktemp("dedup-url")
    runs = [run_documents(ordering, tmp, name=name, dedup={"url": True})
            for name, ordering in (("in-order", docs), ("reversed", docs[::-1]))]
    return docs, expected_rejects, runs


def test_one_survivor_per_normalized_url_whatever_the_order(outcomes):
    docs, expected_rejects, runs = outcomes
    removed = {doc_id for doc_id, survivor in expected_rejects if doc_id != survivor}  # one of the triplet stays
    expected_kept = {d.id: (d.text, d.url) for d in docs if d.id not in removed}
    for run in runs:
        assert {i: (row["text"], row["url"]) for i, row in run.kept.items()} == expected_kept
        assert run.rejected == sorted((i, STAGE_DEDUP_URL, "url_duplicate", s) for i, s in expected_rejects)
    assert runs[0].kept == runs[1].kept and runs[0].rejected == runs[1].rejected


def test_counts_in_the_report_and_counters(outcomes):
    docs, _, runs = outcomes
    for run in runs:
        web = run.report["sources"]["web"]
        assert (web["read"], web["kept"], web["duplicates"]) == (len(docs), len(docs) - 4, 4)
        assert web["duplicates_by_reason"] == {"dedup_url:url_duplicate": 4}
        assert run.counters["dedup_url/duplicates"] == 4


def test_identical_documents_under_one_url_keep_exactly_one(outcomes):
    docs, _, runs = outcomes
    same = pydocs()[20]
    for run in runs:
        assert run.kept[same.id]["text"] == same.text
        assert [r for r in run.rejected if r[0] == same.id] == [(same.id, STAGE_DEDUP_URL, "url_duplicate", same.id)] * 2


def test_documents_without_url_are_kept(outcomes):
    _, _, runs = outcomes
    for run in runs:
        assert run.kept["no-url-1"]["url"] is None and run.kept["no-url-2"]["url"] == "  "


def test_documents_without_url_are_counted(outcomes):
    """DedupUrl counted them in dedup_url/documents_without_url; the scan pass does not (yet)."""
    _, _, runs = outcomes
    for run in runs:
        assert run.counters.get("dedup_url/documents_without_url") == 2
