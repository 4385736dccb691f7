"""Printing: an indicator page and the home page each print as a one-page A4 briefing."""

from __future__ import annotations

import csv
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

if not Path("/usr/bin/chromium").exists() or shutil.which("chromium") is None:
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
pdfium = pytest.importorskip("pypdfium2")

from portal.config import load_config  # noqa: E402
from portal.i18n import Formatter  # noqa: E402

A4 = (595, 842)  # points
ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT)
EN = Formatter(CONFIG.language("en"))


def province_rows(name: str) -> list[dict]:
    """The province-wide rows of a shipped CSV file (data/), as text."""
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["unit_code"] == CONFIG.province_code]


# The headline figures of the two printed English pages, read from the shipped data.
ONLINE_RATE = EN.percent(float(max((r for r in province_rows("online_dossiers") if r["scope"] == "province"),
                                   key=lambda r: r["year"])["rate_pct"]))
CARDS = EN.number(int(max(province_rows("id_cards"), key=lambda r: r["date"])["cards_issued"]))
PAGES = {"en/indicators/online-dossiers.html": ["Online dossier rates", ONLINE_RATE, "Source",
                                                "Nghệ An Provincial People's Committee", "31 December 2023",
                                                "Address: /en/indicators/online-dossiers.html"],
         # PDF text of a right-to-left page comes out in visual order: the address reads backwards.
         "ar/indicators/tasks.html": ["المصدر", "indicators/tasks.html", "العنوان"],
         "en/index.html": ["Key figures", CARDS, "Online dossier rates", "Source: Nghệ An", "Address: /en/"]}


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def printed(shipped_site, tmp_path_factory):
    """Each page of PAGES printed to PDF by Chromium, as pypdfium2 documents."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(shipped_site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    folder = tmp_path_factory.mktemp("print")
    documents = {}
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page()
            for path in PAGES:
                page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/{path}")
                page.wait_for_load_state("networkidle")
                target = folder / (path.replace("/", "-") + ".pdf")
                # The page's own @page rule chooses the paper: the browser's default would be Letter.
                page.pdf(path=str(target), prefer_css_page_size=True, print_background=True)
                documents[path] = pdfium.PdfDocument(str(target))
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return documents


@pytest.mark.parametrize("path", PAGES)
def test_page_prints_on_one_a4_sheet_with_chart_figures_source_date_and_address(printed, path):
    document = printed[path]
    assert len(document) == 1
    width, height = document[0].get_size()
    assert (round(width), round(height)) == A4
    text = document[0].get_textpage().get_text_range().replace("\r\n", " ").replace("\n", " ")
    for words in PAGES[path]:
        assert words in text, words
    assert "Share and embed" not in text and "Related news" not in text
