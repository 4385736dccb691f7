"""The shipped portal, built once and read back by parsing its HTML."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import parse
from portal.config import load_config
from portal.i18n import Formatter, load_translations

LANGS = {"vi": "", "en": "en/", "ar": "ar/"}
INDICATORS = ["id-cards", "eid-accounts", "online-dossiers", "tasks", "public-services", "online-dossiers-monthly"]
# Indicators with a single figure: the headline says it, and no chart is drawn.
SINGLE = {"id-cards", "online-dossiers-monthly"}
ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT)


def province_rows(name: str) -> list[dict]:
    """The province-wide rows of a shipped CSV file (data/), as text."""
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["unit_code"] == CONFIG.province_code]


def latest(name: str, field: str, **where) -> dict:
    """The latest province-wide row of a shipped CSV file that gives `field`."""
    rows = [r for r in province_rows(name) if r[field] and all(r[k] == v for k, v in where.items())]
    return max(rows, key=lambda r: r.get("date") or r.get("year"))


def shipped_figures(lang: str) -> dict[str, str]:
    """The headline figures of the shipped data, read from data/*.csv and written as the language writes them."""
    fmt = Formatter(CONFIG.language(lang))
    return {
        "cards": fmt.number(int(latest("id_cards", "cards_issued")["cards_issued"])),
        "activated": fmt.number(int(latest("eid_accounts", "accounts_activated")["accounts_activated"])),
        "collected": fmt.number(int(latest("eid_accounts", "applications_collected")["applications_collected"])),
        "online_rate": fmt.percent(float(latest("online_dossiers", "rate_pct", scope="province")["rate_pct"])),
        "tasks_completed": fmt.number(int(latest("tasks", "completed")["completed"])),
        "services_implemented": fmt.number(int(
            latest("public_services", "implemented", service_list="project06_essential")["implemented"])),
    }


FIGURES = {lang: shipped_figures(lang) for lang in LANGS}


def html_files(site: Path):
    return sorted(site.rglob("*.html"))


def text_of(site: Path, path: str) -> str:
    return parse(site / path).get_text(" ")


@pytest.mark.parametrize("lang", LANGS)
def test_home_shows_key_figures_in_the_language_format(shipped_site, lang):
    page = parse(shipped_site / f"{LANGS[lang]}index.html")
    figures = [p.get_text() for p in page.select(".card .card-figure")]
    shown = FIGURES[lang]
    assert figures[:5] == [shown["cards"], shown["activated"], shown["online_rate"], shown["tasks_completed"],
                           shown["services_implemented"]]
    assert len(figures) == len(INDICATORS)
    details = " ".join(p.get_text() for p in page.select(".card .card-detail"))
    assert shown["collected"] in details  # e-ID applications collected, as the whole
    assert len(page.select("h1")) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_html_lang_and_direction(shipped_site, lang):
    for path in (shipped_site / LANGS[lang]).glob("**/*.html") if lang != "vi" else [shipped_site / "index.html"]:
        root = parse(path).html
        assert root["lang"] == lang
        assert root["dir"] == ("rtl" if lang == "ar" else "ltr")


@pytest.mark.parametrize("lang", LANGS)
def test_online_rate_summary_states_the_margin_over_target(shipped_site, lang):
    fmt = Formatter(CONFIG.language(lang))
    province = latest("online_dossiers", "rate_pct", scope="province")
    rate, target = float(province["rate_pct"]), float(province["target_pct"])
    side = "above" if rate >= target else "below"
    margin = load_translations(CONFIG.language(lang)).gettext(f"{{points}} percentage points {side} the target of {{target}}")
    expected = f"{fmt.percent(rate)}, " + margin.format(points=fmt.number(abs(rate - target)), target=fmt.percent(target))
    page = parse(shipped_site / f"{LANGS[lang]}indicators/online-dossiers.html")
    summary = " ".join(p.get_text() for p in page.select(".chart-summary p"))
    assert expected in summary
    cells = [td.get_text() for td in page.select_one("table.data-table").select("tbody td")]
    year = province["year"]
    rows = [r for r in province_rows("online_dossiers") if r["year"] == year]
    assert len(rows) > 1
    for value in [fmt.percent(float(r["rate_pct"])) for r in rows] + [fmt.percent(target)]:
        assert value in cells


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("slug", INDICATORS)
def test_every_chart_has_svg_name_summary_table_and_downloads(shipped_site, lang, slug):
    page_path = shipped_site / f"{LANGS[lang]}indicators/{slug}.html"
    page = parse(page_path)
    figure = page.select_one(f"figure#chart-{slug}")
    assert figure is not None
    label = figure.find(id=figure["aria-labelledby"])
    assert label.get_text(strip=True)
    img = figure.select_one("picture img")
    if slug in SINGLE:
        assert img is None and page.select_one(".headline .card-began").get_text(strip=True)
        assert figure.select(".chart-summary p") and figure.select_one("table.data-table tbody tr")
        return
    assert img["alt"].strip()
    sources = [img["src"]] + [s["srcset"] for s in figure.select("picture source")]
    for src in sources:
        svg = (page_path.parent / src).resolve()
        assert svg.suffix == ".svg" and svg.read_text().lstrip().startswith("<svg")
    assert figure.select(".chart-summary p")
    assert figure.select_one("table.data-table tbody tr")
    downloads = {a["href"].rsplit(".", 1)[-1] for a in figure.select(".chart-links a")}
    assert {"csv", "json"} <= downloads
    spec = json.loads((page_path.parent / figure.select_one(".chart-frame")["data-spec-wide"]).read_text())
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_charts_speak_the_page_language(shipped_site):
    vi = (shipped_site / "charts/eid-accounts.vi.wide.svg").read_text()
    en = (shipped_site / "charts/eid-accounts.en.wide.svg").read_text()
    assert FIGURES["vi"]["collected"] in vi and FIGURES["en"]["collected"] in en
    assert FIGURES["vi"]["online_rate"] in (shipped_site / "charts/online-dossiers.vi.wide.svg").read_text()


