"""data/: CSV files checked against datapackage.json, every problem located and reported at once."""

import csv
import datetime as dt
import json
import pickle
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_project
from portal.data import load_datasets
from portal.table import convert_cell
from portal.errors import BuildError

ROOT = Path(__file__).resolve().parents[1]


def problems_for(tmp_path: Path, counts: str | bytes) -> list[str]:
    root = write_project(tmp_path, {"data/counts.csv": counts})
    with pytest.raises(BuildError) as caught:
        load_datasets(root)
    return [p.format() for p in caught.value.problems]


def shipped_rows(resource: dict) -> list[dict]:
    """A shipped CSV file read with the csv module, each cell typed by its field in datapackage.json."""
    types = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
    typed = {"integer": int, "year": int, "number": float, "date": lambda cell: dt.date.fromisoformat(cell).isoformat()}
    with (ROOT / "data" / resource["path"]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == list(types), f"{resource['path']}: columns differ from datapackage.json"
    # An empty cell is a missing figure, whatever the field's type.
    return [{name: typed.get(types[name], str)(cell) if cell != "" else None for name, cell in row.items()}
            for row in rows]


def test_shipped_data_loads_with_real_figures():
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    datasets = {d.name: d for d in load_datasets(ROOT)}
    assert set(datasets) == {r["name"] for r in package["resources"]}
    for resource in package["resources"]:
        expected = shipped_rows(resource)
        records = datasets[resource["name"]].records()
        assert records == expected, resource["name"]
        # Counts stay integers and measures floats: 25 == 25.0 would hide a column read as the wrong type.
        assert [{k: type(v) for k, v in r.items()} for r in records] == [{k: type(v) for k, v in r.items()} for r in expected]
    # A dataset by year is as of the end of its latest year.
    latest = max(r["year"] for r in shipped_rows(next(r for r in package["resources"] if r["name"] == "online_dossiers")))
    assert datasets["online_dossiers"].as_of == dt.date(latest, 12, 31)


def test_new_rows_need_no_code_change(tmp_path):
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-06-30,40,1000\n2023-12-31,40,1500\n2024-01-31,412,20\n"})
    (dataset,) = [d for d in load_datasets(root) if d.name == "counts"]
    assert len(dataset.records()) == 3 and str(dataset.as_of) == "2024-01-31"


def test_rows_given_out_are_copies_and_each_dataset_gives_its_own(tmp_path):
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-06-30,40,1000\n2024-01-31,412,20\n"})
    datasets = {d.name: d for d in load_datasets(root)}
    counts, units = datasets["counts"], datasets["units"]
    rows = counts.records()
    rows[0]["issued"], rows[0]["added"] = -1, "x"  # what a caller does with its rows stays with it
    assert counts.records()[0] == {"date": "2023-06-30", "unit_code": "40", "issued": 1000}
    # Asked in turns, each dataset gives its own rows (and the same rows as a part of it given whole).
    for _ in range(2):
        assert [r["code"] for r in units.records()] == ["40", "412"]
        assert [r["issued"] for r in counts.records()] == [1000, 20] == [r["issued"] for r in counts.records(counts.frame)]


def test_a_pickled_dataset_reads_its_rows_back_only_when_asked(tmp_path):
    root = write_project(tmp_path, {"data/counts.csv": "date,unit_code,issued\n2023-06-30,40,1000\n2024-01-31,412,20\n"})
    (dataset,) = [d for d in load_datasets(root) if d.name == "counts"]
    again = pickle.loads(pickle.dumps(dataset))
    # What pages ask of every dataset is kept as it was, without the rows.
    assert "frame" not in vars(again)
    assert (again.as_of, again.period, again.unit_codes) == (dt.date(2024, 1, 31), "2023-06-30/2024-01-31", {"40", "412"})
    assert "frame" not in vars(again)
    assert again.records() == dataset.records()
    # Pickled again, whether its rows were read back or not, it is the same dataset.
    assert pickle.loads(pickle.dumps(again)).records() == dataset.records()
    assert pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(dataset)))).records() == dataset.records()
    with pytest.raises(AttributeError):
        again.no_such_field


def test_every_bad_cell_is_reported_with_row_column_value_and_rule(tmp_path):
    found = problems_for(tmp_path, "date,unit_code,issued\n2023-02-31,40,12a\n2023-12-31,99,-5\n")
    assert found == [
        'data/counts.csv:2:1: value "2023-02-31" is not a real date in the form YYYY-MM-DD (date)',
        'data/counts.csv:2:3: value "12a" is not an integer (digits only, no separators) (issued)',
        'data/counts.csv:3:2: value "99" is not a known code in units (unit_code)',
        'data/counts.csv:3:3: value "-5" is below the minimum 0 (issued)',
    ]


