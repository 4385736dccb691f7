"""Chart specs compared as parsed data, and the summaries written from the same rows."""

import csv
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
EN = Formatter(CONFIG.language("en"))
VI = Formatter(CONFIG.language("vi"))
PACKAGE = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))


def shipped_rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def province_rows(name: str) -> list[dict]:
    """The province-wide rows of a shipped CSV file, as text."""
    return [r for r in shipped_rows(name) if r["unit_code"] == CONFIG.province_code]


def resource(name: str) -> dict:
    return next(r for r in PACKAGE["resources"] if r["name"] == name)


def field_spec(name: str, field: str) -> dict:
    return next(f for f in resource(name)["schema"]["fields"] if f["name"] == field)


def title(name: str, field: str, value: str | None = None, lang: str = "en") -> str:
    """A field's title, or the title of one of its values, as data/datapackage.json gives it."""
    spec = field_spec(name, field)
    return spec["titles"][lang] if value is None else spec["enumTitles"][value][lang]


def margin(rate: float, target: float, fmt: Formatter) -> str:
    """How far a rate is from its target, in the words of the summaries and headlines."""
    side = "above" if rate >= target else "below"
    return f"{fmt.number(abs(rate - target))} percentage points {side} the target of {fmt.percent(target)}"


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
    spec = make_chart_specs(DATASETS["online_dossiers"], "40", EN)["wide"]
    (bars, *_rest) = layers_with(spec, "bar")
    rows = province_rows("online_dossiers")
    # One bar per scope, in the file's order, each percentage on the 0–1 scale of the axis.
    assert [(v["label"], v["value"]) for v in values(bars, spec)] == [
        (title("online_dossiers", "scope", r["scope"]), pytest.approx(float(r["rate_pct"]) / 100)) for r in rows]
    assert len(rows) > 1
    assert bars["encoding"]["x"]["axis"]["format"] == ".2~%"
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 1]
    # The target: a mark across each bar, and its label above the plot.
    (target,) = {float(r["target_pct"]) for r in rows if r["target_pct"]}
    (ticks,) = layers_with(spec, "tick")
    assert [v["value"] for v in values(ticks, spec)] == [pytest.approx(target / 100)] * len(rows)
    wanted = [{"value": pytest.approx(target / 100), "text": f"Target {EN.percent(target)}"}]
    label = next(layer for layer in layers_with(spec, "text") if values(layer, spec) == wanted)
    assert label["mark"]["y"] == 0 and label["mark"]["baseline"] == "bottom"
    assert spec["usermeta"]["embedOptions"]["formatLocale"]["decimal"] == "."


def test_tasks_progress_shows_parts_of_the_total():
    spec = make_chart_specs(DATASETS["tasks"], "40", EN)["narrow"]
    track, segments = layers_with(spec, "bar")
    (row,) = province_rows("tasks")
    assigned, completed, in_progress = (int(row[k]) for k in ("assigned", "completed", "in_progress"))
    assert [(t["total"], t["text"]) for t in values(track, spec)] == [
        (assigned, f"{EN.number(completed)} of {EN.number(assigned)}")]
    assert [(s["part"], s["value"]) for s in values(segments, spec)] == [
        (title("tasks", "completed"), completed), (title("tasks", "in_progress"), in_progress)]
    assert spec["width"] == 300 and spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_eid_accounts_are_a_line_over_time_with_the_target_above_the_plot():
    spec = make_chart_specs(DATASETS["eid_accounts"], "40", VI)["wide"]
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
    assert make_chart_specs(DATASETS["id_cards"], "40", EN) == {}
    headline = make_indicator(DATASETS["id_cards"], "40", EN).headline
    (row,) = shipped_rows("id_cards")
    assert EN.period(row["date"]) in headline.began


