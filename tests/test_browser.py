"""The shipped portal in a real browser (Debian's Chromium driven by Playwright).

Every page template in every language is opened as a citizen would: with and without JavaScript,
on a phone and a desktop, checked by axe-core against WCAG 2.2 AA, and watched for console errors,
Content Security Policy violations, requests to other hosts and layout shift.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
LANGS = {"vi": "", "en": "en/", "ar": "ar/"}
TEMPLATES = {
    "home": "index.html",
    "indicators": "indicators/index.html",
    "indicator": "indicators/online-dossiers.html",
    "progress": "indicators/tasks.html",
    "line": "indicators/eid-accounts.html",  # a line over time, notes, sources and revisions
    "news": "news/index.html",
    "announcement": "news/so-ket-hai-nam-de-an-06.html",
    "catalogue": "data/index.html",
}
PAGES = [(template, lang) for template in TEMPLATES for lang in LANGS]

if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI needs Debian's chromium for the browser tests (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

# Runs before any page script: records CSP violations and layout shifts for the tests to read.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__cls = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) { if (!entry.hadRecentInput) window.__cls += entry.value; }
}).observe({type: 'layout-shift', buffered: true});
"""


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


def url_of(server: str, template: str, lang: str) -> str:
    return server + LANGS[lang] + TEMPLATES[template]


def open_page(browser, server: str, url: str, width: int = 1280, javascript: bool = True, **options):
    """Open `url`, recording console errors, page errors and requests to any other host."""
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript, **options)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.problems = []
    page.requests = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))

    def on_request(request):
        page.requests.append(request.url)
        if not request.url.startswith(server):
            page.problems.append(f"request to another host: {request.url}")

    page.on("request", on_request)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page


def scroll_through(page) -> None:
    """Scroll to the end a screen at a time, so every chart comes into view."""
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 900, 600):
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(60)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("template, lang", PAGES)
def test_page_with_javascript(browser, server, template, lang):
    """Accessible (axe, WCAG 2.2 AA), charts interactive, no errors, no CSP violation, no layout shift."""
    page = open_page(browser, server, url_of(server, template, lang))
    scroll_through(page)
    frames = page.locator(".chart-frame").count()
    if frames:
        page.wait_for_function(f"document.querySelectorAll('.chart-live svg').length === {frames}", timeout=20000)
    page.evaluate("window.scrollTo(0, 0)")
    results = axe_module.Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]
    assert violations == []
    assert page.evaluate("window.__csp") == []
    assert page.problems == []
    assert page.evaluate("window.__cls") < 0.05
    page.context.close()


