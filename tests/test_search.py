"""Site search: Pagefind's index, one per language, its filters, and the search pages."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import parse, tree_digest, write_project
from portal import search
from portal.errors import BuildError
from portal.build import build
from portal.write import Staging

LANGS = {"vi": "", "en": "en/", "ar": "ar/"}
NODE = shutil.which("node")
# Runs Pagefind's own search library under Node, reading the bundle from disk, as a browser would.
SEARCH_SCRIPT = """
import fs from "node:fs";
globalThis.fetch = async (url) => new Response(fs.readFileSync(new URL(url).pathname));
const [bundle, query, lang, filters, ...merged] = process.argv.slice(2);
globalThis.document = { currentScript: null, querySelector: () => ({ getAttribute: () => lang }) };
const pagefind = await import(bundle);
await pagefind.options({ baseUrl: "/" });
await pagefind.init();
for (const other of merged) await pagefind.mergeIndex(other, { baseUrl: "/" });
const found = await pagefind.search(query, { filters: JSON.parse(filters) });
const pages = await Promise.all(found.results.map((r) => r.data()));
console.log(JSON.stringify({ urls: pages.map((p) => p.url), filters: await pagefind.filters() }));
"""


def fragments(site: Path) -> list[dict]:
    """Every indexed page as Pagefind stored it (gzip, a signature, then JSON), in every language's bundle."""
    return fragments_of(site / "pagefind")


def fragments_of(folder: Path) -> list[dict]:
    """Every page indexed in the bundles below `folder`."""
    return [json.loads(gzip.decompress(path.read_bytes())[len(search.SIGNATURE):])
            for path in sorted(folder.glob("**/fragment/*.pf_fragment"))]