def test_every_internal_link_and_asset_resolves(shipped_site):
    for path in html_files(shipped_site):
        page = parse(path)
        for element in page.find_all(["a", "link", "script", "img", "source"]):
            for attribute in ("href", "src", "srcset", "data-vega"):
                target = element.get(attribute)
                if not target or urlsplit(target).scheme or target.startswith("#"):
                    continue
                file_part = urlsplit(target).path
                # 404 pages link from the site root (built here with base URL "/"): they are shown at any address.
                resolved = (shipped_site / file_part.lstrip("/") if file_part.startswith("/") else path.parent / file_part).resolve()
                if file_part.endswith("/") or file_part == "":
                    resolved = resolved / "index.html"
                assert resolved.is_file(), f"{path.relative_to(shipped_site)}: broken {attribute}={target}"
                fragment = urlsplit(target).fragment
                if fragment and resolved.suffix == ".html":
                    assert parse(resolved).find(id=fragment), f"{path}: missing anchor {target}"


def test_no_element_loads_anything_from_another_host(shipped_site):
    licence = "https://creativecommons.org/licenses/by/4.0/"
    # The original of each cited source may be linked, to be read, never loaded.
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    readable = {licence} | {s["path"] for s in package["sources"] if s.get("path")}
    for path in html_files(shipped_site):
        page = parse(path)
        for element in page.find_all(True):
            for attribute in ("src", "srcset", "href", "data-vega", "data-spec-wide", "data-spec-narrow", "action"):
                value = element.get(attribute)
                if value and (urlsplit(value).scheme or value.startswith("//")):
                    # The only outside addresses are the licence and the sources, as plain links to read.
                    assert element.name == "a" and value in readable, f"{path}: {element.name} {attribute}={value}"
        assert not page.select("style, [style]"), f"{path}: inline style"
        # JSON-LD is data, never run: the only script element allowed without a src.
        assert all(s.get("src") for s in page.select('script:not([type="application/ld+json"])')), f"{path}: inline script"
    for svg in shipped_site.glob("charts/*.svg"):
        assert "http://" not in svg.read_text().replace("http://www.w3.org/", "")


def test_language_switcher_links_every_version(shipped_site):
    page = parse(shipped_site / "en/indicators/tasks.html")
    links = {a["hreflang"]: a["href"] for a in page.select("nav.languages a")}
    assert links == {"vi": "../../indicators/tasks.html", "en": "tasks.html", "ar": "../../ar/indicators/tasks.html"}
    alternates = {link["hreflang"] for link in page.select('link[rel="alternate"][hreflang]')}
    assert alternates == {"vi", "en", "ar"}


