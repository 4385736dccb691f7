"""The shipped portal in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI needs Debian's chromium for the browser tests (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(shipped_site):
    handler = functools.partial(QuietHandler, directory=str(shipped_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def open_page(browser, url: str, width: int = 1280, javascript: bool = True):
    """Open `url`, recording console errors, page errors and requests to any other host."""
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("request", lambda r: r.url.startswith(url.split("/", 3)[0] + "//" + url.split("/")[2])
            or page.problems.append(f"foreign request: {r.url}"))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("path", ["", "en/indicators/online-dossiers.html", "ar/indicators/tasks.html"])
def test_charts_become_interactive_with_no_errors_or_foreign_requests(browser, server, path):
    page = open_page(browser, server + path)
    page.wait_for_selector(".chart-live svg", timeout=15000)
    page.locator(".chart-live").first.scroll_into_view_if_needed()
    assert page.locator(".chart-live").first.get_attribute("aria-label")
    assert page.problems == []
    page.context.close()


@pytest.mark.parametrize("path", ["", "indicators/id-cards.html", "ar/", "en/data/", "en/news/so-ket-hai-nam-de-an-06.html"])
def test_without_javascript_everything_is_there(browser, server, path):
    page = open_page(browser, server + path, javascript=False)
    images = page.locator(".chart-frame img")
    for index in range(images.count()):
        assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", images.nth(index).element_handle())
    assert page.locator("h1").count() == 1
    assert page.problems == []
    page.context.close()


def test_skip_link_moves_focus_to_main(browser, server):
    page = open_page(browser, server + "en/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()


@pytest.mark.parametrize("path, name", [("", "home-vi"), ("ar/", "home-ar"),
                                        ("indicators/online-dossiers.html", "online-dossiers-vi"),
                                        ("ar/indicators/online-dossiers.html", "online-dossiers-ar")])
@pytest.mark.parametrize("width", [360, 1280])
def test_no_horizontal_overflow_and_screenshots(browser, server, path, name, width):
    page = open_page(browser, server + path, width=width)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a {width}px screen"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    if name.endswith("-ar"):
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    page.context.close()
