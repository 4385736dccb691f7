"""The static API: values by indicator and by unit with their source and date, an index, dataset feeds."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from conftest import parse

ATOM = "{http://www.w3.org/2005/Atom}"
# Every shipped indicator (slug -> dataset), in the order the data package lists them.
INDICATORS = {r["indicator"]["slug"]: r["name"] for r in json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    if r.get("indicator")}


def load(site, path: str):
    return json.loads((site / path).read_text(encoding="utf-8"))


def test_index_lists_every_indicator_unit_and_feed_at_an_address_that_exists(shipped_site):
    index = load(shipped_site, "api/v1/index.json")
    assert [i["slug"] for i in index["indicators"]] == list(INDICATORS)
    units = pd.read_csv(shipped_site / "data/units.csv", dtype=str)
    assert [u["code"] for u in index["units"]] == list(units["code"])
    for entry in index["indicators"] + index["units"] + index["feeds"]:
        assert (shipped_site / entry["address"].lstrip("/")).is_file(), entry["address"]
    assert {f["dataset"] for f in index["feeds"]} == set(INDICATORS.values())  # the units list has no periods


def test_indicator_values_carry_unit_period_source_and_as_of_date(shipped_site):
    for slug, name in INDICATORS.items():
        document = load(shipped_site, f"api/v1/indicators/{slug}.json")
        assert document["dataset"] == name and document["values"]
        frame = pd.json_normalize(document["values"])
        assert frame["as_of"].notna().all() and frame["unit_code"].map(type).eq(str).all()
        assert document["sources"][0]["en"] and document["as_of"] == frame["as_of"].max()
        assert set(frame["measure"]) <= set(document["measures"]) and set(frame["dataset"]) == {name}
        rows = pd.read_csv(shipped_site / f"data/{name}.csv", dtype={"unit_code": str})
        measures = [c for c in rows.columns if pd.api.types.is_numeric_dtype(rows[c]) and c not in ("year",)]
        assert len(frame) == int(rows[measures].notna().sum().sum())
        assert (shipped_site / document["page"].lstrip("/")).is_file()


def test_unit_file_holds_that_units_values_from_every_dataset(shipped_site):
    province = load(shipped_site, "api/v1/units/40.json")
    assert province["name"] and province["type"] == "province"
    assert {v["dataset"] for v in province["values"]} == set(INDICATORS.values()) == set(province["datasets"])
    assert all(d["sources"] for d in province["datasets"].values())
    assert all(v["unit_code"] == "40" for v in province["values"])
    assert load(shipped_site, "api/v1/units/412.json")["values"] == []  # no per-district figures are public


def test_each_dataset_has_an_atom_feed_per_language_with_an_entry_per_period(shipped_site):
    for lang, prefix in {"vi": "", "en": "en/", "ar": "ar/"}.items():
        feed = ET.parse(shipped_site / f"api/v1/feeds/tasks.{lang}.xml").getroot()
        assert feed.tag == ATOM + "feed" and feed.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        (entry,) = feed.findall(ATOM + "entry")
        assert entry.find(ATOM + "updated").text.startswith("2023-12-31")
        assert entry.find(ATOM + "id").text.startswith("urn:uuid:")
        assert entry.find(ATOM + "link").get("href") == f"/{prefix}indicators/tasks.html"
    page = parse(shipped_site / "en/indicators/tasks.html")
    assert page.select_one("a[type='application/atom+xml']")["href"] == "../../api/v1/feeds/tasks.en.xml"
    catalogue = parse(shipped_site / "en/data/index.html")
    assert catalogue.select_one("section.api a")["href"] == "../../api/v1/index.json"
