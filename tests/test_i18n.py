"""Formats through Babel, and catalogues that are complete and in step with the code."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal.config import load_config
from portal.i18n import Formatter, LOCALES_DIR

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT)


@pytest.mark.parametrize("lang, number, percent, date, locale", [
    ("vi", "2.852.992", "45,03\u00a0%", "31/12/2023", {"decimal": ",", "thousands": ".", "percent": "\u00a0%"}),
    ("en", "2,852,992", "45.03%", "31 December 2023", {"decimal": ".", "thousands": ",", "percent": "%"}),
    ("ar", "2,852,992", "45.03%", "31 ديسمبر 2023", {"decimal": ".", "thousands": ",", "percent": "%"}),
])
def test_formats_per_language(lang, number, percent, date, locale):
    fmt = Formatter(CONFIG.language(lang))
    assert fmt.number(2852992) == number
    assert fmt.percent(45.03) == percent
    assert fmt.date("2023-12-31") == date
    assert fmt.period(2023) == "2023"
    assert locale.items() <= fmt.d3_format_locale().items()


def test_arabic_indic_digits_when_configured():
    from dataclasses import replace
    fmt = Formatter(replace(CONFIG.language("ar"), numbering_system="arab"))
    assert fmt.number(2852992) == "٢٬٨٥٢٬٩٩٢"
    assert fmt.d3_format_locale()["numerals"][:3] == ["٠", "١", "٢"]


def messages(path: Path) -> dict:
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_catalogue_template_is_in_step_with_code_and_templates(tmp_path):
    out = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "portal/locales/babel.cfg",
                    "-o", str(out), "--no-location", "--omit-header", "--no-wrap", "portal", "templates"],
                   cwd=ROOT, check=True, capture_output=True)
    assert set(messages(out)) == set(messages(LOCALES_DIR / "messages.pot")), "run `make translations`"


@pytest.mark.parametrize("lang", ["vi", "ar"])
def test_every_interface_string_is_translated(lang):
    template = messages(LOCALES_DIR / "messages.pot")
    catalogue = messages(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po")
    missing = [m for m in template if not catalogue.get(m)]
    assert not missing, f"untranslated in {lang}: {missing}"
