"""`build.py check --links`: every internal link, anchor and asset of the built site, and 404 pages."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from build import cli
from conftest import ROOT, SUBPATH_BASE_URL, parse, write_project
from portal.links import check_links

LANGS = {"vi": "", "en": "en/", "ar": "ar/"}


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_shipped_site_has_no_broken_link(shipped_site):
    report = check_links(shipped_site, None, "site")
    assert report.problems == [] and report.files > 50 and report.links > 1000


def test_sub_path_build_has_no_broken_link_and_the_checker_reads_the_base_from_robots(subpath_site):
    result = run("check", "--links", "--output", str(subpath_site))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("OK: ") and result.stdout.endswith("none broken.\n")
    # Addresses under the sub-path are checked too (canonical, sitemap, JSON-LD, Open Graph).
    assert check_links(subpath_site, SUBPATH_BASE_URL, "site").links == check_links(subpath_site, None, "site").links


def test_every_kind_of_broken_link_is_reported(tiny_site, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(tiny_site, root)
    site = root / "site"
    page = site / "en/indicators/counts.html"
    html = page.read_text(encoding="utf-8")
    html = html.replace('href="../index.html"', 'href="../missing.html"', 1)  # a page
    html = html.replace('href="#main"', 'href="#nowhere"', 1)  # an anchor on the same page
    html = html.replace("</main>", '<a href="../data/index.html#dataset-nope">x</a><a href="/elsewhere/">y</a></main>')
    page.write_text(html, encoding="utf-8")
    (site / "charts/counts.en.narrow.svg").unlink()  # an asset
    result = run("--project", str(root), "check", "--links")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == sorted([
        "site/en/indicators/counts.html: broken link to ../missing.html",
        "site/en/indicators/counts.html: broken link to #nowhere",
        "site/en/indicators/counts.html: broken link to ../data/index.html#dataset-nope",
        "site/en/indicators/counts.html: broken link to /elsewhere/",
        "site/en/indicators/counts.html: broken link to ../../charts/counts.en.narrow.svg",
        "site/en/index.html: broken link to ../charts/counts.en.narrow.svg",
        "site/en/embed/counts.html: broken link to ../../charts/counts.en.narrow.svg",
    ]) + ["7 broken link(s) in site."]


def test_checking_without_a_built_site_says_so(tmp_path):
    root = write_project(tmp_path / "p")
    result = run("--project", str(root), "check", "--links")
    assert result.exit_code == 1
    assert "site: no built site here (index.html is missing); run `build.py build` first" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("lang", LANGS)
def test_a_404_page_per_language_links_from_the_site_root(shipped_site, subpath_site, lang):
    page = parse(shipped_site / f"{LANGS[lang]}404.html")
    assert page.html["lang"] == lang and page.h1.get_text(strip=True)
    links = [a["href"] for a in page.select("main a")]
    assert f"/{LANGS[lang]}index.html" in links and f"/{LANGS[lang]}search/index.html" in links
    assert page.select_one('link[rel="stylesheet"]')["href"].startswith("/assets/style.")
    # Under a sub-path, the 404 page's links start with it.
    sub = parse(subpath_site / f"{LANGS[lang]}404.html")
    assert f"/p06/{LANGS[lang]}index.html" in [a["href"] for a in sub.select("main a")]
    assert sub.select_one('link[rel="stylesheet"]')["href"].startswith("/p06/assets/style.")


def test_readme_documents_the_checker():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "check --links" in readme and "broken link to" in readme
