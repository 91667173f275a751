"""report.html in a real browser: headless Chromium renders the page of a small run, offline, and the
rendered DOM has every source and reason, its samples, histogram bars of non-zero height; the page
requests nothing outside the file."""
import os
import re
import time
from html.parser import HTMLParser

import pytest

from tests.browser import find_chromium, run_chromium


@pytest.fixture(scope="module")
def chromium():
    path, why = find_chromium()
    if path is None:
        pytest.skip(why)
    return path


class _Dom(HTMLParser):
    """What the test asserts on: reason blocks with their sample cards, source sections, histogram bars."""

    def __init__(self):
        super().__init__()
        self.blocks, self.sources, self.bars, self.hists = [], [], [], 0
        self._block = None
        self._depth = 0
        self._count_next = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "details":
            self._depth += 1
            if "reason-block" in classes:
                self._block = {"stage": a["data-stage"], "reason": a["data-reason"], "cards": 0, "claimed": None,
                               "depth": self._depth}
                self.blocks.append(self._block)
            if "source" in classes:
                self.sources.append(a["data-source"])
        if tag == "div" and "sample" in classes and self._block is not None:
            self._block["cards"] += 1
        if tag == "span" and "nsamples" in classes and self._block is not None:
            self._count_next = True
        if tag == "rect" and ("ha" in classes or "hb" in classes):
            self.bars.append(float(a["height"]))
        if tag == "svg" and "hist" in classes:
            self.hists += 1

    def handle_data(self, data):
        if self._count_next:
            self._block["claimed"] = int(data)
            self._count_next = False

    def handle_endtag(self, tag):
        if tag == "details":
            if self._block is not None and self._block["depth"] == self._depth:
                self._block = None
            self._depth -= 1


def test_the_report_renders_offline_in_chromium_with_every_source_reason_sample_and_bar(chromium, report_run, tmp_path):
    page = os.path.join(report_run.output, "report.html")
    with open(page, encoding="utf-8") as f:
        html = f.read()
    assert not re.search(r'\b(src|href)\s*=\s*["\']?\s*(https?:)?//', html, re.I)

    started = time.monotonic()
    dom, requested = run_chromium(chromium, page, "--dump-dom")
    elapsed = time.monotonic() - started
    assert requested == [], f"the page asked the network for {requested}"
    assert "<html" in dom[:40] and "tokenmill curation report" in dom
    parsed = _Dom()
    parsed.feed(dom)

    report = report_run.report
    assert sorted(parsed.sources) == sorted(report["sources"])
    expected = {(stage, reason) for s in report["sources"].values()
                for stage, reasons in s["rejected_by_stage"].items() for reason in reasons}
    expected |= {tuple(label.split(":", 1)) for s in report["sources"].values() for label in s["duplicates_by_reason"]}
    assert {(b["stage"], b["reason"]) for b in parsed.blocks} == expected
    for b in parsed.blocks:
        n = sum(len(report["samples"].get(src, {}).get(b["stage"], {}).get(b["reason"], [])) for src in report["sources"])
        assert b["cards"] == b["claimed"] == n > 0, b
    assert parsed.hists >= 4 and len(parsed.bars) > 20 and min(parsed.bars) > 0
    assert elapsed < 60


def test_a_page_that_asks_the_network_is_caught(chromium, tmp_path):
    page = tmp_path / "leaky.html"
    page.write_text('<html><body><img src="http://example.com/pixel.png">text</body></html>')
    _, requested = run_chromium(chromium, str(page), "--dump-dom")
    assert requested == ["http://example.com/pixel.png"]


def test_a_screenshot_of_the_report_is_not_blank(chromium, report_run, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    png = tmp_path / "report.png"
    run_chromium(chromium, os.path.join(report_run.output, "report.html"), f"--screenshot={png}", "--window-size=1200,1600")
    image = Image.open(png).convert("L")
    assert image.size == (1200, 1600)
    low, high = image.getextrema()
    assert high - low > 100 and len(set(image.resize((60, 80)).getdata())) > 20
