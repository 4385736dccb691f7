"""Embedding a chart on another site: the embed pages, their snippet, and who may frame what."""

from __future__ import annotations

import fnmatch
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from conftest import parse

LANGS = {"vi": "", "en": "en/", "ar": "ar/"}


def _charted(site: Path) -> list[str]:
    """The indicators of the shipped site that have a chart (a single figure gets none, nor an embed)."""
    return sorted({p.name.split(".")[0] for p in (site / "charts").glob("*.vi.wide.svg")})




def header_rules(site: Path) -> list[tuple[str, list[str]]]:
    """The _headers file as (address pattern, header lines) in order."""
    rules = []
    for line in (site / "_headers").read_text().splitlines():
        if line and not line.startswith(" "):
            rules.append((line, []))
        elif line.strip():
            rules[-1][1].append(line.strip())
    return rules


def headers_for(rules, address: str) -> dict[str, str]:
    """The headers a host that reads _headers sends for `address`: later rules override, "! Name" detaches."""
    sent: dict[str, str] = {}
    for pattern, lines in rules:
        if fnmatch.fnmatchcase(address, pattern):
            for line in lines:
                if line.startswith("! "):
                    sent.pop(line[2:].strip(), None)
                else:
                    name, value = line.split(":", 1)
                    sent[name.strip()] = value.strip()
    return sent


