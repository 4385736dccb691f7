"""The harvestable catalogue: DCAT-AP 3 in JSON-LD, data/catalog.jsonld and one data/NAME.jsonld
per dataset, made from the data package and the published downloads (their sizes and checksums)."""

from __future__ import annotations

import json

from .config import Config
from .data import Dataset
from .metadata import province_name
from .release import MEDIA_TYPES, RELEASE_DIR, FileFacts, dataset_paths
from .render import page_path

CATALOG = f"{RELEASE_DIR}/catalog.jsonld"
# Written out in every file, so a harvester (or a test without a network) never fetches a context.
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "locn": "http://www.w3.org/ns/locn#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# EU controlled vocabularies that DCAT-AP asks for.
AUTHORITY = "http://publications.europa.eu/resource/authority/"
LANGUAGES = {"vi": "VIE", "en": "ENG", "ar": "ARA"}
FREQUENCIES = {"monthly": "MONTHLY", "quarterly": "QUARTERLY", "yearly": "ANNUAL"}
FILE_TYPES = {"csv": "CSV", "json": "JSON", "xlsx": "XLSX"}
THEME = "GOVE"  # government and public sector
IANA = "https://www.iana.org/assignments/media-types/"


def make_catalog(config: Config, package: dict, datasets, release: dict[str, FileFacts]) -> dict[str, bytes]:
    """data/catalog.jsonld and data/NAME.jsonld of every dataset: {path: bytes}.

    `release` describes the published downloads (see make_release), whose sizes and checksums it states.
    """
    publisher = _publisher(config, package)
    province = province_name(datasets, config.province_code)
    nodes = [make_dcat_dataset(config, d, release, publisher, province, landing_page(config, d)) for d in datasets]
    files = {dataset_paths(d.name)["jsonld"]: _jsonld({"@context": CONTEXT, **node})
             for d, node in zip(datasets, nodes)}
    dates = [d.as_of for d in datasets if d.as_of]
    catalog = _drop_none({
        "@context": CONTEXT,
        "@id": config.base_url + CATALOG,
        "@type": "dcat:Catalog",
        "dct:title": _texts(package.get("titles", {}), package.get("name", "")),
        "dct:description": _texts({lang.code: lang.description for lang in config.languages}, ""),
        "dct:publisher": publisher,
        "dct:license": {"@id": config.licence_url},
        "dct:language": _languages(config),
        "foaf:homepage": {"@id": config.base_url},
        "dct:modified": _date(max(dates)) if dates else None,
        "dcat:themeTaxonomy": {"@id": AUTHORITY + "data-theme"},
        "dcat:dataset": nodes,
    })
    files[CATALOG] = _jsonld(catalog)
    return files


def make_dcat_dataset(config: Config, dataset: Dataset, release: dict[str, FileFacts], publisher: dict,
                      province: str | None, landing: str | None) -> dict:
    """One dcat:Dataset with its three distributions."""
    paths = dataset_paths(dataset.name)
    url = config.base_url + paths["jsonld"]
    frequency = next((r.get("every") for r in dataset.rules if r.get("rule") == "update-frequency"), None)
    distributions = []
    for ext, media in MEDIA_TYPES.items():
        published = release[paths[ext]]
        address = config.base_url + paths[ext]
        distributions.append({
            "@id": f"{url}#{ext}",
            "@type": "dcat:Distribution",
            "dct:title": _texts({code: f"{title} ({FILE_TYPES[ext]})" for code, title in dataset.titles.items()}, ""),
            "dcat:accessURL": {"@id": address},
            "dcat:downloadURL": {"@id": address},
            "dcat:mediaType": {"@id": IANA + media},
            "dct:format": {"@id": f"{AUTHORITY}file-type/{FILE_TYPES[ext]}"},
            "dct:license": {"@id": config.licence_url},
            "dcat:byteSize": {"@value": str(published.size), "@type": "xsd:nonNegativeInteger"},
            "spdx:checksum": {
                "@type": "spdx:Checksum",
                "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                "spdx:checksumValue": {"@value": published.sha256, "@type": "xsd:hexBinary"},
            },
        })
    period = _period(dataset)
    return _drop_none({
        "@id": url + "#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.name,
        "dct:title": _texts(dataset.titles, dataset.name),
        "dct:description": _texts(dataset.descriptions or dataset.titles, dataset.name),
        "dct:publisher": publisher,
        "dct:creator": publisher,
        "dct:source": [s.get("en") or s.get("") for s in dataset.sources] or None,
        "dct:language": _languages(config),
        "dcat:keyword": list((dataset.indicator or {}).get("tags", [])) or None,
        "dcat:theme": {"@id": f"{AUTHORITY}data-theme/{THEME}"},
        "dct:accrualPeriodicity": {"@id": f"{AUTHORITY}frequency/{FREQUENCIES.get(frequency, 'UNKNOWN')}"},
        "dct:temporal": period,
        "dct:spatial": {"@type": "dct:Location", "skos:prefLabel": province} if province else None,
        "dct:modified": _date(dataset.as_of) if dataset.as_of else None,
        "dcat:landingPage": {"@id": config.base_url + landing.replace("index.html", "")} if landing else None,
        "dcat:distribution": distributions,
    })


def landing_page(config: Config, dataset: Dataset) -> str:
    """The page that shows a dataset, in the first language: its indicator page, else its part of the data page."""
    lang = config.default_language
    if dataset.indicator:
        return page_path(lang, f"indicators/{dataset.indicator['slug']}")
    return page_path(lang, "data") + f"#dataset-{dataset.name}"


def _period(dataset: Dataset) -> dict | None:
    name = dataset.time_field
    if name is None or dataset.frame.empty:
        return None
    values = dataset.frame[name]
    if dataset.field(name).type == "year":
        start, end = f"{int(values.min())}-01-01", f"{int(values.max())}-12-31"
    else:
        start, end = values.min().isoformat(), values.max().isoformat()
    return {"@type": "dct:PeriodOfTime", "dcat:startDate": {"@value": start, "@type": "xsd:date"},
            "dcat:endDate": {"@value": end, "@type": "xsd:date"}}


def _publisher(config: Config, package: dict) -> dict:
    for person in package.get("contributors", []):
        if person.get("role") == "publisher" or "publisher" in person.get("roles", []):
            return {"@id": config.base_url + "#publisher", "@type": "foaf:Agent",
                    "foaf:name": _texts(person.get("titles", {}), person["title"])}
    return {"@id": config.base_url + "#publisher", "@type": "foaf:Agent", "foaf:name": package.get("name", "")}


def _languages(config: Config) -> list[dict]:
    return [{"@id": f"{AUTHORITY}language/{LANGUAGES[lang.code]}"} for lang in config.languages
            if lang.code in LANGUAGES]


def _texts(by_language: dict, fallback: str) -> list[dict] | str:
    texts = [{"@value": text, "@language": code} for code, text in by_language.items() if code and text]
    return texts or fallback


def _date(day) -> dict:
    return {"@value": day.isoformat(), "@type": "xsd:date"}


def _drop_none(node: dict) -> dict:
    return {k: v for k, v in node.items() if v is not None}


def _jsonld(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()