@pytest.mark.parametrize("template, lang", PAGES)
def test_page_without_javascript(browser, server, template, lang):
    """All content, every chart as an image, tables and downloads, with scripts off."""
    page = open_page(browser, server, url_of(server, template, lang), javascript=False)
    images = page.locator(".chart-frame img")
    for index in range(images.count()):
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    for figure in page.locator("figure.chart").all():
        label_id = figure.get_attribute("aria-labelledby")
        assert page.locator(f"[id='{label_id}']").inner_text().strip()
        assert figure.locator(".chart-summary p").count() >= 1
        if template != "home":
            assert figure.locator("table").count() == 1
        assert figure.locator(".chart-links a[href$='.csv']").count() == 1
    levels = page.evaluate("[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"skipped heading level: {levels}"
    assert page.problems == []
    assert not any("/assets/vega." in r or r.endswith(".js") for r in page.requests)
    page.context.close()


def test_vega_is_loaded_only_when_a_chart_comes_into_view(browser, server):
    page = open_page(browser, server, server + "index.html", width=360)
    assert not any("/assets/vega." in r for r in page.requests), "the bundle must wait for a chart"
    page.locator(".chart-frame").first.scroll_into_view_if_needed()
    page.wait_for_selector(".chart-live svg", timeout=20000)
    assert any("/assets/vega." in r for r in page.requests)
    page.context.close()


def test_no_script_at_all_on_pages_without_charts(browser, server):
    for template in ("indicators", "news", "announcement", "catalogue"):
        page = open_page(browser, server, url_of(server, template, "en"))
        assert page.locator('script:not([type="application/ld+json"])').count() == 0
        assert not any(r.endswith(".js") for r in page.requests)
        page.context.close()


def test_keyboard_reaches_every_link_with_a_visible_focus(browser, server):
    page = open_page(browser, server, server + "en/indicators/online-dossiers.html", javascript=False)
    targets = page.evaluate("""[...document.querySelectorAll('a[href], [tabindex="0"]')]
        .map((e, i) => { e.setAttribute('data-key', i); return i; }).length""")
    seen = set()
    for _ in range(targets):
        page.keyboard.press("Tab")
        key, html, style, width = page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
            return [e.getAttribute('data-key'), e.outerHTML.slice(0, 60), s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
        seen.add(key)
        assert style != "none" and width >= 2, f"no visible focus on {html}"
    assert seen == {str(i) for i in range(targets)}
    page.context.close()


def test_skip_link_moves_focus_to_main(browser, server):
    page = open_page(browser, server, server + "en/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_dark_mode_passes_axe(browser, server, lang):
    page = open_page(browser, server, server + LANGS[lang] + "indicators/online-dossiers.html", color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 255, 255)"
    results = axe_module.Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert [v["id"] for v in results.response["violations"]] == []
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dark-{lang}-1280.png"), full_page=True)
    page.context.close()


def test_print_shows_charts_and_tables_but_not_navigation(browser, server):
    page = open_page(browser, server, server + "en/indicators/online-dossiers.html")
    page.emulate_media(media="print")
    assert not page.locator(".main-nav").is_visible()
    assert page.locator("figure.chart").is_visible() and page.locator("table.data-table").is_visible()
    page.context.close()


def test_reduced_motion_is_respected(browser, server):
    page = open_page(browser, server, server + "en/", reduced_motion="reduce")
    assert page.evaluate("getComputedStyle(document.querySelector('a')).transitionDuration") in ("0s", "")
    page.context.close()


@pytest.mark.parametrize("width", [360, 768, 1280])
@pytest.mark.parametrize("template, lang", PAGES)
def test_fits_the_screen_and_screenshots(browser, server, template, lang, width):
    page = open_page(browser, server, url_of(server, template, lang), width=width)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a {width}px screen"
    if lang == "ar":
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{template}-{lang}-{width}.png"), full_page=True)
    page.context.close()


def run_search(page, query: str) -> list[str]:
    """Type `query` in the search box, submit, and return the result links in order."""
    page.fill("#search-input", query)
    page.press("#search-input", "Enter")
    page.wait_for_selector("[data-search-bundle][data-state=done]", timeout=20000)
    return page.eval_on_selector_all(".search-results li > a", "links => links.map(a => a.href)")


def test_search_finds_vietnamese_words_typed_without_diacritics(browser, server):
    page = open_page(browser, server, server + "search/index.html")
    assert not any("/pagefind/" in r for r in page.requests), "the index must wait until the visitor searches"
    links = run_search(page, "can cuoc")
    assert links[0] == server + "indicators/id-cards.html"
    assert server + "news/so-ket-hai-nam-de-an-06.html" in links
    assert all("/en/" not in link and "/ar/" not in link for link in links)
    assert page.locator(".search-results mark").first.inner_text().lower() in ("căn", "cước")
    # "đ" has no decomposition in Unicode: "dinh danh" must still find "định danh".
    assert run_search(page, "dinh danh")[0] == server + "indicators/eid-accounts.html"
    assert page.evaluate("location.search") == "?q=dinh+danh"
    results = axe_module.Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert [v["id"] for v in results.response["violations"]] == []
    assert page.evaluate("window.__csp") == []
    assert page.problems == []
    # One library and one WebAssembly file search the data bundle and every year's announcements.
    library = [r.split("/pagefind/")[1] for r in page.requests
               if "/pagefind/" in r and (r.split("?")[0].endswith(".js") or "/wasm." in r)]
    assert library and all(name.startswith("vi/data/") for name in library)
    assert len([name for name in library if "/wasm." in name]) == 1
    assert any("/pagefind/vi/news/2024/pagefind-entry.json" in r for r in page.requests)  # announcements merged in
    assert not any("/pagefind/en/" in r or "/pagefind/ar/" in r for r in page.requests)
    assert page.evaluate("window.__cls") < 0.05
    page.context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_results_arriving_late_move_nothing_on_screen(browser, server, width):
    """On a slow phone the results come well after the visitor pressed Enter (past the half second
    in which a layout shift is forgiven): what is on screen must stay where it is."""
    page = open_page(browser, server, server + "en/search/index.html", width=width)

    def late(route):
        time.sleep(0.8)
        route.continue_()

    page.route("**/pagefind/**", late)
    for query in ("identity", "dossier"):  # the second replaces the first one's results
        page.click("#search-input", click_count=3)  # typed as a person does: the keys are input, a fill is not
        page.keyboard.type(query)
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-search-bundle][data-state=done]", timeout=20000)
        assert page.locator(".search-results li").count() > 0
    assert page.evaluate("window.__cls") < 0.05
    page.context.close()


def test_arabic_search_with_type_filter(browser, server):
    page = open_page(browser, server, server + "ar/search/index.html", width=360)
    links = run_search(page, "الهوية")
    assert links[0] == server + "ar/indicators/id-cards.html"
    assert all(link.startswith(server + "ar/") for link in links) and len(links) >= 3
    page.get_by_label("الأخبار").check()
    page.wait_for_selector("[data-search-bundle][data-state=done]", timeout=20000)
    assert page.eval_on_selector_all(".search-results li > a", "a => a.map(x => x.href)") == [
        server + "ar/news/so-ket-hai-nam-de-an-06.html"]
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert page.evaluate("window.__csp") == [] and page.problems == []
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search-ar-360.png"), full_page=True)
    page.context.close()


def test_search_address_with_a_query_shows_results(browser, server):
    page = open_page(browser, server, server + "en/search/index.html?q=identity")
    page.wait_for_selector(".search-results li", timeout=20000)
    assert page.input_value("#search-input") == "identity"
    assert page.eval_on_selector_all(".search-results li > a", "a => a.map(x => x.href)")[0].startswith(server + "en/")
    assert page.evaluate("window.__csp") == [] and page.problems == []
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search-en-1280.png"), full_page=True)
    page.context.close()


def test_without_javascript_search_degrades_to_links(browser, server):
    page = open_page(browser, server, server + "en/indicators/tasks.html", javascript=False)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.wait_for_load_state("networkidle")
    assert page.url == server + "en/search/index.html"
    assert not page.locator("form[role=search]").is_visible()
    assert page.locator("noscript p").is_visible()  # Playwright's text search skips <noscript>
    page.get_by_role("link", name="Chip-based citizen ID cards issued").click()
    assert page.url == server + "en/indicators/id-cards.html"
    assert page.problems == []
    page.context.close()


@pytest.mark.parametrize("path", ["search/index.html", "ar/search/index.html", "404.html", "en/404.html"])
def test_search_and_404_pages_are_accessible(browser, server, path):
    page = open_page(browser, server, server + path)
    results = axe_module.Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]] == []
    assert page.evaluate("window.__csp") == [] and page.problems == []
    assert page.evaluate("window.__cls") < 0.05
    page.context.close()