def test_bom_and_crlf_are_accepted(tmp_path):
    root = write_project(tmp_path, {"data/counts.csv": b"\xef\xbb\xbfdate,unit_code,issued\r\n2023-12-31,40,7\r\n"})
    (dataset,) = [d for d in load_datasets(root) if d.name == "counts"]
    assert dataset.records() == [{"date": "2023-12-31", "unit_code": "40", "issued": 7}]


def test_latin1_bytes_name_the_encoding_and_line(tmp_path):
    found = problems_for(tmp_path, "date,unit_code,issued\n2023-12-31,40,7\n".encode() + "2023-12-30,4\u00e9,7\n".encode("latin-1"))
    assert found == ["data/counts.csv:3: byte 0xE9 is not UTF-8; save the file as UTF-8 (it looks like Windows-1258 or Latin-1)"]


@pytest.mark.parametrize("text, expected", [
    ("", "data/counts.csv:1: the file is empty; expected the header date,unit_code,issued"),
    ("date,unit_code,issued\n", "data/counts.csv:1: the file has a header but no rows"),
    ("date,issued\n2023-12-31,4\n", "data/counts.csv:1: header must be date,unit_code,issued (missing unit_code)"),
    ("date,unit_code,issued,extra\n", "data/counts.csv:1: header must be date,unit_code,issued (unexpected extra)"),
    ("date,unit_code,issued\n2023-12-31,40,1,2\n", "data/counts.csv:2: row has 4 cells, the header has 3"),
    ("date,unit_code,issued\n2023-12-31,40,1\n2023-12-31,40,1\n",
     "data/counts.csv:3: duplicate row: date, unit_code already used on row 2"),
    ("date,unit_code,issued\n2023-12-31,40,\n", "data/counts.csv:2:3: value is required but empty (issued)"),
    # Digits alone, but beyond what an integer column holds (pandas would read them as floats).
    ("date,unit_code,issued\n2023-12-31,40,1111111111111111128620\n",
     'data/counts.csv:2:3: value "1111111111111111128620" is not an integer of at most 18 digits (issued)'),
    ("date,unit_code,issued\n2023-12-31,40,7\n2023-12-30,40,18446744073709551615\n",
     'data/counts.csv:3:3: value "18446744073709551615" is not an integer of at most 18 digits (issued)'),
])
def test_odd_files(tmp_path, text, expected):
    assert expected in problems_for(tmp_path, text)


def test_nfd_text_is_normalised_to_nfc(tmp_path):
    nfd = "code,name,type,parent_code\n40,Tỉnh Thử,province,\n414,Thi\u0323 xa\u0303 Tha\u0301i Hoa\u0300,town,40\n"
    root = write_project(tmp_path, {"data/units.csv": nfd})
    (units,) = [d for d in load_datasets(root) if d.name == "units"]
    assert units.records()[1]["name"] == "Thị xã Thái Hoà"


def test_datapackage_syntax_error_names_line_and_column(tmp_path):
    root = write_project(tmp_path)
    (root / "data/datapackage.json").write_text('{\n  "resources": [,]\n}\n')
    with pytest.raises(BuildError) as caught:
        load_datasets(root)
    assert caught.value.problems[0].format() == "data/datapackage.json:2:17: JSON syntax: Expecting value"


def test_indicator_naming_an_unknown_field(tmp_path):
    from conftest import TINY_PACKAGE
    import copy
    package = copy.deepcopy(TINY_PACKAGE)
    package["resources"][0]["indicator"]["headline"]["value"] = "issud"
    root = write_project(tmp_path, package=package)
    with pytest.raises(BuildError) as caught:
        load_datasets(root)
    assert "resource counts: indicator refers to an unknown field 'issud'" in caught.value.problems[0].message


def test_convert_cell_types():
    assert convert_cell("42", {"type": "integer"}) == (42, None)
    assert convert_cell("12.34", {"type": "number"}) == (12.34, None)
    assert convert_cell("12,34", {"type": "number"})[1].startswith('value "12,34" is not a number')
    assert convert_cell("2023", {"type": "year"}) == (2023, None)
    assert convert_cell("450", {"type": "number", "constraints": {"maximum": 100}})[1] == 'value "450" is above the maximum 100'
    assert convert_cell("x", {"type": "string", "constraints": {"enum": ["a", "b"]}})[1] == 'value "x" is not one of a, b'


