"""sitemap.xml and robots.txt: every published page, its language versions, its date, the base URL."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from conftest import SUBPATH_BASE_URL, parse, tree_digest, write_project
from portal.build import build

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


def entries(site) -> dict[str, ET.Element]:
    root = ET.parse(site / "sitemap.xml").getroot()
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return {url.find("s:loc", NS).text: url for url in root.findall("s:url", NS)}


def published_pages(site) -> set[str]:
    """Pages meant to be found: every HTML page but the search and 404 pages (marked noindex)."""
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")
            if "pagefind" not in p.parts and not parse(p).select('meta[name="robots"]')}


def test_sitemap_lists_every_published_page_once_at_its_canonical_address(subpath_site):
    urls = entries(subpath_site)
    assert all(loc.startswith(SUBPATH_BASE_URL) for loc in urls)
    files = {loc.removeprefix(SUBPATH_BASE_URL) for loc in urls}
    files = {f + "index.html" if f.endswith("/") or f == "" else f for f in files}
    assert files == published_pages(subpath_site)
    for loc in urls:
        path = loc.removeprefix(SUBPATH_BASE_URL)
        page = parse(subpath_site / (path + "index.html" if path.endswith("/") or not path else path))
        assert page.select_one('link[rel="canonical"]')["href"] == loc


def test_every_entry_names_its_language_versions(subpath_site):
    url = entries(subpath_site)[SUBPATH_BASE_URL + "en/indicators/tasks.html"]
    links = {link.get("hreflang"): link.get("href") for link in url.findall("x:link", NS)}
    assert links == {
        "vi": SUBPATH_BASE_URL + "indicators/tasks.html",
        "en": SUBPATH_BASE_URL + "en/indicators/tasks.html",
        "ar": SUBPATH_BASE_URL + "ar/indicators/tasks.html",
        "x-default": SUBPATH_BASE_URL + "indicators/tasks.html",
    }
    assert all(link.get("rel") == "alternate" for link in url.findall("x:link", NS))


def test_lastmod_comes_from_the_data_and_the_news(subpath_site):
    urls = entries(subpath_site)
    lastmod = {loc.removeprefix(SUBPATH_BASE_URL): url.find("s:lastmod", NS).text for loc, url in urls.items()}
    assert lastmod["indicators/id-cards.html"] == "2023-12-31"  # the data's latest date
    assert lastmod["ar/news/so-ket-hai-nam-de-an-06.html"] == "2024-01-19"  # the announcement's date
    assert lastmod[""] == "2024-01-19"  # the home page shows the news
    # The catalogue shows every dataset, the log of revisions too: its latest date.
    package = json.loads((subpath_site / "data/datapackage.json").read_text(encoding="utf-8"))
    assert lastmod["en/data/"] == max(r["asOf"] for r in package["resources"] if r.get("asOf"))


def test_robots_txt_points_to_the_sitemap(shipped_site, subpath_site):
    assert (subpath_site / "robots.txt").read_text() == f"User-agent: *\nAllow: /\n\nSitemap: {SUBPATH_BASE_URL}sitemap.xml\n"
    assert (shipped_site / "robots.txt").read_text().endswith("Sitemap: /sitemap.xml\n")


def test_feeds_use_the_base_url(subpath_site):
    feed = ET.parse(subpath_site / "en/news/feed.xml").getroot()
    addresses = [link.get("href") for link in feed.iter("{http://www.w3.org/2005/Atom}link")]
    assert addresses and all(a.startswith(SUBPATH_BASE_URL + "en/news/") for a in addresses), addresses


def test_the_build_clock_never_reaches_the_output(tmp_path):
    root = write_project(tmp_path / "p")
    build(root, tmp_path / "early", clock="2024-03-01T00:00+07:00")
    build(root, tmp_path / "late", clock="2030-06-15T12:00+07:00")
    assert tree_digest(tmp_path / "early") == tree_digest(tmp_path / "late")
    assert "<lastmod>2024-02-01</lastmod>" in (tmp_path / "late/sitemap.xml").read_text()
