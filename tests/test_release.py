"""The open-data release in /data/: CSV with BOM, JSON, data package, READMEs, checksums, one zip."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from frictionless import Package

from conftest import parse

DATASETS = ["id_cards", "eid_accounts", "online_dossiers", "tasks", "public_services", "online_dossiers_monthly", "revisions", "units"]
ZIP = "data/nghe-an-project-06.zip"
SUFFIXES = (".csv", ".json", ".xlsx", ".metadata.json", ".README.md")


def test_every_dataset_has_stable_addresses(shipped_site):
    # The same names on every build: no fingerprints, so links from elsewhere keep working.
    for name in DATASETS:
        for suffix in SUFFIXES:
            assert (shipped_site / f"data/{name}{suffix}").is_file()
    for name in ("data/datapackage.json", "data/SHA256SUMS", ZIP):
        assert (shipped_site / name).is_file()


def test_csv_files_are_utf8_with_a_byte_order_mark(shipped_site):
    raw = (shipped_site / "data/units.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    with open(Path(__file__).resolve().parents[1] / "data" / "units.csv", encoding="utf-8") as f:
        shipped = list(csv.DictReader(f))
    assert {key: rows[0][key] for key in shipped[0]} == shipped[0] and rows[0]["name"] == "Tỉnh Nghệ An"
    assert rows[0]["type_name_en"] == "Province"  # the title of its type, beside the code
    assert len(rows) == 22


def test_csv_names_each_code_beside_it_in_every_language_that_words_it_differently(shipped_site):
    header, *rows = csv.reader(io.StringIO((shipped_site / "data/online_dossiers.csv").read_text(encoding="utf-8-sig")))
    assert header[:9] == ["year", "unit_code", "unit_name", "unit_name_en", "unit_name_ar",
                          "scope", "scope_name_vi", "scope_name_en", "scope_name_ar"]
    units = list(csv.DictReader(io.StringIO((shipped_site / "data/units.csv").read_text(encoding="utf-8-sig"))))
    for row in rows:
        record = dict(zip(header, row))
        unit = next(u for u in units if u["code"] == record["unit_code"])
        assert (record["unit_name"], record["unit_name_en"], record["unit_name_ar"]) == (
            unit["name"], unit["name_en"], unit["name_ar"])
    package = json.loads((shipped_site / "data/datapackage.json").read_text(encoding="utf-8"))
    scope = next(f for f in {r["name"]: r for r in package["resources"]}["online_dossiers"]["schema"]["fields"]
                 if f["name"] == "scope")["enumTitles"]
    assert [dict(zip(header, row))["scope_name_en"] for row in rows] == [
        scope[dict(zip(header, row))["scope"]]["en"] for row in rows]


def _types(package: dict, name: str) -> dict[str, str]:
    resource = {r["name"]: r for r in package["resources"]}[name]
    return {f["name"]: f["type"] for f in resource["schema"]["fields"]}


def _check_types(frame: pd.DataFrame, types: dict[str, str], where: str) -> None:
    assert list(frame.columns) == list(types), where
    for column, kind in types.items():
        series = frame[column]
        if kind in ("integer", "year"):
            # A column with empty cells comes back as floats (pandas' integers have no missing value).
            whole = series.dropna()
            assert pd.api.types.is_integer_dtype(series) or (
                series.isna().any() and pd.api.types.is_float_dtype(series) and (whole == whole.round()).all()), (
                where, column, series.dtype)
        elif kind == "number":
            assert pd.api.types.is_numeric_dtype(series), (where, column, series.dtype)
        elif kind == "date":
            assert pd.api.types.is_datetime64_any_dtype(series), (where, column, series.dtype)
        else:
            assert pd.api.types.is_string_dtype(series), (where, column, series.dtype)


def test_pandas_reads_every_csv_json_and_xlsx_download_in_one_call_with_the_right_types(shipped_site):
    package = json.loads((shipped_site / "data/datapackage.json").read_text(encoding="utf-8"))
    for name in DATASETS:
        types = _types(package, name)
        text = [c for c, kind in types.items() if kind == "string"]  # codes such as "40" stay text
        dates = [c for c, kind in types.items() if kind == "date"]
        csv_frame = pd.read_csv(shipped_site / f"data/{name}.csv", dtype=dict.fromkeys(text, str), parse_dates=dates)
        json_frame = pd.read_json(shipped_site / f"data/{name}.json", dtype=dict.fromkeys(text, str) | dict.fromkeys(dates, "datetime64[ns]"))
        xlsx_frame = pd.read_excel(shipped_site / f"data/{name}.xlsx", dtype=dict.fromkeys(text, str))
        for frame, kind in ((csv_frame, "csv"), (json_frame, "json"), (xlsx_frame, "xlsx")):
            _check_types(frame, types, f"{name}.{kind}")
        assert len(csv_frame) == len(json_frame) == len(xlsx_frame)


def test_json_is_an_array_of_records_and_its_metadata_a_file_beside_it(shipped_site):
    rows = json.loads((shipped_site / "data/tasks.json").read_text(encoding="utf-8"))
    assert isinstance(rows, list) and list(rows[0])[:3] == ["date", "unit_code", "unit_name"]
    assert rows[0]["unit_name"] == "Tỉnh Nghệ An"
    metadata = json.loads((shipped_site / "data/tasks.metadata.json").read_text(encoding="utf-8"))
    assert metadata["titles"]["vi"] and metadata["as_of"] == "2023-12-31"
    assert [f["name"] for f in metadata["fields"]] == list(rows[0])
    assert metadata["downloads"] == {"csv": "tasks.csv", "json": "tasks.json", "xlsx": "tasks.xlsx"}


def test_spreadsheet_cells_hold_numbers_and_dates_not_text(shipped_site):
    sheet = openpyxl.load_workbook(shipped_site / "data/eid_accounts.xlsx").active
    header = [cell.value for cell in sheet[1]]
    first = dict(zip(header, sheet[2]))
    assert first["applications_collected"].data_type == "n" and isinstance(first["applications_collected"].value, int)
    assert first["date"].is_date and first["unit_code"].data_type == "s" and first["unit_code"].value == "40"


def test_readme_describes_each_dataset_in_every_language(shipped_site):
    text = (shipped_site / "data/eid_accounts.README.md").read_text(encoding="utf-8")
    assert text.startswith("# Tài khoản định danh điện tử · Electronic identification (e-ID) accounts · ")
    for heading in ("## Tiếng Việt", "## English", "## العربية"):
        assert heading in text
    assert "| `accounts_activated` | Accounts activated | integer | accounts |" in text
    assert "- As of: 6 December 2023" in text and "- Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)" in text
    assert "- Tính đến: 06/12/2023" in text


def test_checksums_match_every_published_file(shipped_site):
    lines = (shipped_site / "data/SHA256SUMS").read_text(encoding="ascii").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == {f"{n}{s}" for n in DATASETS for s in SUFFIXES} | {
        "datapackage.json", ZIP.removeprefix("data/")}
    for name, digest in listed.items():
        assert hashlib.sha256((shipped_site / "data" / name).read_bytes()).hexdigest() == digest


def test_one_zip_holds_everything_with_fixed_times(shipped_site):
    package = json.loads((shipped_site / "data/datapackage.json").read_text(encoding="utf-8"))
    newest = max(r["asOf"] for r in package["resources"] if r.get("asOf"))
    latest = (*(int(part) for part in newest.split("-")), 0, 0, 0)
    with zipfile.ZipFile(shipped_site / ZIP) as archive:
        names = archive.namelist()
        assert names == sorted(names) and not any("/" in n for n in names)
        assert set(names) == {f"{n}{s}" for n in DATASETS for s in SUFFIXES} | {"datapackage.json", "SHA256SUMS"}
        for info in archive.infolist():
            assert info.date_time == latest  # the latest data date, never the build clock
            if info.filename == "SHA256SUMS":
                continue
            assert archive.read(info) == (shipped_site / "data" / info.filename).read_bytes()
        inner = archive.read("SHA256SUMS").decode()
        assert "nghe-an-project-06.zip" not in inner and "id_cards.csv" in inner


def test_checksums_verify_where_the_zip_is_unpacked(shipped_site, tmp_path):
    with zipfile.ZipFile(shipped_site / ZIP) as archive:
        archive.extractall(tmp_path)
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_unzipped_release_is_a_valid_data_package(shipped_site, tmp_path):
    with zipfile.ZipFile(shipped_site / ZIP) as archive:
        archive.extractall(tmp_path)
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_catalogue_links_the_whole_release(shipped_site):
    page = parse(shipped_site / "en/data/index.html")
    links = {a["href"] for a in page.select("ul.release a")}
    assert links == {"../../data/nghe-an-project-06.zip", "../../data/datapackage.json", "../../data/SHA256SUMS",
                     "../../data/catalog.jsonld"}
    readme = page.select_one("#dataset-tasks .facts a[href$='README.md']")
    assert readme["href"] == "../../data/tasks.README.md"