def test_unknown_address_gets_a_404_page_whose_links_work(browser, server):
    page = open_page(browser, server, server + "en/404.html")
    page.get_by_role("link", name="Go to the home page").click()
    assert page.url == server + "en/index.html"
    page.context.close()


def test_the_preview_reloads_every_page_after_a_build_and_search_pages_after_their_index(browser, tmp_path):
    from portal.serve import Preview, make_server

    (tmp_path / "search.html").write_text('<!DOCTYPE html><html lang="en"><head><title>Search</title></head><body>'
                                          '<div data-search-bundle="pagefind/en/data/pagefind.js"></div></body></html>')
    (tmp_path / "news.html").write_text('<!DOCTYPE html><html lang="en"><head><title>News</title></head><body>'
                                        '<p>An announcement.</p></body></html>')
    indexed = threading.Event()
    preview = Preview(lambda: {}, lambda: indexed.wait(30))
    httpd = make_server(preview, tmp_path, 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{httpd.server_address[1]}/"
    pages = {}
    try:
        for name in ("search", "news"):
            pages[name] = page = browser.new_page()
            page.goto(f"{address}{name}.html")

        def mark_when_listening() -> None:
            for page in pages.values():  # the reload script has had the server's first message
                page.wait_for_function("document.documentElement.hasAttribute('data-preview-build')")
                page.evaluate("window.__unchanged = true")

        def still_marked() -> dict[str, bool]:
            return {name: page.evaluate("window.__unchanged === true") for name, page in pages.items()}

        mark_when_listening()
        rebuild = threading.Thread(target=preview.rebuild)
        rebuild.start()  # built: every page reloads; the search index is not ready yet
        for page in pages.values():
            page.wait_for_function("window.__unchanged !== true")
        mark_when_listening()
        indexed.set()  # the search index is ready: the search page alone reloads
        rebuild.join(30)
        pages["search"].wait_for_function("window.__unchanged !== true")
        pages["news"].wait_for_timeout(1500)
        assert still_marked() == {"search": False, "news": True}
    finally:
        for page in pages.values():
            page.close()
        httpd.shutdown()
        httpd.server_close()
