"""The static API in api/v1/: one JSON file per indicator and per administrative unit listing every
value with its source and as-of date, an index of them, and an Atom feed per dataset and language
with an entry for each period's figures."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from .config import PORTAL_TZ, Config
from .data import Dataset
from .feed import ATOM, ID_NAMESPACE, XML_NS
from .indicators import field_title, format_value
from .render import page_path

API_DIR = "api/v1"
# A feed reader wants the news, not the archive: the downloads hold every period.
FEED_PERIODS = 20


def api_paths() -> dict[str, str]:
    """Address patterns of the API files, relative to the site root."""
    return {"index": f"{API_DIR}/index.json", "indicator": f"{API_DIR}/indicators/{{slug}}.json",
            "unit": f"{API_DIR}/units/{{code}}.json", "feed": f"{API_DIR}/feeds/{{name}}.{{lang}}.xml"}


def make_api(config: Config, package: dict, datasets, values_of=None) -> Iterator[tuple[str, bytes]]:
    """api/v1/indicators/SLUG.json, api/v1/units/CODE.json and api/v1/index.json, one at a time: (path, bytes).

    Each value names its dataset and measure; the file describes them (titles, unit, sources).
    Values are written out dataset by dataset, so thousands of them are never all held as objects,
    and each indicator's file is handed on as soon as it is made.
    `values_of(dataset, units)` (default make_values) gives a dataset's values as written.
    """
    paths = api_paths()
    units = _units(package, datasets)
    values_of = values_of or (lambda dataset, units: make_values(package, dataset, units))
    licence = {"name": config.licence_name, "path": config.licence_url}
    index = {"version": 1, "licence": licence, "indicators": [], "units": [], "feeds": []}
    by_unit: dict[str, list[str]] = {}
    unit_datasets: dict[str, set[str]] = {}
    described: dict[str, dict] = {}
    for dataset in datasets:
        values = values_of(dataset, units)
        if not values:
            continue
        about = describe(dataset)
        for code, value in values:
            if code is not None:
                by_unit.setdefault(code, []).append(value)
                unit_datasets.setdefault(code, set()).add(dataset.name)
        described[dataset.name] = about
        if dataset.indicator:
            slug = dataset.indicator["slug"]
            path = paths["indicator"].format(slug=slug)
            head = {"slug": slug, **about, "licence": licence,
                    "page": config.base_url + page_path(config.default_language, f"indicators/{slug}")}
            yield path, _document(head, [value for _code, value in values])
            index["indicators"].append({"slug": slug, "dataset": dataset.name, "titles": dataset.titles,
                                        "as_of": about["as_of"], "address": config.base_url + path})
        for lang in config.languages if dataset.time_field else ():
            index["feeds"].append({"dataset": dataset.name, "lang": lang.code,
                                   "address": config.base_url + paths["feed"].format(name=dataset.name, lang=lang.code)})
    for code, unit in units.items():
        path = paths["unit"].format(code=code)
        names = [d.name for d in datasets if d.name in unit_datasets.get(code, ())]
        head = {**unit, "licence": licence, "datasets": {name: described[name] for name in names}}
        yield path, _document(head, by_unit.pop(code, []))
        index["units"].append({"code": code, "name": unit["name"], "address": config.base_url + path})
    yield paths["index"], _json(index)


def describe(dataset: Dataset) -> dict:
    """What a file of values says once about the dataset they come from."""
    return {"dataset": dataset.name, "titles": dataset.titles, "as_of": _iso(dataset.as_of),
            "sources": _sources(dataset),
            "measures": {f.name: {"titles": f.titles, "unit": f.unit} for f in dataset.fields
                         if f.type in ("integer", "number")}}


def make_values(package: dict, dataset: Dataset, units: dict) -> tuple[tuple[str | None, str], ...]:
    """dataset_values as written into the files: (unit code, compact JSON) each."""
    return tuple((value["unit_code"], _compact(value)) for value in dataset_values(package, dataset, units))


def dataset_values(package: dict, dataset: Dataset, units: dict) -> list[dict]:
    """Every measured value of a dataset, one record each, with its unit, period and as-of date."""
    unit_field = _unit_field(package, dataset)
    time_field = dataset.time_field
    measures = [f.name for f in dataset.fields if f.type in ("integer", "number")]
    dimensions = [f.name for f in dataset.fields if f.type == "string" and f.name != unit_field]
    yearly = bool(time_field) and dataset.field(time_field).type == "year"
    values = []
    for row in dataset.records():
        period = row.get(time_field) if time_field else None
        code = str(row[unit_field]) if unit_field and row.get(unit_field) is not None else None
        for measure in measures:
            if row.get(measure) is None:
                continue
            value = {"dataset": dataset.name, "measure": measure, "value": row[measure], "unit_code": code,
                     "unit_name": units.get(code, {}).get("name") if code else None,
                     "period": period, "as_of": f"{period}-12-31" if yearly else period}
            if dimensions:
                value["dimensions"] = {name: row[name] for name in dimensions}
            values.append(value)
    return values


def _compact(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _document(head: dict, values: list[str]) -> bytes:
    """A JSON object: `head`'s keys, then "values" with one value a line."""
    text = json.dumps(head, ensure_ascii=False, indent=1)
    body = ",\n  ".join(values)
    return (text[:-2] + ',\n "values": [\n  ' + body + "\n ]\n}\n" if values else
            text[:-2] + ',\n "values": []\n}\n').encode()