def test_static_svg_uses_the_language_number_format():
    chart = render_chart(DATASETS["eid_accounts"], "40", VI)
    rows = shipped_rows("eid_accounts")
    assert VI.number(int(rows[-1]["applications_collected"])) in chart.svgs["wide"]
    assert chart.dest_path("wide", "svg") == "charts/eid-accounts.vi.wide.svg"


def over_time(name: str, fields: list[str], target: str | None = None) -> list[str]:
    """For each field: its latest figure and date, its change since the figure before, its share of the target."""
    rows = sorted(province_rows(name), key=lambda r: r["date"])
    sentences = []
    for field in fields:
        history = [r for r in rows if r[field]]
        last = history[-1]
        percent = field_spec(name, field).get("unit") == "%"
        value = float(last[field]) if percent else int(last[field])
        shown = EN.percent(value) if percent else EN.number(value)
        sentence = f"{title(name, field)}: {shown} as of {EN.period(last['date'])}."
        if len(history) > 1:
            before = history[-2]
            old = float(before[field]) if percent else int(before[field])
            change = abs(value - old)
            amount = (f"{EN.number(change)} percentage points" if percent
                      else f"{EN.number(change)} ({EN.percent(100 * change / old)})")
            word = "Up" if value > old else "Down"
            sentence += f" {word} {amount} since {EN.period(before['date'])}."
        if target and last[target]:
            goal = int(last[target])
            sentence += f" That is {EN.percent(100 * value / goal)} of the target of {EN.number(goal)}."
        sentences.append(sentence)
    return sentences


def expected_summary(name: str) -> tuple[str, ...]:
    """The summary sentences for a shipped dataset, worked out here from the rows of its CSV file."""
    rows = province_rows(name)
    if name == "online_dossiers":
        latest = max(r["year"] for r in rows)
        rows = [r for r in rows if r["year"] == latest]

        def scope(row):
            return title(name, "scope", row["scope"])

        def rate(row):
            return float(row["rate_pct"])

        high, low = max(rows, key=rate), min(rows, key=rate)
        return (*[f"{scope(r)}: {EN.percent(rate(r))}, {margin(rate(r), float(r['target_pct']), EN)}."
                  for r in rows if r["target_pct"]],
                f"Highest in {latest}: {scope(high)} ({EN.percent(rate(high))}). "
                f"Lowest: {scope(low)} ({EN.percent(rate(low))}).")
    if name == "eid_accounts":
        return tuple(over_time(name, ["applications_collected", "accounts_activated"], target="applications_target"))
    if name == "tasks":
        (row,) = rows
        assigned, completed, in_progress = (int(row[k]) for k in ("assigned", "completed", "in_progress"))
        return (f"{title(name, 'completed')}: {EN.number(completed)} of {EN.number(assigned)} "
                f"({EN.percent(100 * completed / assigned)}). {title(name, 'in_progress')}: {EN.number(in_progress)}.",)
    if name == "public_services":
        return tuple(f"{title(name, 'service_list', r['service_list'])}: {EN.number(int(r['implemented']))} of "
                     f"{EN.number(int(r['total']))} ({EN.percent(100 * int(r['implemented']) / int(r['total']))})."
                     for r in rows)
    return tuple(over_time(name, resource(name)["indicator"]["chart"]["measures"]))


@pytest.mark.parametrize("name", ["online_dossiers", "eid_accounts", "tasks", "public_services", "id_cards",
                                  "online_dossiers_monthly"])
def test_summaries_are_written_from_the_data(name):
    assert make_indicator(DATASETS[name], "40", EN).summary == expected_summary(name)


def test_the_shipped_summaries_say_the_margin_extremes_growth_and_share_of_target():
    # What the summaries above are checked for, still found in the shipped rows.
    dossiers = " ".join(expected_summary("online_dossiers"))
    assert "percentage points above the target" in dossiers and "Highest in" in dossiers
    collected, activated = expected_summary("eid_accounts")
    assert " since " in collected and "of the target of" in collected and "of the target of" in activated


