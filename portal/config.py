"""Site settings from site.toml, validated with every mistake reported at once."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import parse_pattern as parse_date_pattern
from babel.numbers import parse_pattern

from .errors import BuildError, Problem
from .text import CONTROL

CONFIG_FILE = "site.toml"
# The province's time zone decides what "today" and "the future" mean for data and news
# (Viet Nam keeps UTC+7 all year).
PORTAL_TZ = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")
NAV_PAGES = ("home", "indicators", "news", "data", "search")
SITE_KEYS = {
    "base_url": str,
    "languages": list,
    "province_code": str,
    "licence_name": str,
    "licence_url": str,
    "navigation": list,
}
LANGUAGE_KEYS = {
    "name": str,
    "locale": str,
    "direction": str,
    "numbering_system": str,
    "percent_format": str,
    "date_format": str,
    "title": str,
    "description": str,
}


@dataclass(frozen=True)
class Language:
    """One published language and how its pages format text and numbers."""

    code: str
    name: str
    locale: str
    direction: str
    numbering_system: str
    percent_format: str
    date_format: str
    title: str
    description: str
    prefix: str  # "" for the default language, else "en/" and so on


@dataclass(frozen=True)
class Config:
    """Everything site.toml says, checked."""

    root: Path
    base_url: str
    languages: tuple[Language, ...]
    province_code: str
    licence_name: str
    licence_url: str
    navigation: tuple[str, ...]

    @property
    def default_language(self) -> Language:
        """The language published at the site root."""
        return self.languages[0]

    def language(self, code: str) -> Language:
        """Return the language with this code."""
        return next(lang for lang in self.languages if lang.code == code)


def load_config(root: Path, base_url: str | None = None) -> Config:
    """Read and validate site.toml in `root`; raise BuildError listing every problem."""
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError.single(CONFIG_FILE, "file not found: the portal needs its settings file")
    except UnicodeDecodeError as exc:
        raise BuildError.single(CONFIG_FILE, f"not valid UTF-8 (byte {exc.start})")
    return make_config(text, root, base_url)


def make_config(text: str, root: Path, base_url: str | None = None) -> Config:
    """Validate the text of site.toml and build the Config."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise BuildError.single(CONFIG_FILE, f"TOML syntax: {message}", line)
    except RecursionError:
        raise BuildError.single(CONFIG_FILE, "lists or tables nest too deeply (hundreds of levels)") from None

    problems: list[Problem] = []

    def problem(table: str, key: str | None, message: str) -> None:
        problems.append(Problem(CONFIG_FILE, _line_of(text, table, key), None, message))

    site = raw.get("site")
    if not isinstance(site, dict):
        problem("site", None, "missing table [site]")
        raise BuildError(problems)
    _check_keys(site, SITE_KEYS, "site", problem)
    for table in sorted(set(raw) - {"site", "languages"}):
        problem(table, None, f"unknown table [{table}]")

    codes = site.get("languages") if isinstance(site.get("languages"), list) else []
    if not all(isinstance(code, str) and re.fullmatch(r"[a-z]{2,3}", code) for code in codes):
        problem("site", "languages", "`languages` must list language codes of two or three lowercase letters")
        raise BuildError(problems)
    if not codes:
        problem("site", "languages", "`languages` must list at least one language code")
    lang_tables = raw.get("languages", {})
    if not isinstance(lang_tables, dict):
        problem("languages", None, "`languages` must be tables such as [languages.vi]")
        lang_tables = {}
    languages = []
    for index, code in enumerate(codes):
        table = f"languages.{code}"
        entry = lang_tables.get(code)
        if not isinstance(entry, dict):
            problem("site", "languages", f"language {code!r} has no [{table}] table")
            continue
        _check_keys(entry, LANGUAGE_KEYS, table, problem)
        if set(LANGUAGE_KEYS) - set(entry):
            continue
        try:
            Locale.parse(entry["locale"])
        except (UnknownLocaleError, ValueError):
            problem(table, "locale", f"unknown locale {entry['locale']!r}")
        if entry["direction"] not in ("ltr", "rtl"):
            problem(table, "direction", f"direction must be \"ltr\" or \"rtl\", not {entry['direction']!r}")
        if entry["numbering_system"] not in ("latn", "arab", "arabext"):
            problem(table, "numbering_system", "numbering_system must be \"latn\", \"arab\" or \"arabext\"")
        try:
            parse_pattern(entry["percent_format"])
        except Exception as exc:  # Babel raises several types for a bad pattern
            problem(table, "percent_format", f"not a number pattern: {exc}")
        try:
            parse_date_pattern(entry["date_format"])
        except Exception as exc:  # as for numbers, several types
            problem(table, "date_format", f"not a date pattern: {exc}")
        prefix = "" if index == 0 else f"{code}/"
        languages.append(Language(code=code, prefix=prefix, **{k: entry[k] for k in LANGUAGE_KEYS}))
    for code in sorted(set(lang_tables) - set(codes)):
        problem(f"languages.{code}", None, f"[languages.{code}] is not listed in site.languages")

    for page in site.get("navigation", []) if isinstance(site.get("navigation"), list) else []:
        if page not in NAV_PAGES:
            problem("site", "navigation", f"unknown page {page!r} in navigation; known: {', '.join(NAV_PAGES)}")
    if isinstance(site.get("province_code"), str) and not site["province_code"].isdigit():
        problem("site", "province_code", "province_code must be digits, such as \"40\"")

    url = base_url if base_url is not None else site.get("base_url", "/")
    if isinstance(url, str) and (not re.match(r"^(https?://[^/\s]+)?/", url) or CONTROL.search(url)):
        problem("site", "base_url", f"base_url must be \"/\" or an http(s) address, not {url!r}")
    if problems:
        raise BuildError(problems)
    return Config(
        root=root,
        base_url=url if url.endswith("/") else url + "/",
        languages=tuple(languages),
        province_code=site["province_code"],
        licence_name=site["licence_name"],
        licence_url=site["licence_url"],
        navigation=tuple(site["navigation"]),
    )


