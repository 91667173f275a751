"""docs/report.png from a built dataset's report.html, as headless Chromium shows it: the top of the page
(the run at a glance), then the same page's block for one filter reason opened on its samples, then the
first row of distributions, stacked into one picture.

    python docs/report_png.py out/fineweb_en/report.html docs/report.png ["stage|reason" ...]
"""
from __future__ import annotations

import os
import re
import sys
import tempfile

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.browser import find_chromium, run_chromium  # noqa: E402

WIDTH = 1280


def _shot(chromium: str, html: str, height: int, folder: str, name: str) -> Image.Image:
    page, png = os.path.join(folder, name + ".html"), os.path.join(folder, name + ".png")
    with open(page, "w", encoding="utf-8") as f:
        f.write(html)
    run_chromium(chromium, page, f"--screenshot={png}", f"--window-size={WIDTH},{height}")
    return Image.open(png).convert("RGB")


def _block(page: str, stage: str, reason: str) -> str:
    start = page.index(f'<details class="reason-block" data-stage="{stage}" data-reason="{reason}">')
    end = page.index("</details>", page.index("</summary>", start)) + len("</details>")
    # a block holds sample cards only (no nested details), so its first </details> closes it
    return page[start:end].replace("<details ", "<details open ", 1)


def main(report_html: str, out_png: str, reasons: list[str]) -> None:
    chromium, why = find_chromium()
    if chromium is None:
        raise SystemExit(why)
    with open(report_html, encoding="utf-8") as f:
        page = f.read()
    head = page[:page.index("<body>") + len("<body>")]
    blocks = "".join(_block(page, *r.split("|", 1)) for r in reasons)
    hists = re.search(r'<div class="hists">((?:<div class="hbox".*?</svg></div>){3})', page, re.S).group(1)
    opened = f'{head}<section><h2>What each stage and filter removed: a reason opened</h2>{blocks}</section></body></html>'
    charts = (f'{head}<section><h2>Distributions before and after curation, thresholds drawn</h2>'
              f'<div class="legend"><span class="key hb"></span>every document that reached the measure'
              f'<span class="key ha"></span>kept<span class="key thr"></span>a filter threshold</div>'
              f'<div class="hists">{hists}</div></section></body></html>')
    with tempfile.TemporaryDirectory() as tmp:
        shots = [_shot(chromium, page, 1180, tmp, "top"), _shot(chromium, opened, 770, tmp, "opened"),
                 _shot(chromium, charts, 330, tmp, "charts")]
    out = Image.new("RGB", (WIDTH, sum(s.height for s in shots) + 6 * (len(shots) - 1)), (200, 204, 214))
    y = 0
    for shot in shots:
        out.paste(shot, (0, y))
        y += shot.height + 6
    out.save(out_png, optimize=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:] or ["filter:gopher_repetition|top_2_gram"])