def test_downloads_hold_the_real_figures(shipped_site):
    # UTF-8 with a byte-order mark, so spreadsheet programs read Vietnamese correctly.
    raw = (shipped_site / "data/id_cards.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    # Each unit code comes with the unit's name (in each language the units table words it), so the file reads on its own.
    lines = raw.decode("utf-8-sig").splitlines()
    header, row = lines[0].split(","), dict(zip(lines[0].split(","), lines[1].split(",")))
    assert header[:3] == ["date", "unit_code", "unit_name"] and row["unit_name"] == "Tỉnh Nghệ An"
    assert {"unit_name_en", "unit_name_ar"} <= set(header) and row["unit_name_en"] == "Nghệ An Province"
    document = json.loads((shipped_site / "data/eid_accounts.json").read_text(encoding="utf-8"))
    with (ROOT / "data" / "eid_accounts.csv").open(encoding="utf-8") as f:
        shipped = list(csv.DictReader(f))
    assert [(r["date"], r["applications_collected"], r["source"]) for r in document] == [
        (r["date"], int(r["applications_collected"]), r["source"]) for r in shipped]
    assert json.loads((shipped_site / "data/datapackage.json").read_text())["resources"]


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_lists_every_dataset_with_columns_and_downloads(shipped_site, lang):
    page = parse(shipped_site / f"{LANGS[lang]}data/index.html")
    sections = page.select("section.dataset")
    assert [s["id"] for s in sections] == [
        "dataset-id_cards", "dataset-eid_accounts", "dataset-online_dossiers", "dataset-tasks",
        "dataset-public_services", "dataset-online_dossiers_monthly", "dataset-revisions", "dataset-units"]
    for section in sections:
        assert section.select("table.columns tbody tr")
        assert {a.get_text() for a in section.select(".facts a")} >= {"CSV", "JSON"}


@pytest.mark.parametrize("lang", LANGS)
def test_announcement_is_listed_and_published(shipped_site, lang):
    listing = parse(shipped_site / f"{LANGS[lang]}news/index.html")
    links = [a["href"] for a in listing.select(".news-item h2 a")]
    assert links == ["so-ket-hai-nam-de-an-06.html"]
    article = parse(shipped_site / f"{LANGS[lang]}news/so-ket-hai-nam-de-an-06.html")
    assert len(article.select("h1")) == 1
    body = article.select_one(".prose").get_text(" ")
    shown = FIGURES[lang]
    for figure in (shown["cards"], shown["activated"], shown["collected"], shown["online_rate"]):
        assert figure.replace("\u00a0", " ") in body.replace("\u00a0", " ")


def test_units_table_lists_the_21_districts(shipped_site):
    page = parse(shipped_site / "en/data/index.html")
    rows = page.select("#dataset-units table.data-table tbody tr")
    codes = [row.select("td")[0].get_text() for row in rows]
    assert codes == ["40"] + [str(code) for code in range(412, 433)]


def test_published_data_package_is_valid_and_matches_the_downloads(shipped_site):
    import hashlib
    from frictionless import Package
    report = Package(str(shipped_site / "data/datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((shipped_site / "data/datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        published = (shipped_site / "data" / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(published).hexdigest()
        assert resource["title"] and resource["schema"]["fields"]
    assert {r["name"]: r.get("asOf") for r in package["resources"]}["online_dossiers"] == "2023-12-31"


def test_catalogue_states_each_column_rule_in_words(shipped_site):
    page = parse(shipped_site / "en/data/index.html")
    rows = {tr.select("td")[0].get_text(): tr.select("td")[4].get_text()
            for tr in page.select("#dataset-online_dossiers table.columns tbody tr")}
    assert rows["rate_pct"] == "required, from 0% to 100%"
    assert rows["scope"].startswith("required, one of: Whole province; District level")
    checks = [li.get_text() for li in page.select("#dataset-eid_accounts ul.checks li")]
    assert "Accounts activated is never more than Applications collected." in checks
    assert "Applications collected is a running total: it never falls from one date to the next." in checks


def test_every_page_fits_the_weight_budget(shipped_site):
    import gzip
    css = sum(len(gzip.compress(p.read_bytes(), 9)) for p in shipped_site.glob("assets/*.css"))
    for path in html_files(shipped_site):
        weight = len(gzip.compress(path.read_bytes(), 9)) + css
        assert weight <= 50 * 1024, f"{path.relative_to(shipped_site)}: {weight} bytes of HTML+CSS (gzip)"


def test_strict_content_security_policy_on_every_page(shipped_site):
    headers = (shipped_site / "_headers").read_text()
    for path in html_files(shipped_site):
        page = parse(path)
        (meta,) = page.select('meta[http-equiv="Content-Security-Policy"]')
        policy = dict(part.strip().split(" ", 1) for part in meta["content"].split(";"))
        # Pagefind searches in WebAssembly: only the search pages may compile it (never eval JavaScript).
        search_page = path.parent.name == "search"
        script_src = "'self' 'wasm-unsafe-eval'" if search_page else "'self'"
        assert policy["default-src"] == "'self'" and policy["script-src"] == script_src and policy["style-src"] == "'self'"
        assert "unsafe" not in meta["content"].replace("'wasm-unsafe-eval'", "" if search_page else "'wasm-unsafe-eval'")
        assert meta["content"] in headers
        if not page.select(".chart-frame") and not search_page:
            assert not page.select('script:not([type="application/ld+json"])'), f"{path}: script on a page without charts"


def test_chart_colours_contrast_with_the_background():
    from portal import charts

    def luminance(hex_colour):
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in [*charts.COLOURS, charts.TARGET_COLOUR, charts.TRACK_STROKE, charts.TEXT_COLOUR]:
        ratio = (1.05) / (luminance(colour) + 0.05)
        assert ratio >= 3, f"{colour} has contrast {ratio:.2f}:1 against white"


def test_every_chart_labels_its_values_directly(shipped_site):
    # Colour is never the only key: each chart writes its values (and names its parts) as text.
    for path in shipped_site.glob("charts/*.vl.json"):
        spec = json.loads(path.read_text())
        texts = [layer for layer in spec["layer"] if (layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]) == "text"]
        assert texts, f"{path.name} has no text labels"


def test_catalogue_and_published_package_describe_every_column(shipped_site):
    page = parse(shipped_site / "vi/data/index.html" if (shipped_site / "vi").exists() else shipped_site / "data/index.html")
    notes = page.select("#dataset-tasks table.columns .field-note")
    assert len(notes) == 6 and "thường xuyên" in notes[4].get_text()
    package = json.loads((shipped_site / "data/datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        for spec in resource["schema"]["fields"]:
            assert spec["title"] and spec["description"]
