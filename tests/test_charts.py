"""Chart specs compared as parsed data, and the summaries written from the same rows."""

import csv
import gettext
import json
from pathlib import Path

import pytest

from conftest import TINY_PACKAGE, write_project
from portal.charts import make_chart_specs, render_chart
from portal.config import load_config
from portal.data import load_datasets
from portal.i18n import Formatter
from portal.indicators import make_indicator

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT)
DATASETS = {d.name: d for d in load_datasets(ROOT)}
_ = gettext.NullTranslations().gettext
EN = Formatter(CONFIG.language("en"))
VI = Formatter(CONFIG.language("vi"))


def layers_with(spec: dict, mark: str) -> list[dict]:
    found = []
    for layer in spec["layer"]:
        kind = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        if kind == mark:
            found.append(layer)
    return found


def values(layer: dict, spec: dict) -> list[dict]:
    """A layer's rows, whether it carries them or shares the chart's."""
    return (layer.get("data") or spec["data"])["values"]


def test_online_rates_bars_by_scope_with_the_target_rule():
    spec = make_chart_specs(DATASETS["online_dossiers"], "40", EN, _)["wide"]
    (bars, *_rest) = layers_with(spec, "bar")
    assert [(v["label"], v["value"]) for v in values(bars, spec)] == [
        ("Whole province", 0.4503), ("District level", 0.5712), ("Departments and sectors", 0.2796),
        ("The 25 essential services", 0.744)]
    assert bars["encoding"]["x"]["axis"]["format"] == ".2~%"
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 1]
    # The target: a mark across each bar, and its label above the plot.
    (ticks,) = layers_with(spec, "tick")
    assert {v["value"] for v in values(ticks, spec)} == {0.4} and len(values(ticks, spec)) == 4
    label = next(layer for layer in layers_with(spec, "text") if values(layer, spec) == [{"value": 0.4, "text": "Target 40%"}])
    assert label["mark"]["y"] == 0 and label["mark"]["baseline"] == "bottom"
    assert spec["usermeta"]["embedOptions"]["formatLocale"]["decimal"] == "."


def test_tasks_progress_shows_parts_of_the_total():
    spec = make_chart_specs(DATASETS["tasks"], "40", EN, _)["narrow"]
    track, segments = layers_with(spec, "bar")
    assert [(t["total"], t["text"]) for t in values(track, spec)] == [(25, "23 of 25")]
    assert [(s["part"], s["value"]) for s in values(segments, spec)] == [("Completed", 23), ("In progress", 2)]
    assert spec["width"] == 300 and spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def shipped_rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_eid_accounts_are_a_line_over_time_with_the_target_above_the_plot():
    spec = make_chart_specs(DATASETS["eid_accounts"], "40", VI, _)["wide"]
    (line,) = layers_with(spec, "line")
    rows = shipped_rows("eid_accounts")
    collected = [(v["date"], v["value"]) for v in values(line, spec) if v["series"] == "Hồ sơ đã thu nhận"]
    assert collected == [(r["date"], int(r["applications_collected"])) for r in rows]
    assert line["encoding"]["x"]["type"] == "temporal"
    assert layers_with(spec, "point")  # each figure is a point, so a lone one still shows
    ends = [v["label"] for layer in layers_with(spec, "text") for v in values(layer, spec)]
    assert any(label.startswith("Hồ sơ đã thu nhận\n") for label in ends)  # labelled directly, no legend
    (rule,) = layers_with(spec, "rule")
    target = next(r["applications_target"] for r in rows if r["applications_target"])
    assert values(rule, spec) == [{"value": int(target)}]
    assert VI.number(int(target)) in str(spec["title"]["text"])  # named outside the plot
    assert spec["usermeta"]["embedOptions"]["formatLocale"]["thousands"] == "."


def test_a_single_figure_gets_no_chart_but_says_when_its_series_began():
    assert make_chart_specs(DATASETS["id_cards"], "40", EN, _) == {}
    headline = make_indicator(DATASETS["id_cards"], "40", EN, _).headline
    (row,) = shipped_rows("id_cards")
    assert EN.period(row["date"]) in headline.began


def test_static_svg_uses_the_language_number_format():
    chart = render_chart(DATASETS["eid_accounts"], "40", VI, _)
    rows = shipped_rows("eid_accounts")
    assert VI.number(int(rows[-1]["applications_collected"])) in chart.svgs["wide"]
    assert chart.dest_path("wide", "svg") == "charts/eid-accounts.vi.wide.svg"


@pytest.mark.parametrize("name, sentences", [
    ("online_dossiers", ("Whole province: 45.03%, 5.03 percentage points above the target of 40%.",
                         "Highest in 2023: The 25 essential services (74.4%). Lowest: Departments and sectors (27.96%).")),
    ("eid_accounts", ("Applications collected: 2,389,718 as of 6 December 2023. Up 895,177 (59.9%) since 15 April 2023. "
                      "That is 139.87% of the target of 1,708,473.",
                      "Accounts activated: 1,899,673 as of 6 December 2023. That is 111.19% of the target of 1,708,473.")),
    ("tasks", ("Completed: 23 of 25 (92%). In progress: 2.",)),
    ("public_services", ("Project 06 essential services: 25 of 25 (100%).", 'Under Decision "42": 6 of 11 (54.55%).')),
    ("id_cards", ("Cards issued: 2,852,992 as of 31 December 2023.",)),
    ("online_dossiers_monthly", ("Online rate in the month: 48.91% as of 18 April 2023.",)),
])
def test_summaries_are_written_from_the_data(name, sentences):
    assert make_indicator(DATASETS[name], "40", EN, _).summary == sentences


