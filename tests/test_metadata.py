"""Page heads: canonical address, description, Open Graph and Twitter card, preview images, JSON-LD."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from conftest import SUBPATH_BASE_URL, parse

LANGS = {"vi": "", "en": "en/", "ar": "ar/"}
INDICATORS = ["id-cards", "eid-accounts", "online-dossiers", "tasks", "public-services", "online-dossiers-monthly"]
# A single figure has no chart, so its page has no preview image of one.
SINGLE = {"id-cards", "online-dossiers-monthly"}
ARTICLE = "news/so-ket-hai-nam-de-an-06.html"

# The schema.org vocabulary the portal uses: each type with the properties it may carry (all of
# them defined for that type, or inherited, at schema.org). Anything else is a mistake.
THING = {"@id", "@type", "name", "description", "url", "image", "alternateName"}
CREATIVE_WORK = THING | {"inLanguage", "license", "publisher", "creator", "author", "keywords", "citation",
                         "dateModified", "datePublished", "isAccessibleForFree", "mainEntityOfPage", "headline"}
VOCABULARY = {
    "GovernmentOrganization": THING,
    "Organization": THING,
    "WebSite": CREATIVE_WORK,
    "WebPage": CREATIVE_WORK,
    "CollectionPage": CREATIVE_WORK,
    "Dataset": CREATIVE_WORK | {"distribution", "temporalCoverage", "spatialCoverage", "variableMeasured",
                                "includedInDataCatalog"},
    "DataDownload": CREATIVE_WORK | {"encodingFormat", "contentUrl"},
    "DataCatalog": CREATIVE_WORK | {"dataset"},
    "NewsArticle": CREATIVE_WORK,
    "Place": THING,
    "PropertyValue": THING | {"unitText"},
    "BreadcrumbList": THING | {"itemListElement"},
    "ListItem": THING | {"position", "item"},
}


def json_ld(path: Path) -> dict:
    (script,) = parse(path).select('script[type="application/ld+json"]')
    document = json.loads(script.string)
    assert document["@context"] == "https://schema.org"
    return document


def nodes(value):
    """Every object with a @type, at any depth."""
    if isinstance(value, dict):
        if "@type" in value:
            yield value
        for item in value.values():
            yield from nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from nodes(item)


def of_type(document: dict, kind: str) -> list[dict]:
    return [node for node in nodes(document) if node["@type"] == kind]


def test_json_ld_uses_only_known_schema_org_types_and_properties(shipped_site):
    pages = [p for p in shipped_site.rglob("*.html") if not p.name == "404.html" and "pagefind" not in p.parts]
    assert len(pages) > 30
    for path in pages:
        for node in nodes(json_ld(path)["@graph"]):
            assert node["@type"] in VOCABULARY, f"{path}: unknown type {node['@type']}"
            unknown = set(node) - VOCABULARY[node["@type"]]
            assert not unknown, f"{path}: {node['@type']} has no properties {unknown}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("slug", INDICATORS)
def test_indicator_pages_describe_their_dataset(subpath_site, lang, slug):
    page = f"{LANGS[lang]}indicators/{slug}.html"
    graph = json_ld(subpath_site / page)["@graph"]
    (dataset,) = of_type(graph, "Dataset")
    assert dataset["name"] == parse(subpath_site / page).h1.get_text(strip=True)
    assert dataset["description"] and dataset["inLanguage"] == lang
    assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"
    # One date, or the span from the first to the latest (ISO 8601 interval).
    assert re.fullmatch(r"\d{4}(-\d\d-\d\d)?(/\d{4}(-\d\d-\d\d)?)?", dataset["temporalCoverage"])
    assert dataset["spatialCoverage"] == {"@type": "Place", "name": "Tỉnh Nghệ An"}
    formats = {d["encodingFormat"]: d["contentUrl"] for d in dataset["distribution"]}
    assert set(formats) == {"text/csv", "application/json",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    measured = {v["name"]: v.get("unitText") for v in dataset["variableMeasured"]}
    assert len(measured) == len(parse(subpath_site / page).select_one("table.data-table").select("thead th"))
    for url in formats.values():
        assert url.startswith(SUBPATH_BASE_URL + "data/")
        assert (subpath_site / url.removeprefix(SUBPATH_BASE_URL)).is_file()
    (publisher,) = of_type(graph, "GovernmentOrganization")
    assert dataset["publisher"] == dataset["creator"] == {"@id": publisher["@id"]}
    assert publisher["name"] == {"vi": "Ủy ban nhân dân tỉnh Nghệ An", "en": "Nghệ An Provincial People's Committee",
                                 "ar": "اللجنة الشعبية لمقاطعة نغي آن"}[lang]


def test_catalogue_lists_every_dataset_as_a_data_catalog(shipped_site):
    graph = json_ld(shipped_site / "en/data/index.html")["@graph"]
    (catalogue,) = of_type(graph, "DataCatalog")
    page = parse(shipped_site / "en/data/index.html")
    assert [d["name"] for d in catalogue["dataset"]] == [h.get_text(strip=True) for h in page.select("section.dataset h2")]
    for dataset in catalogue["dataset"]:
        anchor = dataset["url"].split("#", 1)[1]
        assert parse(shipped_site / "en/data/index.html").find(id=anchor)


@pytest.mark.parametrize("lang", LANGS)
def test_announcements_are_news_articles(shipped_site, lang):
    path = shipped_site / LANGS[lang] / ARTICLE
    graph = json_ld(path)["@graph"]
    (article,) = of_type(graph, "NewsArticle")
    page = parse(path)
    assert article["headline"] == page.h1.get_text(strip=True)
    assert article["datePublished"].startswith("2024-01-19")
    assert article["inLanguage"] == lang and article["author"]["name"]
    assert article["publisher"]["@id"] == of_type(graph, "GovernmentOrganization")[0]["@id"]
    assert page.select_one('meta[property="og:type"]')["content"] == "article"
    assert page.select_one('meta[property="article:published_time"]')["content"].startswith("2024-01-19")


def test_breadcrumbs_lead_from_home_to_the_page(shipped_site):
    graph = json_ld(shipped_site / "en/indicators/tasks.html")["@graph"]
    (crumbs,) = of_type(graph, "BreadcrumbList")
    items = crumbs["itemListElement"]
    assert [i["position"] for i in items] == [1, 2, 3]
    assert [i["item"] for i in items] == ["/en/", "/en/indicators/", "/en/indicators/tasks.html"]
    assert items[-1]["name"] == parse(shipped_site / "en/indicators/tasks.html").h1.get_text(strip=True)
    assert not of_type(json_ld(shipped_site / "en/index.html")["@graph"], "BreadcrumbList")


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_head_has_canonical_description_open_graph_and_twitter_card(shipped_site, lang):
    folder = shipped_site / LANGS[lang] if lang != "vi" else shipped_site
    pages = [p for p in folder.rglob("*.html") if "pagefind" not in p.parts]
    if lang == "vi":
        pages = [p for p in pages if p.relative_to(shipped_site).parts[0] not in ("en", "ar")]
    for path in pages:
        head = parse(path).head
        relative = path.relative_to(shipped_site).as_posix()
        (canonical,) = head.select('link[rel="canonical"]')
        assert canonical["href"] == "/" + relative.removesuffix("index.html")
        description = head.select_one('meta[name="description"]')["content"]
        assert description.strip()
        og = {m["property"]: m["content"] for m in head.select("meta[property]")}
        assert og["og:url"] == canonical["href"] and og["og:description"] == description
        assert og["og:title"] and og["og:site_name"] and og["og:type"] in ("website", "article")
        assert og["og:locale"] == {"vi": "vi_VN", "en": "en_US", "ar": "ar_EG"}[lang]
        twitter = {m["name"]: m["content"] for m in head.select("meta[name^='twitter:']")}
        assert twitter["twitter:card"] == ("summary_large_image" if "og:image" in og else "summary")
        assert twitter["twitter:description"] == description


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("slug", INDICATORS)
def test_each_indicator_page_has_a_small_preview_image_of_its_chart(subpath_site, lang, slug):
    head = parse(subpath_site / f"{LANGS[lang]}indicators/{slug}.html").head
    og = {m["property"]: m["content"] for m in head.select("meta[property]")}
    if slug in SINGLE:
        assert "og:image" not in og
        return
    assert og["og:image"] == f"{SUBPATH_BASE_URL}charts/{slug}.{lang}.og.png"
    assert og["og:image:alt"].strip() and og["og:image:type"] == "image/png"
    png = (subpath_site / og["og:image"].removeprefix(SUBPATH_BASE_URL)).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (int(og["og:image:width"]), int(og["og:image:height"]))
    assert width == 1200 and 600 <= height <= 660  # about the 1.91:1 that link previews use
    assert len(png) < 60_000
    twitter = {m["name"]: m["content"] for m in head.select("meta[name^='twitter:']")}
    assert twitter["twitter:image"] == og["og:image"]


def test_base_url_makes_head_addresses_absolute_under_the_sub_path(subpath_site):
    head = parse(subpath_site / "ar/news/so-ket-hai-nam-de-an-06.html").head
    assert head.select_one('link[rel="canonical"]')["href"] == SUBPATH_BASE_URL + "ar/news/so-ket-hai-nam-de-an-06.html"
    assert head.select_one('meta[property="og:url"]')["content"].startswith(SUBPATH_BASE_URL)
    # Links between pages stay relative, so the same files also work from disk.
    assert head.select_one('link[rel="stylesheet"]')["href"].startswith("../../assets/")


def test_search_and_404_pages_ask_not_to_be_indexed(shipped_site):
    for path in ("search/index.html", "en/search/index.html", "404.html", "ar/404.html"):
        assert parse(shipped_site / path).select_one('meta[name="robots"]')["content"] == "noindex"
    assert not parse(shipped_site / "en/index.html").select('meta[name="robots"]')