# Generated test data, not real figures: rates by scope (the long names of generated.py) with a target.
@pytest.mark.parametrize("first, target, sentence", [
    ("33.33", "40", "33.33%, 6.67 percentage points below the target of 40%."),
    ("55.5", "50", "55.5%, 5.5 percentage points above the target of 50%."),
])
def test_a_rate_by_scope_says_its_margin_and_the_highest_and_lowest(tmp_path, first, target, sentence):
    from generated import LONG, UNITS, long_label_package

    rates = f"year,unit_code,scope,rate_pct,target_pct\n2023,40,a,{first},{target}\n2023,40,b,88.88,\n2023,40,c,22.22,\n"
    root = write_project(tmp_path, {"data/units.csv": UNITS, "data/rates.csv": rates}, package=long_label_package())
    dataset = next(d for d in load_datasets(root) if d.name == "rates")
    assert make_indicator(dataset, "40", EN).summary == (
        f"{LONG['a']['en']}: {sentence}",
        f"Highest in 2023: {LONG['b']['en']} (88.88%). Lowest: {LONG['c']['en']} (22.22%).")


def test_a_count_says_its_growth_and_its_share_of_the_target(tmp_path):
    # Generated test data, not real figures.
    package = json.loads(json.dumps(TINY_PACKAGE))
    counts = package["resources"][0]
    counts["schema"]["fields"].append({"name": "goal", "type": "integer", "titles": {"en": "Goal"}})
    counts["indicator"]["chart"] = {"measures": ["issued"], "target": "goal"}
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued,goal\n2023-06-30,40,1000,\n"
                                                       "2023-12-31,40,1500,1200\n"}, package=package)
    dataset = next(d for d in load_datasets(root) if d.name == "counts")
    assert make_indicator(dataset, "40", EN).summary == (
        "Issued: 1,500 as of 31 December 2023. Up 500 (50%) since 30 June 2023. That is 125% of the target of 1,200.",)


def test_headlines():
    dossiers = make_indicator(DATASETS["online_dossiers"], "40", VI).headline
    rows = province_rows("online_dossiers")
    (province,) = [r for r in rows if r["scope"] == "province" and r["year"] == max(r["year"] for r in rows)]
    rate, target = float(province["rate_pct"]), float(province["target_pct"])
    assert (dossiers.value, dossiers.detail) == (VI.percent(rate), margin(rate, target, VI))
    accounts = make_indicator(DATASETS["eid_accounts"], "40", EN).headline
    latest = max((r for r in province_rows("eid_accounts") if r["accounts_activated"]), key=lambda r: r["date"])
    activated, collected = int(latest["accounts_activated"]), int(latest["applications_collected"])
    assert (accounts.value, accounts.detail, accounts.as_of) == (
        EN.number(activated), f"of {EN.number(collected)} ({EN.percent(100 * activated / collected)})", EN.period(latest["date"]))
    # The headline's row names its own sources, not every source of the dataset.
    cited = [s["en"] for s in DATASETS["eid_accounts"].sources if s["name"] in latest["source"].split()]
    assert accounts.sources == tuple(cited) and len(cited) == 2


def test_a_new_month_extends_the_line_and_the_change_sentence(tmp_path):
    # Generated test data.
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-10-31,40,800\n2023-11-30,40,1000\n"
                                                       "2023-12-31,40,1500\n2023-12-31,412,3\n"})
    counts = next(d for d in load_datasets(root) if d.name == "counts")
    spec = make_chart_specs(counts, "40", EN)["wide"]
    (line,) = layers_with(spec, "line")
    assert [v["date"] for v in values(line, spec)] == ["2023-10-31", "2023-11-30", "2023-12-31"]
    indicator = make_indicator(counts, "40", EN)
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
    assert make_indicator(dataset, "40", EN).headline.change == "Down 2.5 percentage points since 30 November 2023."