def frame_ancestors(policy: str) -> str:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))["frame-ancestors"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_chart_has_an_embed_page_without_site_chrome(shipped_site, lang):
    slugs = _charted(shipped_site)
    assert len(slugs) >= 3
    for slug in slugs:
        page = parse(shipped_site / f"{LANGS[lang]}embed/{slug}.html")
        html = page.select_one("html")
        assert html["lang"] == lang and html["dir"] == ("rtl" if lang == "ar" else "ltr")
        assert not page.select("header, nav, footer, script:not([type='application/ld+json'])")
        assert page.select_one("figure.chart h1").get_text(strip=True)
        assert page.select_one("figure.chart img")["src"].endswith(".svg")
        credit = page.select_one(".embed-credit")
        assert credit.select_one("a[rel=license]") and "2023" in credit.get_text()
        back = credit.select("a")[-1]["href"]
        assert back == f"../indicators/{slug}.html" and back and (shipped_site / LANGS[lang] / "embed" / back).resolve().is_file()
        assert page.select_one('meta[name="robots"]')["content"] == "noindex"


def test_indicator_page_shows_the_permalink_and_the_snippet_as_text(shipped_site):
    page = parse(shipped_site / "ar/indicators/tasks.html")
    panel = page.select_one("section.share")
    code = panel.select_one("pre.embed-code")
    assert code.find_previous_sibling("p").get_text(strip=True)  # says what the code is for
    snippet = parse_fragment(code.get_text())
    frame = snippet.select_one("iframe")
    assert frame["src"] == "/ar/embed/tasks.html" and frame["title"] == page.select_one("h1").get_text(strip=True)
    assert int(frame["height"]) > 100
    assert [a["href"] for a in panel.select("dd a")] == ["tasks.html", "../embed/tasks.html"]


def parse_fragment(text: str):
    from bs4 import BeautifulSoup
    return BeautifulSoup(text, "html.parser")


def test_only_embed_pages_may_be_framed(shipped_site):
    rules = header_rules(shipped_site)
    pages = [p.relative_to(shipped_site).as_posix() for p in shipped_site.rglob("*.html")]
    assert any("embed/" in p for p in pages)
    for path in pages:
        policy = headers_for(rules, "/" + path)["Content-Security-Policy"]
        assert frame_ancestors(policy) == ("*" if path.split("/")[-2:-1] == ["embed"] else "'none'"), path
    assert "embed/" not in (shipped_site / "sitemap.xml").read_text()


class HeadersHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site with the headers its _headers file gives, as a static host would."""

    rules: list = []

    def end_headers(self):
        for name, value in headers_for(self.rules, self.path.split("?")[0]).items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, *args):
        pass


def serve(folder: Path, handler) -> http.server.ThreadingHTTPServer:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists() or shutil.which("chromium") is None,
                    reason="Chromium is not installed (apt-get install chromium)")
def test_another_site_can_frame_an_embed_page_but_not_an_indicator_page(shipped_site, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    HeadersHandler.rules = header_rules(shipped_site)
    portal = serve(shipped_site, HeadersHandler)
    site = f"http://127.0.0.1:{portal.server_address[1]}/"
    # The article page lives on another origin (localhost, not 127.0.0.1) and pastes the snippet.
    snippet = parse(shipped_site / "en/indicators/online-dossiers.html").select_one("pre.embed-code").get_text()
    snippet = snippet.replace('src="/', f'src="{site}')
    (tmp_path / "article.html").write_text(
        f'<!doctype html><title>Article</title><h1>News</h1>{snippet}'
        f'<iframe id="page" title="page" src="{site}en/indicators/online-dossiers.html"></iframe>', encoding="utf-8")
    other = serve(tmp_path, http.server.SimpleHTTPRequestHandler)
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.goto(f"http://localhost:{other.server_address[1]}/article.html")
            page.wait_for_load_state("networkidle")
            embed = next(f for f in page.frames if f.url.endswith("/en/embed/online-dossiers.html"))
            embed.wait_for_selector("figure.chart img")
            assert embed.evaluate("document.querySelector('figure.chart img').complete && "
                                  "document.querySelector('figure.chart img').naturalWidth > 0")
            assert embed.locator("h1").inner_text() == "Online dossier rates"
            # The framed indicator page is refused by the browser: an error page stands in for it.
            urls = [f.url for f in page.frames]
            assert not any(u.endswith("/indicators/online-dossiers.html") for u in urls)
            assert any(u.startswith("chrome-error:") for u in urls)
            shots = Path(__file__).resolve().parent / "screenshots"
            shots.mkdir(exist_ok=True)
            page.screenshot(path=str(shots / "embed-on-another-site.png"), full_page=True)
            browser.close()
    finally:
        for httpd in (portal, other):
            httpd.shutdown()
            httpd.server_close()


@pytest.mark.parametrize("lang", LANGS)
def test_every_chart_has_png_and_svg_images_with_its_credits_drawn_in(shipped_site, lang):
    import re
    import struct
    slugs = _charted(shipped_site)
    assert len(slugs) >= 3
    for slug in slugs:
        page = parse(shipped_site / f"{LANGS[lang]}indicators/{slug}.html")
        links = {a["href"].rsplit(".", 1)[1]: a["href"] for a in page.select(".chart-links a[href*='.image.']")}
        assert set(links) == {"png", "svg"}
        folder = (shipped_site / LANGS[lang] / "indicators")
        svg = (folder / links["svg"]).resolve().read_text(encoding="utf-8")
        texts = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
        title = page.select_one("h1").get_text(strip=True)
        source = page.select_one(".facts dd p").get_text(strip=True)
        assert title in texts and "CC BY 4.0" in texts and "2023" in texts
        assert source.split()[0] in texts and f"indicators/{slug}.html" in texts
        png = (folder / links["png"]).resolve().read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width = struct.unpack(">I", png[16:20])[0]
        assert width == 2 * round(float(re.search(r'<svg[^>]*width="([\d.]+)"', svg).group(1)))


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists() or shutil.which("chromium") is None,
                    reason="Chromium is not installed (apt-get install chromium)")
def test_embed_pages_pass_axe_in_both_directions(shipped_site):
    sync_api = pytest.importorskip("playwright.sync_api")
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    HeadersHandler.rules = header_rules(shipped_site)
    portal = serve(shipped_site, HeadersHandler)
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            for path in ("en/embed/online-dossiers.html", "ar/embed/tasks.html"):
                page = browser.new_page(viewport={"width": 400, "height": 700})
                page.goto(f"http://127.0.0.1:{portal.server_address[1]}/{path}")
                results = axe.Axe().run(page, options={"runOnly": {"type": "tag", "values": [
                    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]}})
                assert [v["id"] for v in results.response["violations"]] == [], path
                assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
                page.close()
            browser.close()
    finally:
        portal.shutdown()
        portal.server_close()
