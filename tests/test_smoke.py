"""Smoke test: the shipped portal builds."""

from pathlib import Path

from portal.site import build_site

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_site_builds(tmp_path):
    summary = build_site(ROOT, tmp_path / "site")
    assert summary.pages == 30
    assert (tmp_path / "site" / "index.html").is_file()
