"""Shared fixtures: the shipped portal built once, and tiny scratch projects written from strings."""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal.build import build

ROOT = Path(__file__).resolve().parents[1]

# Generated test data, not real figures: used only by the scratch projects below.
TINY_DATA = {
    "units.csv": "code,name,type,parent_code\n40,Tỉnh Thử,province,\n412,Huyện Thử,district,40\n",
    "counts.csv": "date,unit_code,issued\n2023-06-30,40,1000\n2023-12-31,40,1500\n",
}
TINY_PACKAGE = {
    "name": "test-package",
    "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
    "sources": [{"title": "Generated test data"}],
    "resources": [
        {
            "name": "counts", "path": "counts.csv",
            "titles": {"vi": "Số đếm thử", "en": "Test counts", "ar": "أعداد تجريبية"},
            "descriptions": {"vi": "Dữ liệu sinh ra để kiểm thử.", "en": "Generated test data.", "ar": "بيانات تجريبية."},
            "schema": {
                "fields": [
                    {"name": "date", "type": "date", "constraints": {"required": True}, "titles": {"en": "Date"}},
                    {"name": "unit_code", "type": "string", "constraints": {"required": True}, "titles": {"en": "Unit"}},
                    {"name": "issued", "type": "integer", "constraints": {"required": True, "minimum": 0},
                     "titles": {"vi": "Đã cấp", "en": "Issued", "ar": "صادرة"}},
                ],
                "primaryKey": ["date", "unit_code"],
                "foreignKeys": [{"fields": "unit_code", "reference": {"resource": "units", "fields": "code"}}],
            },
            "indicator": {"slug": "counts", "headline": {"value": "issued"},
                          "chart": {"type": "bar", "x": "date", "y": "issued"}},
        },
        {
            "name": "units", "path": "units.csv",
            "titles": {"vi": "Đơn vị", "en": "Units", "ar": "الوحدات"},
            "schema": {
                "fields": [
                    {"name": "code", "type": "string", "constraints": {"required": True, "unique": True}},
                    {"name": "name", "type": "string", "constraints": {"required": True}},
                    {"name": "type", "type": "string"},
                    {"name": "parent_code", "type": "string"},
                ],
                "primaryKey": ["code"],
            },
        },
    ],
}
TINY_NEWS = """\
    ---
    title: "Bản tin thử"
    date: 2024-02-01
    summary: "Tóm tắt thử."
    tags: ["thử"]
    ---

    Nội dung **thử**.
"""


def write_project(root: Path, files: dict[str, str | bytes] | None = None, package: dict | None = None) -> Path:
    """Write a tiny project into `root`: the shipped config and templates, generated data, then `files` on top."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "site.toml", root / "site.toml")
    shutil.copytree(ROOT / "templates", root / "templates", dirs_exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "datapackage.json").write_text(json.dumps(package or TINY_PACKAGE, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, text in TINY_DATA.items():
        (root / "data" / name).write_text(text, encoding="utf-8")
    news = root / "content" / "announcements"
    news.mkdir(parents=True, exist_ok=True)
    (news / "2024-02-01-ban-tin-thu.vi.md").write_text(textwrap.dedent(TINY_NEWS), encoding="utf-8")
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def tree_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory) -> Path:
    """The real portal, built once from the shipped data and content."""
    output = tmp_path_factory.mktemp("shipped") / "site"
    build(ROOT, output)
    return output


@pytest.fixture(scope="session")
def tiny_site(tmp_path_factory) -> Path:
    """A scratch project built once; returns the project folder (site in site/)."""
    root = write_project(tmp_path_factory.mktemp("tiny") / "project")
    build(root, root / "site")
    return root


def parse(path: Path) -> BeautifulSoup:
    """Parse one HTML file."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


SUBPATH_BASE_URL = "https://example.org/p06/"


@pytest.fixture(scope="session")
def subpath_site(tmp_path_factory) -> Path:
    """The real portal built for a sub-path address, as on project-pages hosting."""
    output = tmp_path_factory.mktemp("subpath") / "site"
    build(ROOT, output, base_url=SUBPATH_BASE_URL)
    return output


@pytest.fixture(scope="session")
def district_site(tmp_path_factory) -> Path:
    """A scratch project of generated monthly, district and long-named data (see generated.py), built once."""
    from generated import COUNTS, RATES, UNITS, long_label_package

    root = write_project(tmp_path_factory.mktemp("districts") / "project",
                         {"data/units.csv": UNITS, "data/counts.csv": COUNTS, "data/rates.csv": RATES},
                         package=long_label_package())
    build(root, root / "site", clock="2024-01-15T12:00+07:00")
    return root / "site"
