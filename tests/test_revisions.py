"""Revisions of published figures: listed on the dataset's pages, and kept consistent by `check`."""

from __future__ import annotations

import json

import pytest

from conftest import TINY_PACKAGE, parse, write_project
from portal.data import load_datasets
from portal.errors import BuildError
from portal.build import build

# Generated test data: a corrected count and the revision that records it.
REVISIONS = ("revised_on,dataset,row,unit_code,field,old_value,new_value,reason_vi,reason_en\n"
             "2024-01-10,counts,2023-12-31,40,issued,1400,1500,Sửa lỗi nhập,A typing error corrected\n")


def package() -> dict:
    described = json.loads(json.dumps(TINY_PACKAGE))
    names = ["revised_on", "dataset", "row", "unit_code", "field", "old_value", "new_value", "reason_vi", "reason_en"]
    described["resources"].append({
        "name": "revisions", "path": "revisions.csv", "titles": {"vi": "Sửa đổi", "en": "Revisions", "ar": "التعديلات"},
        "schema": {"fields": [{"name": n, "type": "date" if n == "revised_on" else "string"} for n in names]},
    })
    return described


def test_a_revision_is_listed_on_the_indicator_page(tmp_path):
    root = write_project(tmp_path, {"data/revisions.csv": REVISIONS}, package=package())
    build(root, root / "site", clock="2024-02-01T00:00+07:00")
    page = parse(root / "site/en/indicators/counts.html")
    cells = [td.get_text(strip=True) for td in page.select("table.revisions tbody td")]
    assert cells[0] == "10 January 2024" and "1,400" in cells and "1,500" in cells
    assert "A typing error corrected" in cells


@pytest.mark.parametrize("row, message", [
    ("2024-01-10,counts,2023-12-31,40,issued,1400,1450,x,x", "data/revisions.csv:2:7: new value '1450' is not what counts now holds"),
    ("2024-01-10,counts,2023-01-31,40,issued,1400,1500,x,x", "data/revisions.csv:2:3: dataset counts has no row 2023-01-31"),
    ("2024-01-10,nothing,2023-12-31,40,issued,1400,1500,x,x", "data/revisions.csv:2:2: unknown dataset 'nothing'"),
])
def test_check_keeps_revisions_consistent_with_the_data(tmp_path, row, message):
    header = REVISIONS.splitlines()[0]
    root = write_project(tmp_path, {"data/revisions.csv": f"{header}\n{row}\n"}, package=package())
    with pytest.raises(BuildError) as raised:
        load_datasets(root)
    assert any(p.format().startswith(message) for p in raised.value.problems), [p.format() for p in raised.value.problems]
