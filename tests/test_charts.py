"""Chart specs compared as parsed data, and the summaries written from the same rows."""

import gettext
from pathlib import Path

import pytest

from conftest import write_project
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
    (rule,) = layers_with(spec, "rule")
    assert values(rule, spec) == [{"value": 0.4, "text": "Target 40%"}]
    assert spec["usermeta"]["embedOptions"]["formatLocale"]["decimal"] == "."


def test_tasks_progress_shows_parts_of_the_total():
    spec = make_chart_specs(DATASETS["tasks"], "40", EN, _)["narrow"]
    track, segments = layers_with(spec, "bar")
    assert [(t["total"], t["text"]) for t in values(track, spec)] == [(25, "23 of 25")]
    assert [(s["part"], s["value"]) for s in values(segments, spec)] == [("Completed", 23), ("In progress", 2)]
    assert spec["width"] == 300 and spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_eid_accounts_collected_beside_activated():
    spec = make_chart_specs(DATASETS["eid_accounts"], "40", VI, _)["wide"]
    (bars,) = layers_with(spec, "bar")
    assert [(v["measure"], v["text"]) for v in values(bars, spec)] == [
        ("Hồ sơ đã thu nhận", "2.389.718"), ("Tài khoản đã kích hoạt", "1.899.673")]
    assert spec["usermeta"]["embedOptions"]["formatLocale"]["thousands"] == "."


def test_static_svg_uses_the_language_number_format():
    chart = render_chart(DATASETS["id_cards"], "40", VI, _)
    assert "2.852.992" in chart.svgs["wide"] and "31/12/2023" in chart.svgs["narrow"]
    assert chart.dest_path("wide", "svg") == "charts/id-cards.vi.wide.svg"


@pytest.mark.parametrize("name, sentences", [
    ("online_dossiers", ("Whole province: 45.03%, 5.03 percentage points above the target of 40%.",
                         "Highest in 2023: The 25 essential services (74.4%). Lowest: Departments and sectors (27.96%).")),
    ("eid_accounts", ("Accounts activated: 1,899,673, that is 79.49% of Applications collected (2,389,718), "
                      "as of 31 December 2023.",)),
    ("tasks", ("Completed: 23 of 25 (92%). In progress: 2.",)),
    ("public_services", ("Project 06 essential services: 25 of 25 (100%).", 'Under Decision "42": 6 of 11 (54.55%).')),
    ("id_cards", ("Cards issued: 2,852,992 as of 31 December 2023.",)),
])
def test_summaries_are_written_from_the_data(name, sentences):
    assert make_indicator(DATASETS[name], "40", EN, _).summary == sentences


def test_headlines():
    dossiers = make_indicator(DATASETS["online_dossiers"], "40", VI, _).headline
    assert (dossiers.value, dossiers.detail) == ("45,03\u00a0%", "5,03 percentage points above the target of 40\u00a0%")
    accounts = make_indicator(DATASETS["eid_accounts"], "40", EN, _).headline
    assert (accounts.value, accounts.detail, accounts.as_of) == ("1,899,673", "of 2,389,718 (79.49%)", "31 December 2023")


def test_a_new_month_adds_a_bar_and_a_change_sentence(tmp_path):
    # Generated test data.
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-11-30,40,1000\n2023-12-31,40,1500\n2023-12-31,412,3\n"})
    counts = next(d for d in load_datasets(root) if d.name == "counts")
    spec = make_chart_specs(counts, "40", EN, _)["wide"]
    (bars,) = layers_with(spec, "bar")
    assert [v["label"] for v in values(bars, spec)] == ["30 November 2023", "31 December 2023"]
    summary = make_indicator(counts, "40", EN, _).summary
    assert summary == ("Issued: 1,500 as of 31 December 2023.", "That is 500 more than on 30 November 2023.")


def test_right_to_left_charts_mirror_and_keep_text_in_reading_order():
    ar = Formatter(CONFIG.language("ar"))
    spec = make_chart_specs(DATASETS["online_dossiers"], "40", ar, _)["wide"]
    (bars, *_rest) = layers_with(spec, "bar")
    assert bars["encoding"]["x"]["scale"]["reverse"] is True
    assert bars["encoding"]["y"]["axis"]["orient"] == "right"
    (rule,) = layers_with(spec, "rule")
    texts = [row["text"] for row in values(rule, spec)]
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
@pytest.mark.parametrize("name", ["id_cards", "eid_accounts", "online_dossiers", "tasks", "public_services"])
def test_specs_are_valid_vega_lite(name, lang):
    fmt = Formatter(CONFIG.language(lang))
    fast = make_chart_specs(DATASETS[name], "40", fmt, _)
    checked = make_chart_specs(DATASETS[name], "40", fmt, _, validate=True)  # raises on an invalid spec
    assert fast == checked
