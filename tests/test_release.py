"""The open-data release in /data/: CSV with BOM, JSON, data package, READMEs, checksums, one zip."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

from frictionless import Package

from conftest import parse

DATASETS = ["id_cards", "eid_accounts", "online_dossiers", "tasks", "public_services", "online_dossiers_monthly", "revisions", "units"]
ZIP = "data/nghe-an-project-06.zip"


def test_every_dataset_has_stable_addresses(shipped_site):
    # The same names on every build: no fingerprints, so links from elsewhere keep working.
    for name in DATASETS:
        for suffix in (".csv", ".json", ".README.md"):
            assert (shipped_site / f"data/{name}{suffix}").is_file()
    for name in ("data/datapackage.json", "data/SHA256SUMS", ZIP):
        assert (shipped_site / name).is_file()


def test_csv_files_are_utf8_with_a_byte_order_mark(shipped_site):
    raw = (shipped_site / "data/units.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    with open(Path(__file__).resolve().parents[1] / "data" / "units.csv", encoding="utf-8") as f:
        shipped = list(csv.DictReader(f))
    assert rows[0] == shipped[0] and rows[0]["name"] == "Tỉnh Nghệ An"
    assert len(rows) == 22


def test_json_holds_the_same_rows(shipped_site):
    document = json.loads((shipped_site / "data/tasks.json").read_text(encoding="utf-8"))
    assert document["data"] == [{"date": "2023-12-31", "unit_code": "40", "assigned": 25, "completed": 23,
                                 "recurring": 14, "in_progress": 2, "unit_name": "Tỉnh Nghệ An"}]
    assert document["titles"]["vi"] and [f["name"] for f in document["fields"]][:2] == ["date", "unit_code"]


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
    assert set(listed) == {f"{n}{s}" for n in DATASETS for s in (".csv", ".json", ".README.md")} | {
        "datapackage.json", ZIP.removeprefix("data/")}
    for name, digest in listed.items():
        assert hashlib.sha256((shipped_site / "data" / name).read_bytes()).hexdigest() == digest


def test_one_zip_holds_everything_with_fixed_times(shipped_site):
    package = json.loads((shipped_site / "data/datapackage.json").read_text(encoding="utf-8"))
    newest = max(r["asOf"] for r in package["resources"] if r.get("asOf"))
    latest = (*(int(part) for part in newest.split("-")), 0, 0, 0)
    with zipfile.ZipFile(shipped_site / ZIP) as archive:
        names = archive.namelist()
        assert names == sorted(names) and all(n.startswith("nghe-an-project-06/") for n in names)
        assert {n.removeprefix("nghe-an-project-06/") for n in names} == {
            f"{n}{s}" for n in DATASETS for s in (".csv", ".json", ".README.md")} | {"datapackage.json", "SHA256SUMS"}
        for info in archive.infolist():
            assert info.date_time == latest  # the latest data date, never the build clock
            published = shipped_site / "data" / info.filename.removeprefix("nghe-an-project-06/")
            if info.filename.endswith("SHA256SUMS"):
                continue
            assert archive.read(info) == published.read_bytes()
        inner = archive.read("nghe-an-project-06/SHA256SUMS").decode()
        assert "nghe-an-project-06.zip" not in inner and "id_cards.csv" in inner


def test_unzipped_release_is_a_valid_data_package(shipped_site, tmp_path):
    with zipfile.ZipFile(shipped_site / ZIP) as archive:
        archive.extractall(tmp_path)
    report = Package(str(tmp_path / "nghe-an-project-06/datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_catalogue_links_the_whole_release(shipped_site):
    page = parse(shipped_site / "en/data/index.html")
    links = {a["href"] for a in page.select("ul.release a")}
    assert links == {"../../data/nghe-an-project-06.zip", "../../data/datapackage.json", "../../data/SHA256SUMS"}
    readme = page.select_one("#dataset-tasks .facts a[href$='README.md']")
    assert readme["href"] == "../../data/tasks.README.md"