# Short odd texts, and runs of digits up to past what an integer column holds.
CELL = st.one_of(st.text(alphabet=string.printable + "ăâđêôơưạảấầẩẫậ\u0301\u0300=+-@\x00\ufeff", max_size=12),
                 st.from_regex(r"\A[+-]?[0-9]{1,30}\Z"), st.from_regex(r"\A[+-]?[0-9]{17,22}\Z"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(date=CELL, unit=CELL, issued=CELL)
def test_random_cells_give_a_report_or_a_clean_load_never_a_traceback(tmp_path, date, unit, issued):
    import csv
    import io
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["date", "unit_code", "issued"], [date, unit, issued]])
    root = write_project(tmp_path, {"data/counts.csv": buffer.getvalue().encode("utf-8")})
    try:
        load_datasets(root)
    except BuildError as exc:
        assert exc.problems and all(p.path == "data/counts.csv" for p in exc.problems)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(issued=CELL, name=CELL)
def test_random_edits_give_a_clean_report_or_a_clean_build(tmp_path_factory, issued, name):
    import csv
    import io
    from portal.build import build
    counts, units = io.StringIO(), io.StringIO()
    csv.writer(counts).writerows([["date", "unit_code", "issued"], ["2023-12-31", "40", issued]])
    csv.writer(units).writerows([["code", "name", "type", "parent_code"], ["40", name, "province", ""]])
    root = write_project(tmp_path_factory.mktemp("edit"), {"data/counts.csv": counts.getvalue().encode(),
                                                           "data/units.csv": units.getvalue().encode()})
    try:
        build(root, root / "site")
    except BuildError as exc:
        assert exc.problems and not (root / "site").exists()
    else:
        assert (root / "site" / "index.html").is_file()


def test_an_unreadable_file_is_reported_once(tmp_path):
    found = problems_for(tmp_path, "date,unit_code,issued\n".encode() + "2023-12-31,4\u00e9,7\n".encode("cp1258"))
    assert found == ["data/counts.csv:2: byte 0xE9 is not UTF-8; save the file as UTF-8 (it looks like Windows-1258 or Latin-1)"]


def test_every_shipped_field_is_titled_and_described_in_every_language():
    import json
    package = json.loads((ROOT / "data/datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert set(resource["titles"]) == {"vi", "en", "ar"} and set(resource["descriptions"]) == {"vi", "en", "ar"}
        for spec in resource["schema"]["fields"]:
            assert set(spec["titles"]) == {"vi", "en", "ar"}, (resource["name"], spec["name"])
            assert set(spec["descriptions"]) == {"vi", "en", "ar"}, (resource["name"], spec["name"])


def test_source_digest_follows_the_package_and_the_file(tmp_path):
    root = write_project(tmp_path / "p")

    def digests():
        found: dict[str, str] = {}
        load_datasets(root, digests=found)
        return found

    first = digests()
    assert all(len(value) == 64 for value in first.values()) and first == digests()
    counts = root / "data" / "counts.csv"
    counts.write_text(counts.read_text(encoding="utf-8").replace("1500", "1501"), encoding="utf-8")
    second = digests()
    assert second["counts"] != first["counts"] and second["units"] == first["units"]
    package = root / "data" / "datapackage.json"
    package.write_text(package.read_text(encoding="utf-8").replace('"Date"', '"Day"'), encoding="utf-8")
    third = digests()
    assert third["counts"] != second["counts"] and third["units"] != second["units"]


def test_rule_and_reference_checks_are_remembered_until_their_inputs_change(tmp_path, monkeypatch):
    from portal import data
    from portal.build.memo import Memo

    root = write_project(tmp_path / "p")
    calls: list[tuple[str, str]] = []
    real_rules, real_references = data.check_rules, data.check_foreign_keys
    monkeypatch.setattr(data, "check_rules", lambda d, f, shown, today: calls.append(("rules", shown))
                        or real_rules(d, f, shown, today))
    monkeypatch.setattr(data, "check_foreign_keys", lambda d, tables, shown: calls.append(("references", shown))
                        or real_references(d, tables, shown))

    def messages(today=dt.date(2024, 1, 1)) -> list[str]:
        calls.clear()
        try:
            load_datasets(root, today, remember=Memo(root).step)
        except BuildError as exc:
            return [p.format() for p in exc.problems]
        return []

    assert messages() == [] and ("rules", "data/counts.csv") in calls
    assert messages() == [] and calls == []  # nothing changed: both verdicts from the cache
    assert messages(dt.date(2023, 12, 1)) != [] and ("rules", "data/counts.csv") in calls  # another day
    # The referred table loses a code: the table that refers to it is checked again.
    units = root / "data" / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("40,Tỉnh Thử,province,\n", ""), encoding="utf-8")
    found = messages()
    assert ("references", "data/counts.csv") in calls and ("rules", "data/counts.csv") not in calls
    assert any('data/counts.csv:2:2: value "40" is not a known code in units' in m for m in found)
    assert messages() == found and ("references", "data/counts.csv") not in calls  # the same, remembered
