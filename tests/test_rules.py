"""Named rules beyond the Table Schema, warnings, --strict and --clock. All data here is generated."""

import copy
import datetime as dt

import pandas as pd
import pytest
from click.testing import CliRunner

from build import cli
from conftest import TINY_PACKAGE, write_project
from portal.rules import check_rules, describe_rules

TODAY = dt.date(2024, 2, 1)
FIELDS = [{"name": n, "type": t} for n, t in [("date", "date"), ("unit_code", "string"), ("collected", "integer"),
                                              ("activated", "integer"), ("done", "integer"), ("doing", "integer"),
                                              ("total", "integer"), ("rate", "number")]]


def check(rules, rows):
    descriptor = {"schema": {"fields": FIELDS, "primaryKey": ["date", "unit_code"]}, "rules": rules}
    frame = pd.DataFrame([{**dict.fromkeys(f["name"] for f in FIELDS), **row} for row in rows],
                         index=range(2, len(rows) + 2))
    for f in FIELDS:
        if f["type"] == "integer":
            frame[f["name"]] = frame[f["name"]].astype("Int64")
        elif f["type"] == "number":
            frame[f["name"]] = frame[f["name"]].astype("float64")
    return [p.format() for p in check_rules(descriptor, frame, "data/x.csv", TODAY)]


def d(text):
    return dt.date.fromisoformat(text)


def test_cumulative_counts_never_fall_within_a_unit():
    rows = [{"date": d("2023-10-31"), "unit_code": "40", "collected": 100},
            {"date": d("2023-12-31"), "unit_code": "40", "collected": 90},
            {"date": d("2023-11-30"), "unit_code": "40", "collected": 120},
            {"date": d("2023-12-31"), "unit_code": "412", "collected": 5}]
    assert check([{"rule": "non-decreasing", "field": "collected"}], rows) == [
        'data/x.csv:3:3: value "90" on 2023-12-31 is lower than "120" on 2023-11-30; a cumulative count cannot fall '
        "(rule non-decreasing)"]


def test_activated_not_above_collected():
    rows = [{"collected": 10, "activated": 11}, {"collected": 10, "activated": 10}]
    assert check([{"rule": "not-above", "field": "activated", "limit": "collected"}], rows) == [
        'data/x.csv:2:4: value "11" is greater than collected "10" (rule not-above)']


def test_completed_plus_in_progress_not_above_total():
    rows = [{"done": 7, "doing": 4, "total": 10}, {"done": 7, "doing": 3, "total": 10}]
    assert check([{"rule": "sum-not-above", "fields": ["done", "doing"], "limit": "total"}], rows) == [
        'data/x.csv:2:5: done + doing = 11 is greater than total "10" (rule sum-not-above)']


def test_rate_equals_numerator_over_denominator():
    rows = [{"done": 45, "total": 100, "rate": 45.0}, {"done": 45, "total": 100, "rate": 54.0}]
    assert check([{"rule": "ratio", "field": "rate", "numerator": "done", "denominator": "total"}], rows) == [
        'data/x.csv:3:8: value "54.0" differs from done / total = 45.00 (rule ratio)']


def test_dates_in_the_future_of_the_build_clock():
    assert check([], [{"date": d("2024-02-02")}, {"date": d("2024-02-01")}]) == [
        'data/x.csv:2:1: value "2024-02-02" is in the future of the build date 2024-02-01 (rule not-in-future)']


def test_rule_declarations_are_checked():
    descriptor = {"schema": {"fields": FIELDS}, "rules": [{"rule": "not-below"}, {"rule": "not-above", "field": "x", "limit": "total"}]}
    assert describe_rules(descriptor) == [
        "unknown rule 'not-below'; known: non-decreasing, not-above, sum-not-above, ratio, not-in-future, update-frequency",
        "rule not-above names an unknown field 'x'"]


def stale_project(tmp_path):
    package = copy.deepcopy(TINY_PACKAGE)
    package["resources"][0]["rules"] = [{"rule": "update-frequency", "every": "monthly"}]
    return write_project(tmp_path / "p", package=package)


def test_stale_data_warns_but_builds_and_fails_with_strict(tmp_path):
    root = stale_project(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["--project", str(root), "check", "--clock", "2024-03-15T00:00+07:00"])
    assert result.exit_code == 0
    warning = ("data/counts.csv: warning: the latest row is from 2023-12-31, older than the declared monthly updates "
               "(rule update-frequency)")
    assert warning in result.output
    strict = runner.invoke(cli, ["--project", str(root), "check", "--strict", "--clock", "2024-03-15T00:00+07:00"])
    assert strict.exit_code == 1
    assert "data/counts.csv: the latest row is from 2023-12-31" in strict.output and "[--strict]" in strict.output
    fresh = runner.invoke(cli, ["--project", str(root), "check", "--strict", "--clock", "2024-01-15T00:00+07:00"])
    assert fresh.exit_code == 0 and "warning" not in fresh.output


def test_clock_decides_what_the_future_is(tmp_path):
    root = write_project(tmp_path / "p")
    runner = CliRunner()
    early = runner.invoke(cli, ["--project", str(root), "check", "--clock", "2023-12-30T23:00+07:00"])
    assert early.exit_code == 1 and "(rule not-in-future)" in early.output
    bad = runner.invoke(cli, ["--project", str(root), "check", "--clock", "yesterday"])
    assert bad.exit_code == 1 and "--clock: 'yesterday' is not a date-time" in bad.output


def test_frictionless_catches_what_the_reader_lets_pass(tmp_path):
    root = write_project(tmp_path / "p", {"data/counts.csv": "date,unit_code,issued\n2023-06-30,40,5\n\n2023-12-31,40,15\n"})
    result = CliRunner().invoke(cli, ["--project", str(root), "check"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "data/counts.csv:3: the row is blank; delete it"


@pytest.mark.parametrize("rule", ["non-decreasing", "not-above", "sum-not-above"])
def test_shipped_data_declares_its_rules(rule):
    import json
    from pathlib import Path
    package = json.loads((Path(__file__).resolve().parents[1] / "data/datapackage.json").read_text())
    assert any(r["rule"] == rule for res in package["resources"] for r in res.get("rules", []))


def test_a_changed_table_alone_is_checked_again_and_still_caught(tmp_path, monkeypatch):
    from portal import data as data_module
    from portal.errors import BuildError
    from portal.build import build

    root = write_project(tmp_path / "p")
    build(root, root / "site", clock="2024-02-01T09:00+07:00")  # every resource found valid
    checked = []
    real = data_module.check_with_frictionless

    def spy(package_path, project, found, names=None):
        checked.append(names)
        return real(package_path, project, found, names)

    monkeypatch.setattr(data_module, "check_with_frictionless", spy)
    (root / "data" / "counts.csv").write_text("date,unit_code,issued\n2023-06-30,40,5\n\n2023-12-31,40,15\n",
                                              encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(root, root / "site", clock="2024-02-01T09:00+07:00")
    assert checked == [["counts"]]  # units.csv is unchanged, yet read for the foreign key
    assert [(p.path, p.line, p.message) for p in caught.value.problems] == [
        ("data/counts.csv", 3, "the row is blank; delete it")]
    (root / "data" / "counts.csv").write_text("date,unit_code,issued\n2023-06-30,40,5\n2023-12-31,41,15\n",
                                              encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(root, root / "site", clock="2024-02-01T09:00+07:00")
    assert checked[-1] == ["counts"]
    assert any(p.path == "data/counts.csv" and p.line == 3 for p in caught.value.problems)
