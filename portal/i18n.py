"""Translations and number and date formats for each published language, all through Babel."""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol
from babel.support import Translations
from jinja2 import pass_context
from markupsafe import Markup, escape

from .config import Language
from .errors import BuildError, Problem, relative

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
# Interface strings are written in English in the code and templates.
SOURCE_LANGUAGE = "en"


def load_translations(lang: Language, root: Path | None = None) -> gettext.NullTranslations:
    """Read the language's .po catalogue and compile it in memory (no .mo file is kept)."""
    path = catalogue_path(lang)
    if not path.exists():
        return gettext.NullTranslations()
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang.locale, abort_invalid=True)
    except Exception as exc:  # Babel reports syntax errors with several exception types
        shown = relative(path, root) if root else path.as_posix()
        raise BuildError([Problem(shown, getattr(exc, "lineno", None), None, f"translation catalogue: {exc}")])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def catalogue_path(lang: Language) -> Path:
    """The .po catalogue of a language's interface strings."""
    return LOCALES_DIR / lang.code / "LC_MESSAGES" / f"{DOMAIN}.po"


def check_catalogues(languages, root: Path | None = None, locales: Path = LOCALES_DIR) -> list[Problem]:
    """A warning for every interface string that a language's catalogue does not translate."""
    template = locales / f"{DOMAIN}.pot"
    with template.open("rb") as handle:
        wanted = [m.id for m in read_po(handle) if m.id]
    warnings = []
    for lang in languages:
        if lang.code == SOURCE_LANGUAGE:
            continue
        path = locales / lang.code / "LC_MESSAGES" / f"{DOMAIN}.po"
        shown = relative(path, root) if root else path.as_posix()
        if not path.exists():
            warnings.append(Problem(shown, None, None, f"no catalogue for {lang.code}: run `make translations`", "warning"))
            continue
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=lang.locale)
        for msgid in wanted:
            message = catalogue.get(msgid)
            text = message.string if message else None
            if not text or (isinstance(text, tuple) and not all(text)):
                shown_id = msgid if isinstance(msgid, str) else msgid[0]
                warnings.append(Problem(shown, None, None, f"no {lang.code} translation for \"{shown_id}\"", "warning"))
    return warnings


# Thousands of pages show the same few hundred dates, and Babel formats each one afresh.
@functools.lru_cache(maxsize=4096)
def _format_date(value: dt.date, pattern: str, locale: str) -> str:
    return format_date(value, pattern, locale=locale)


@functools.lru_cache(maxsize=4096, typed=True)
def _format_decimal(value, pattern: str, locale: str, numbering_system: str) -> str:
    # Babel looks the locale's symbols up again on every call; pages repeat the same few numbers.
    return format_decimal(value, format=pattern, locale=locale, numbering_system=numbering_system)


# The catalogue of a language whose interface strings are not translated: they stay as written (English).
UNTRANSLATED = gettext.NullTranslations()


@dataclass(frozen=True)
class Formatter:
    """Writes for readers of one language: its interface strings (gettext), numbers, percentages and dates."""

    lang: Language
    translations: gettext.NullTranslations = UNTRANSLATED  # the language's catalogue (see load_translations)

    def gettext(self, message: str) -> str:
        """The interface string `message` (as written in the code, in English) in this language."""
        return self.translations.gettext(message)

    def number(self, value, decimals: int = 2) -> str:
        """Format a count or a measure, with the language's separators and digits."""
        if value is None:
            return "–"
        pattern = "#,##0" if float(value).is_integer() else "#,##0." + "#" * decimals
        return _digits(_format_decimal(value, pattern, self.lang.locale, self.lang.numbering_system), self.lang)

    def percent(self, value_pct) -> str:
        """Format a percentage given on the 0–100 scale (45.03 → "45,03 %" in Vietnamese)."""
        if value_pct is None:
            return "–"
        # Babel picks the symbols of the numbering system but always writes Latin digits.
        return _digits(format_percent(round(value_pct, 4) / 100, format=self.lang.percent_format,
                                      locale=self.lang.locale, numbering_system=self.lang.numbering_system), self.lang)

    def date(self, value) -> str:
        """Format a date in the language's short form (31/12/2023 in Vietnamese)."""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        return _digits(_format_date(value, self.lang.date_format, self.lang.locale), self.lang)

    def long_date(self, value) -> str:
        """Format a date in the language's long form, for prose (31 tháng 12, 2023; 31 December 2023)."""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        pattern = "d MMMM y" if self.lang.locale.startswith("en") else "long"
        return _digits(_format_date(value, pattern, self.lang.locale), self.lang)

    def period(self, value) -> str:
        """Format a date or a year as a label."""
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return _digits(str(int(value)), self.lang)
        return self.date(value)

    @functools.cached_property
    def group_symbol(self) -> str:
        """The thousands separator."""
        return get_group_symbol(self.lang.locale, numbering_system=self.lang.numbering_system)

    def d3_format_locale(self) -> dict:
        """A d3-format locale, so Vega charts write numbers as the pages do."""
        sample = self.percent(50)
        return _drop_none({
            "decimal": get_decimal_symbol(self.lang.locale, numbering_system=self.lang.numbering_system),
            "thousands": self.group_symbol,
            "grouping": [3],
            "currency": ["", "\u00a0₫"],
            "percent": re.sub(r"^[\d\u0660-\u0669\u06f0-\u06f9]+", "", sample.strip("\u200e\u200f\u061c")),
            "minus": "−",
            "numerals": _numerals(self.lang),
        })



LATIN = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
LATIN_RUN = re.compile(rf"[0-9/]*[{LATIN}][{LATIN}0-9/.\-]*(?:[ ,]+[0-9/]*[{LATIN}][{LATIN}0-9/.\-]*)*")


@pass_context
def isolate_latin(context, text) -> Markup:
    """On right-to-left pages, wrap runs of Latin script (codes, names) in <bdi> so they keep their order."""
    if context.get("lang") is None or context["lang"].direction != "rtl":
        return escape(text)
    parts, last = [], 0
    for match in LATIN_RUN.finditer(str(text)):
        parts += [escape(text[last:match.start()]), Markup("<bdi>%s</bdi>") % match.group()]
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _numerals(lang: Language) -> list[str] | None:
    if lang.numbering_system == "latn":
        return None
    zero = {"arab": 0x0660, "arabext": 0x06F0}[lang.numbering_system]
    return [chr(zero + i) for i in range(10)]


def _digits(text: str, lang: Language) -> str:
    """Write every digit in the language's numbering system, whatever Babel produced."""
    numerals = _numerals(lang)
    latin = re.sub(r"[\u0660-\u0669\u06f0-\u06f9]", lambda m: str(int(m.group())), text)
    if not numerals:
        return latin
    return re.sub(r"[0-9]", lambda m: numerals[int(m.group())], latin)


def _drop_none(mapping: dict) -> dict:
    return {k: v for k, v in mapping.items() if v is not None}