def run_search(site: Path, tmp_path: Path, query: str, lang: str, filters: dict | None = None) -> dict:
    script = tmp_path / "search.mjs"
    script.write_text(SEARCH_SCRIPT, encoding="utf-8")
    bundle = (site / f"pagefind/{lang}/data/pagefind.js").resolve().as_uri()
    merged = [path.parent.resolve().as_uri() + "/" for path in sorted(site.glob(f"pagefind/{lang}/news/*/pagefind-entry.json"))]
    result = subprocess.run([NODE, str(script), bundle, query, lang, json.dumps(filters or {}), *merged],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def _bundle_urls(bundle: Path, code: str) -> list[str]:
    """The address of every page in one bundle, checked against its entry file."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == [code]
    language = entry["languages"][code]
    assert (bundle / f"pagefind.{language['hash']}.pf_meta").is_file()
    assert not list(bundle.glob("*-ui.*"))  # the portal draws its own interface (no injected styles)
    urls = [json.loads(gzip.decompress(p.read_bytes())[len(search.SIGNATURE):])["url"]
            for p in sorted((bundle / "fragment").glob("*.pf_fragment"))]
    assert len(urls) == language["page_count"]
    return urls


def test_a_data_bundle_and_one_bundle_per_year_of_announcements_in_each_language(shipped_site):
    # A visitor downloads the index of the language being read, never the others; the data pages
    # and each year's announcements are indexed apart, so one change re-indexes one small bundle.
    assert sorted(p.name for p in (shipped_site / "pagefind").iterdir()) == ["ar", "en", "vi"]
    for code, prefix in LANGS.items():
        others = [other for c, other in LANGS.items() if c != code and other]
        data = _bundle_urls(shipped_site / "pagefind" / code / "data", code)
        assert data and not [u for u in data if "/news/" in u]
        # The data bundle carries the search library and its WebAssembly; the merged ones need neither.
        assert (shipped_site / "pagefind" / code / "data/pagefind.js").is_file()
        years = sorted((shipped_site / "pagefind" / code / "news").iterdir())
        news = []
        for bundle in years:
            urls = _bundle_urls(bundle, code)
            assert urls and all("/news/" in u for u in urls)
            years_shown = {year for f in fragments_of(bundle) for year in f["filters"]["year"]}
            assert years_shown == {bundle.name}  # each announcement in the bundle of its year
            assert not [p.name for p in bundle.iterdir() if p.suffix in (".js", ".pagefind")]
            news += urls
        assert years and len(news) == len(set(news))
        for urls in (data, news):
            assert all(u.startswith("/" + prefix) for u in urls)
            assert not [u for u in urls if any(u.startswith("/" + other) for other in others)]
        published = sorted(p.relative_to(shipped_site).as_posix() for p in (shipped_site / prefix / "news").glob("*.html")
                           if p.name != "index.html")
        assert sorted(u.removeprefix("/") for u in news) == published


def test_indicators_announcements_and_catalogue_are_indexed_with_type_and_year(shipped_site):
    pages = {f["url"]: f for f in fragments(shipped_site)}
    assert len(pages) == 24
    tasks = pages["/en/indicators/tasks.html"]
    assert tasks["filters"] == {"type": ["Indicator"], "year": ["2023"]}
    assert tasks["meta"]["shown_date"] == "31 December 2023"
    article = pages["/news/so-ket-hai-nam-de-an-06.html"]
    assert article["filters"] == {"type": ["Tin tức"], "year": ["2024"]}
    assert pages["/ar/data/index.html"]["filters"] == {"type": ["البيانات المفتوحة"]}
    assert not any("/search/" in url or url.endswith("404.html") or url.endswith("/") for url in pages)


def test_navigation_and_footers_are_not_indexed(shipped_site):
    for fragment in fragments(shipped_site):
        text = " ".join(fragment["content"].split())
        page = parse(shipped_site / fragment["url"].lstrip("/"))
        for part in page.select("header, footer p, .skip-link, nav.breadcrumbs, .main-nav"):
            assert " ".join(part.get_text(" ").split()) not in text, f"{fragment['url']}: {part.name} indexed"
        assert not text.startswith(("Home", "Trang chủ")), fragment["url"]  # no breadcrumbs either
    home = parse(shipped_site / "en/indicators/tasks.html")
    assert home.select_one("header")["data-pagefind-ignore"] == "" and home.select_one("footer").has_attr("data-pagefind-ignore")
    assert home.select_one("main").has_attr("data-pagefind-body")


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run Pagefind's search library")
def test_searching_without_diacritics_finds_vietnamese_text(shipped_site, tmp_path):
    found = run_search(shipped_site, tmp_path, "can cuoc", "vi")
    assert found["urls"][0] == "/indicators/id-cards.html"
    assert "/news/so-ket-hai-nam-de-an-06.html" in found["urls"]
    assert all(not url.startswith(("/en/", "/ar/")) for url in found["urls"])
    # Unicode leaves "đ" undecomposed, so search.js also tries each word starting with d as đ:
    # this is the spelling that finds "định danh điện tử" (the browser test types "dinh danh").
    assert run_search(shipped_site, tmp_path, "đinh danh đien tu", "vi")["urls"][0] == "/indicators/eid-accounts.html"


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run Pagefind's search library")
def test_arabic_search_and_filters(shipped_site, tmp_path):
    found = run_search(shipped_site, tmp_path, "الهوية", "ar")
    assert found["urls"][0] == "/ar/indicators/id-cards.html"
    assert all(url.startswith("/ar/") for url in found["urls"])
    assert found["filters"]["type"] == {"مؤشر": 6, "الأخبار": 1, "البيانات المفتوحة": 1}
    only_news = run_search(shipped_site, tmp_path, "الهوية", "ar", {"type": {"any": ["الأخبار"]}})
    assert only_news["urls"] == ["/ar/news/so-ket-hai-nam-de-an-06.html"]
    by_year = run_search(shipped_site, tmp_path, "identity", "en", {"year": {"any": ["2023"]}})
    assert by_year["urls"] and all("/indicators/" in url for url in by_year["urls"])


@pytest.mark.parametrize("lang", LANGS)
def test_search_page_has_a_form_filters_and_a_list_of_every_page(shipped_site, lang):
    path = shipped_site / LANGS[lang] / "search/index.html"
    page = parse(path)
    box = page.select_one("[data-search-bundle]")
    assert (path.parent / box["data-search-bundle"]).resolve() == (shipped_site / f"pagefind/{lang}/data/pagefind.js").resolve()
    merged = [(path.parent / link).resolve() for link in box["data-search-merge"].split()]
    assert merged == sorted(shipped_site.glob(f"pagefind/{lang}/news/*/pagefind-entry.json"), reverse=True)
    assert (path.parent / box["data-search-root"]).resolve() == shipped_site.resolve()
    form = page.select_one("form[role=search]")
    assert form.select_one("input[type=search][name=q]")["id"] == form.select_one("label")["for"]
    assert {i["name"] for i in form.select("input[type=checkbox]")} == {"type", "year"}
    assert page.select_one(".search-status")["aria-live"] == "polite"
    # Without JavaScript the form hides (a stylesheet inside <noscript>) and every page is listed.
    assert page.select("noscript link[rel=stylesheet]") and page.select("noscript p")
    assert len(page.select(".search-browse a")) >= 8
    (script,) = page.select("script[src]")
    assert "search." in script["src"] and script.has_attr("defer")


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_links_to_search_without_javascript(shipped_site, lang):
    page = parse(shipped_site / LANGS[lang] / "news/index.html")
    links = [a["href"] for a in page.select(".main-nav a")]
    assert "../search/index.html" in links


def test_search_pages_alone_may_compile_webassembly(shipped_site):
    headers = (shipped_site / "_headers").read_text()
    for lang in LANGS:
        (meta,) = parse(shipped_site / LANGS[lang] / "search/index.html").select('meta[http-equiv="Content-Security-Policy"]')
        assert "script-src 'self' 'wasm-unsafe-eval';" in meta["content"]
        assert f"/{LANGS[lang]}search/*\n  ! Content-Security-Policy\n  Content-Security-Policy: {meta['content']}" in headers
    assert "/pagefind/*\n" in headers


def test_failed_indexing_leaves_the_previous_site_untouched(tiny_site, tmp_path, monkeypatch):
    root = tmp_path / "p"
    shutil.copytree(tiny_site, root)
    shutil.rmtree(root / ".cache")  # so the index must be made again, not copied from the cache
    before = tree_digest(root / "site")
    failing = tmp_path / "pagefind"
    failing.write_text("#!/bin/sh\necho 'Error: could not read the site' >&2\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setattr(search, "pagefind_executable", lambda: failing)
    with pytest.raises(BuildError) as caught:
        build(root, root / "site")
    assert caught.value.problems[0].format() == "pagefind: the search index could not be built: Error: could not read the site"
    assert tree_digest(root / "site") == before
    assert sorted(p.name for p in root.iterdir()) == sorted(p.name for p in tiny_site.iterdir())


def test_search_index_is_the_same_on_every_build(tmp_path):
    # Pagefind writes filters in hash-map order; the portal sorts them, so builds stay byte-identical.
    root = write_project(tmp_path / "p")
    digests = []
    for name in ("a", "b", "c"):
        shutil.rmtree(root / ".cache", ignore_errors=True)  # Pagefind runs every time
        build(root, tmp_path / name)
        digests.append({k: v for k, v in tree_digest(tmp_path / name).items() if k.startswith("pagefind/")})
    assert digests[0] == digests[1] == digests[2] and len(digests[0]) > 10


def test_cbor_round_trip():
    value = [1, -25, 300, 70000, 2**40, "căn cước", b"\x00\x01", [True, False, None], 1.5, ["x" * 30]]
    assert search.cbor_decode(search.cbor_encode(value)) == (value, len(search.cbor_encode(value)))


def test_a_language_with_nothing_to_search_gets_no_bundle(tmp_path, monkeypatch):
    def no_indexing(*args):
        raise AssertionError("Pagefind ran with no page to index")

    from portal.build.memo import Memo
    from portal.build.output import write_search_index

    monkeypatch.setattr(search, "run_pagefind", no_indexing)
    with Staging(tmp_path / "site") as staging:
        write_search_index(staging, {"vi": [], "en": []}, Memo(None))
        assert not (staging.folder / search.BUNDLE_DIR).exists()
