"""Chart labels fit on every reader's device: each text of each static chart SVG, in every
language and layout, lies inside the chart and clear of the others, under two different sets of
system fonts (the SVGs carry the font they were measured with)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest


CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
FONT_SETS = {"dejavu": "/usr/share/fonts/truetype/dejavu", "noto": "/usr/share/fonts/truetype/noto"}

if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI needs Debian's chromium for the browser tests (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

# Every text's box (getBBox, through its transform) in the SVG's own coordinates.
BOXES = """() => {
  const root = document.documentElement;
  const width = root.width.baseVal.value, height = root.height.baseVal.value;
  const boxes = [...root.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
    const b = t.getBBox(), m = t.getCTM();
    const xs = [b.x, b.x + b.width].flatMap(x => [b.y, b.y + b.height].map(y => m.a * x + m.c * y + m.e));
    const ys = [b.x, b.x + b.width].flatMap(x => [b.y, b.y + b.height].map(y => m.b * x + m.d * y + m.f));
    return {text: t.textContent, x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys)};
  });
  return {width, height, boxes};
}"""


def fonts_conf(folder: Path, fonts: str) -> Path:
    conf = folder / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>{fonts}</dir>'
                    f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    return conf


def problems_in(box: dict) -> list[str]:
    found = []
    slack = 0.5
    for b in box["boxes"]:
        if b["x0"] < -slack or b["y0"] < -slack or b["x1"] > box["width"] + slack or b["y1"] > box["height"] + slack:
            found.append(f"clipped: {b['text']!r}")
    boxes = box["boxes"]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            across = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            down = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
            if across > 1 and down > 1:
                found.append(f"overlap: {a['text']!r} and {b['text']!r}")
    return found


@pytest.mark.parametrize("font_set", FONT_SETS)
def test_no_chart_label_is_clipped_or_overlaps(shipped_site, district_site, tmp_path, font_set):
    conf = fonts_conf(tmp_path, FONT_SETS[font_set])
    svgs = sorted(shipped_site.glob("charts/*.svg")) + sorted(district_site.glob("charts/*.svg"))
    assert len(svgs) >= 40
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS,
                                             env={**os.environ, "FONTCONFIG_FILE": str(conf)})
        page = browser.new_page()
        found = {}
        for svg in svgs:
            page.goto(svg.as_uri())
            page.evaluate("document.fonts.ready.then(() => true)")
            problems = problems_in(page.evaluate(BOXES))
            if problems:
                found[svg.name] = problems
        browser.close()
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