def test_right_to_left_charts_mirror_and_keep_text_in_reading_order():
    ar = Formatter(CONFIG.language("ar"))
    spec = make_chart_specs(DATASETS["online_dossiers"], "40", ar)["wide"]
    (bars, *_rest) = layers_with(spec, "bar")
    assert bars["encoding"]["x"]["scale"]["reverse"] is True
    assert bars["encoding"]["y"]["axis"]["orient"] == "right"
    texts = [row["text"] for layer in layers_with(spec, "text") for row in values(layer, spec) if "Target" in row["text"]]
    (target,) = {float(r["target_pct"]) for r in province_rows("online_dossiers") if r["target_pct"]}
    assert texts == [f"\u202bTarget {ar.percent(target)}\u202c"]  # the English msgid here; RTL embedding around it
    assert all(label["mark"]["align"] == "right" for label in layers_with(spec, "text") if isinstance(label["mark"], dict) and "align" in label["mark"])
    order = bars["encoding"]["y"]["sort"]
    assert {v["label"] for v in values(bars, spec)} == set(order)


def test_left_to_right_charts_are_not_mirrored():
    spec = make_chart_specs(DATASETS["online_dossiers"], "40", EN)["wide"]
    (bars, *_rest) = layers_with(spec, "bar")
    assert bars["encoding"]["x"]["scale"]["reverse"] is False
    assert bars["encoding"]["y"]["axis"]["orient"] == "left"


@pytest.mark.parametrize("lang", ["vi", "en", "ar"])
@pytest.mark.parametrize("name", ["id_cards", "eid_accounts", "online_dossiers", "tasks", "public_services",
                                  "online_dossiers_monthly"])
def test_specs_are_valid_vega_lite(name, lang):
    fmt = Formatter(CONFIG.language(lang))
    fast = make_chart_specs(DATASETS[name], "40", fmt)
    checked = make_chart_specs(DATASETS[name], "40", fmt, validate=True)  # raises on an invalid spec
    assert fast == checked


def test_notable_dates_are_marked_on_a_line(tmp_path):
    # Generated test data.
    package = json.loads(json.dumps(TINY_PACKAGE))
    package["resources"][0]["indicator"]["chart"] = {
        "measures": ["issued"], "annotations": [{"date": "2023-09-01", "texts": {"en": "New rules", "vi": "Quy định mới"}}]}
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-06-30,40,1000\n2023-12-31,40,1500\n"},
                         package=package)
    counts = next(d for d in load_datasets(root) if d.name == "counts")
    spec = make_chart_specs(counts, "40", EN, validate=True)["narrow"]
    (rule,) = layers_with(spec, "rule")
    assert values(rule, spec) == [{"date": "2023-09-01", "label": "New rules"}]
    assert spec["height"] == make_chart_specs(counts, "40", EN)["narrow"]["height"]  # a fixed box


def test_charts_and_summaries_speak_the_language_of_their_formatter():
    from portal.i18n import load_translations

    lang = CONFIG.language("vi")
    vi = Formatter(lang, load_translations(lang))
    target = vi.gettext("Target {value}").split("{value}")[0]
    assert target and target != "Target "
    translated = json.dumps(make_chart_specs(DATASETS["online_dossiers"], "40", vi)["wide"], ensure_ascii=False)
    assert f'"{target}' in translated and '"Target ' not in translated
    # Without a catalogue the interface strings stay as written, in English.
    untranslated = json.dumps(make_chart_specs(DATASETS["online_dossiers"], "40", VI)["wide"], ensure_ascii=False)
    assert '"Target ' in untranslated and f'"{target}' not in untranslated
    summary = " ".join(make_indicator(DATASETS["online_dossiers"], "40", vi).summary)
    margin = vi.gettext("{points} percentage points above the target of {target}").split("{points}")[1].split("{target}")[0]
    below = vi.gettext("{points} percentage points below the target of {target}").split("{points}")[1].split("{target}")[0]
    assert margin.strip() in summary or below.strip() in summary