def make_dataset_feed(config: Config, lang, data, dataset: Dataset) -> dict[str, bytes]:
    """The Atom feed of one dataset in one language (`data`: that language's SiteData), by its path,
    an entry per period (the latest FEED_PERIODS); none for a dataset without periods (a list such as
    the units).

    A period's entry keeps its id, so a revised figure shows as a change of that entry's content.
    """
    if not dataset.time_field:
        return {}
    _ = data.fmt.gettext
    path = api_paths()["feed"].format(name=dataset.name, lang=lang.code)
    feed = ET.Element("feed", {"xmlns": ATOM, f"{{{XML_NS}}}lang": lang.code})
    _text(feed, "title", f"{dataset.titles.get(lang.code, dataset.name)} – {lang.title}")
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": config.base_url + path})
    target = (page_path(lang, f"indicators/{dataset.indicator['slug']}") if dataset.indicator
              else page_path(lang, "data") + f"#dataset-{dataset.name}")
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": config.base_url + target})
    _text(feed, "id", _urn(f"dataset-feed:{dataset.name}:{lang.code}"))
    periods = _periods(dataset)
    _text(feed, "updated", _stamp(periods[0][1] if periods else dt.date(2022, 1, 6)))
    _text(ET.SubElement(feed, "author"), "name", lang.title)
    _text(feed, "rights", config.licence_name)
    unit_field = next((f.name for f in dataset.fields if f.name == "unit_code"), None)
    for period, day, rows in periods[:FEED_PERIODS]:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "title", _("Figures as of %(date)s") % {"date": data.fmt.date(day)} + ": "
              + dataset.titles.get(lang.code, dataset.name))
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": config.base_url + target})
        _text(entry, "id", _urn(f"dataset-entry:{dataset.name}:{lang.code}:{period}"))
        _text(entry, "updated", _stamp(day))
        lines = []
        # The province-wide rows when there are such rows: a feed entry announces, the downloads list.
        province = [row for row in rows if str(row[unit_field]) == config.province_code] if unit_field else []
        for row in province or rows:
            cells = [f"{field_title(dataset, f.name, lang.code)}: {format_value(dataset, f.name, row[f.name], data.fmt)}"
                     for f in dataset.fields if row[f.name] is not None and f.name != dataset.time_field]
            lines.append("; ".join(cells))
        _text(entry, "summary", " · ".join(lines))
    ET.indent(feed)
    return {path: ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"}


def _periods(dataset: Dataset) -> list[tuple[str, dt.date, list[dict]]]:
    """(period as text, its last day, its rows), newest first."""
    name = dataset.time_field
    if name is None:
        return []
    groups: dict = {}
    for row in dataset.records():
        if row[name] is not None:
            groups.setdefault(row[name], []).append(row)
    is_year = dataset.field(name).type == "year"
    # Dates come as ISO text, which sorts as the dates do.
    return [(str(int(value)) if is_year else value,
             dt.date(int(value), 12, 31) if is_year else dt.date.fromisoformat(value), groups[value])
            for value in sorted(groups, reverse=True)]


def _units(package: dict, datasets) -> dict[str, dict]:
    """The administrative units by code, from the table the foreign keys point to (with a `name` column)."""
    targets = {key.get("reference", {}).get("resource") for resource in package.get("resources", [])
               for key in resource.get("schema", {}).get("foreignKeys", [])}
    for dataset in datasets:
        names = {f.name for f in dataset.fields}
        if dataset.name in targets and {"code", "name"} <= names:
            return {str(row["code"]): row for row in dataset.records()}
    return {}


def _unit_field(package: dict, dataset: Dataset) -> str | None:
    for resource in package.get("resources", []):
        if resource.get("name") == dataset.name:
            for key in resource.get("schema", {}).get("foreignKeys", []):
                if isinstance(key.get("fields"), str):
                    return key["fields"]
    return None


def _sources(dataset: Dataset) -> list[dict]:
    return [{code: text for code, text in source.items() if code} or {"": source.get("", "")}
            for source in dataset.sources]


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _json(document) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, name)
    element.text = text
    return element


def _urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, name)}"


def _stamp(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(), PORTAL_TZ).isoformat()
