"""Progress shown from the data alone: generated monthly and district rows give lines, ranked
district charts and a page per unit, in every language, with no change to the code."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import parse, write_project
from generated import COUNTS, UNITS, district_package

LANGS = {"vi": "", "en": "en/", "ar": "ar/"}

@pytest.mark.parametrize("lang", LANGS)
def test_monthly_rows_give_a_line_and_district_rows_a_ranked_chart(district_site, lang):
    page = parse(district_site / f"{LANGS[lang]}indicators/counts.html")
    frames = page.select("figure#chart-counts .chart-frame")
    assert len(frames) == 2  # the line over time, then the districts ranked
    main = json.loads((district_site / f"{LANGS[lang]}indicators" / frames[0]["data-spec-wide"]).resolve().read_text())
    marks = {layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in main["layer"]}
    assert {"line", "point"} <= marks
    ranked = json.loads((district_site / f"{LANGS[lang]}indicators" / frames[1]["data-spec-wide"]).resolve().read_text())
    bars = next(layer for layer in ranked["layer"] if layer["mark"] == "bar" or layer["mark"].get("type") == "bar")
    # Long names are wrapped onto lines; each line carries its own right-to-left marks.
    labels = [" ".join(line.strip("\u202b\u202c") for line in row["label"].split("\n")) for row in bars["data"]["values"]]
    expected = {"vi": ["Thành phố Thử Nghiệm Có Tên Rất Dài", "Huyện Thử"], "en": ["Test City", "Test District"],
                "ar": ["مدينة تجريبية", "مقاطعة فرعية تجريبية"]}[lang]
    assert labels == expected  # named, highest first
    reference = next(layer for layer in ranked["layer"] if layer["mark"] == "tick" or layer["mark"].get("type") == "tick")
    assert {row["value"] for row in reference["data"]["values"]} == {1500}  # the province figure, across each bar


@pytest.mark.parametrize("lang", LANGS)
def test_ranked_table_and_unit_pages_name_every_unit(district_site, lang):
    page = parse(district_site / f"{LANGS[lang]}indicators/counts.html")
    ranked = page.select_one("section[aria-labelledby=by-unit] table")
    names = [th.get_text(" ", strip=True) for th in ranked.select("tbody th")]
    assert [n.split(" (")[0] for n in names][1] in ("Huyện Thử", "Test District", "مقاطعة فرعية تجريبية")
    links = [a["href"] for a in ranked.select("tbody a")]
    assert links[0].endswith("units/412.html")
    cells = [td.get_text() for td in page.select("table.data-table")[0].select("tbody td")]
    assert any("(413)" in c for c in cells)  # a code never appears without its name
    unit = parse((district_site / f"{LANGS[lang]}indicators" / links[1]).resolve())
    row = unit.select_one("tbody tr")
    assert row.select_one("a")["href"].endswith("indicators/counts.html")
    assert "600" in row.get_text() and "1" in row.get_text()


def test_headline_moves_with_a_sparkline_and_freshness(district_site):
    page = parse(district_site / "en/indicators/counts.html")
    change = page.select_one(".headline .card-change")
    assert change.get_text(strip=True) == "Up 500 (50%) since 30 November 2023."
    assert change.select_one("svg.sparkline polyline")["points"].count(",") == 3
    facts = page.select_one("dl.facts").get_text(" ", strip=True)
    assert "next expected by 31 January 2024" in facts and "Overdue" not in facts


def test_an_overdue_dataset_is_marked_and_check_warns(tmp_path):
    from portal.build.inputs import load_inputs

    root = write_project(tmp_path, {"data/units.csv": UNITS, "data/counts.csv": COUNTS}, package=district_package())
    inputs = load_inputs(root, clock="2024-03-15T12:00+07:00")
    assert any("overdue" in w.message and w.path == "data/counts.csv" for w in inputs.warnings)
    with pytest.raises(Exception) as raised:
        load_inputs(root, clock="2024-03-15T12:00+07:00", strict=True)
    assert "overdue" in str(raised.value)


def test_unit_figures_rank_each_unit_among_those_with_a_figure_on_its_own_latest_date(tmp_path):
    from portal.config import load_config
    from portal.data import load_datasets
    from portal.i18n import Formatter
    from portal.indicators import make_indicator
    from portal.render import unit_figures

    # Generated rows: the second district's latest figure is a month older than the others'.
    counts = ("date,unit_code,issued\n2023-11-30,40,1000\n2023-11-30,412,300\n2023-11-30,413,200\n"
              "2023-12-31,40,1500\n2023-12-31,412,900\n")
    root = write_project(tmp_path, {"data/units.csv": UNITS, "data/counts.csv": counts}, package=district_package())
    config = load_config(root)
    (dataset,) = [d for d in load_datasets(root, dt.date(2024, 1, 15)) if d.indicator]
    fmt = Formatter(config.language("en"))
    indicator = make_indicator(dataset, config.province_code, fmt)
    shown = {code: unit_figures(indicator, code, fmt) for code in ("412", "413", "499")}
    assert [shown["412"][k] for k in ("value", "date", "province", "rank", "of")] == ["900", "31 December 2023", "1,500", 1, 1]
    assert [shown["413"][k] for k in ("value", "date", "province", "rank", "of")] == ["200", "30 November 2023", "1,000", 2, 2]
    assert shown["499"] is None  # no figure for that unit