def test_headlines():
    dossiers = make_indicator(DATASETS["online_dossiers"], "40", VI, _).headline
    assert (dossiers.value, dossiers.detail) == ("45,03\u00a0%", "5,03 percentage points above the target of 40\u00a0%")
    accounts = make_indicator(DATASETS["eid_accounts"], "40", EN, _).headline
    assert (accounts.value, accounts.detail, accounts.as_of) == ("1,899,673", "of 2,389,718 (79.49%)", "6 December 2023")
    # The headline's row names its own sources, not every source of the dataset.
    cited = [s["en"] for s in DATASETS["eid_accounts"].sources if s["name"] in shipped_rows("eid_accounts")[-1]["source"].split()]
    assert accounts.sources == tuple(cited) and len(cited) == 2


def test_a_new_month_extends_the_line_and_the_change_sentence(tmp_path):
    # Generated test data.
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-10-31,40,800\n2023-11-30,40,1000\n"
                                                       "2023-12-31,40,1500\n2023-12-31,412,3\n"})
    counts = next(d for d in load_datasets(root) if d.name == "counts")
    spec = make_chart_specs(counts, "40", EN, _)["wide"]
    (line,) = layers_with(spec, "line")
    assert [v["date"] for v in values(line, spec)] == ["2023-10-31", "2023-11-30", "2023-12-31"]
    indicator = make_indicator(counts, "40", EN, _)
    assert indicator.summary == ("Issued: 1,500 as of 31 December 2023. Up 500 (50%) since 30 November 2023.",)
    assert indicator.headline.change == "Up 500 (50%) since 30 November 2023."
    assert len(indicator.headline.sparkline.split()) == 3  # three points: a sparkline


def test_a_monthly_rate_falling_is_said_in_points(tmp_path):
    # Generated test data.
    package = json.loads(json.dumps(TINY_PACKAGE))
    counts = package["resources"][0]
    counts["schema"]["fields"][2].update({"type": "number", "unit": "%"})
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-11-30,40,50.5\n2023-12-31,40,48\n"},
                         package=package)
    dataset = next(d for d in load_datasets(root) if d.name == "counts")
    assert make_indicator(dataset, "40", EN, _).headline.change == "Down 2.5 percentage points since 30 November 2023."


def test_right_to_left_charts_mirror_and_keep_text_in_reading_order():
    ar = Formatter(CONFIG.language("ar"))
    spec = make_chart_specs(DATASETS["online_dossiers"], "40", ar, _)["wide"]
    (bars, *_rest) = layers_with(spec, "bar")
    assert bars["encoding"]["x"]["scale"]["reverse"] is True
    assert bars["encoding"]["y"]["axis"]["orient"] == "right"
    texts = [row["text"] for layer in layers_with(spec, "text") for row in values(layer, spec) if "Target" in row["text"]]
    assert texts == ["\u202bTarget 40%\u202c"]  # the English msgid here; RTL embedding around it
    assert all(label["mark"]["align"] == "right" for label in layers_with(spec, "text") if isinstance(label["mark"], dict) and "align" in label["mark"])
    order = bars["encoding"]["y"]["sort"]
    assert {v["label"] for v in values(bars, spec)} == set(order)


def test_left_to_right_charts_are_not_mirrored():
    spec = make_chart_specs(DATASETS["online_dossiers"], "40", EN, _)["wide"]
    (bars, *_rest) = layers_with(spec, "bar")
    assert bars["encoding"]["x"]["scale"]["reverse"] is False
    assert bars["encoding"]["y"]["axis"]["orient"] == "left"


@pytest.mark.parametrize("lang", ["vi", "en", "ar"])
@pytest.mark.parametrize("name", ["id_cards", "eid_accounts", "online_dossiers", "tasks", "public_services",
                                  "online_dossiers_monthly"])
def test_specs_are_valid_vega_lite(name, lang):
    fmt = Formatter(CONFIG.language(lang))
    fast = make_chart_specs(DATASETS[name], "40", fmt, _)
    checked = make_chart_specs(DATASETS[name], "40", fmt, _, validate=True)  # raises on an invalid spec
    assert fast == checked


def test_notable_dates_are_marked_on_a_line(tmp_path):
    # Generated test data.
    package = json.loads(json.dumps(TINY_PACKAGE))
    package["resources"][0]["indicator"]["chart"] = {
        "measures": ["issued"], "annotations": [{"date": "2023-09-01", "texts": {"en": "New rules", "vi": "Quy định mới"}}]}
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-06-30,40,1000\n2023-12-31,40,1500\n"},
                         package=package)
    counts = next(d for d in load_datasets(root) if d.name == "counts")
    spec = make_chart_specs(counts, "40", EN, _, validate=True)["narrow"]
    (rule,) = layers_with(spec, "rule")
    assert values(rule, spec) == [{"date": "2023-09-01", "label": "New rules"}]
    assert spec["height"] == make_chart_specs(counts, "40", EN, _)["narrow"]["height"]  # a fixed box