def _check_keys(table: dict, expected: dict, name: str, problem) -> None:
    for key, kind in expected.items():
        if key not in table:
            problem(name, None, f"[{name}] is missing the key `{key}`")
        elif not isinstance(table[key], kind):
            problem(name, key, f"`{key}` must be a {kind.__name__}, not {type(table[key]).__name__}")
        elif any(isinstance(v, str) and CONTROL.search(v) for v in (table[key] if kind is list else [table[key]])):
            # An escaped control character (\u0000) is valid TOML, but would reach pages and charts.
            problem(name, key, f"`{key}` holds a control character, which no setting may hold")
    for key in sorted(set(table) - set(expected)):
        hint = _close_match(key, expected)
        problem(name, key, f"unknown key `{key}` in [{name}]" + (f"; did you mean `{hint}`?" if hint else ""))


def _close_match(word: str, options) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(options), n=1)
    return found[0] if found else None


def _line_of(text: str, table: str, key: str | None) -> int | None:
    """Find the line of `key` inside `[table]` (or of the table header) for messages."""
    current = None
    header_line = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[([^\[\]]+)\]", stripped)
        if header:
            current = header.group(1).strip()
            if current == table:
                header_line = number
            continue
        if current == table and key and re.match(rf"^\"?{re.escape(key)}\"?\s*=", stripped):
            return number
    return header_line


def parse_clock(text: str | None) -> dt.datetime:
    """The moment the build speaks for: `text` (ISO 8601), else SOURCE_DATE_EPOCH, else now."""
    if text:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise BuildError.single("--clock", f"{text!r} is not a date-time such as 2024-02-01T00:00+07:00")
        return moment if moment.tzinfo else moment.replace(tzinfo=PORTAL_TZ)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)
