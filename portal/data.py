"""Datasets: the CSV files in data/ read and checked against data/datapackage.json."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import BuildError, Problem, relative
from .rules import check_rules, describe_rules
from .schema import check_with_frictionless

PACKAGE_FILE = "datapackage.json"
TYPES = ("string", "integer", "number", "date", "year")
CHART_TYPES = ("bar", "grouped", "progress")


@dataclass(frozen=True)
class Field:
    """One column of a dataset, as its schema describes it."""

    name: str
    type: str
    titles: dict
    unit: str | dict | None = None
    constraints: dict = field(default_factory=dict)
    enum_titles: dict = field(default_factory=dict)

    @property
    def is_percent(self) -> bool:
        """True when the values are percentages (0–100)."""
        return self.unit == "%"


@dataclass(frozen=True)
class Dataset:
    """One CSV file with its schema, its typed rows and what the portal shows of it."""

    name: str
    src_path: Path
    titles: dict
    descriptions: dict
    fields: tuple[Field, ...]
    frame: pd.DataFrame
    sources: tuple[dict, ...]  # each {language code: citation}
    licence: dict
    primary_key: tuple[str, ...]
    indicator: dict | None

    @property
    def time_field(self) -> str | None:
        """The date or year column, if the dataset has one."""
        return next((f.name for f in self.fields if f.type in ("date", "year")), None)

    @property
    def as_of(self) -> dt.date | None:
        """The latest date the rows speak for (31 December for a year)."""
        name = self.time_field
        if name is None or self.frame.empty:
            return None
        latest = self.frame[name].max()
        return dt.date(int(latest), 12, 31) if self.field(name).type == "year" else latest

    def field(self, name: str) -> Field:
        """Return the field called `name`."""
        return next(f for f in self.fields if f.name == name)

    def records(self) -> list[dict]:
        """Rows as plain dicts, in file order, with dates as ISO strings."""
        rows = []
        for row in self.frame.to_dict("records"):
            rows.append({k: _plain(v) for k, v in row.items()})
        return rows


def load_datasets(root: Path, today: dt.date | None = None, warnings: list[Problem] | None = None) -> list[Dataset]:
    """Read data/datapackage.json and every CSV it lists; raise BuildError with every problem.

    Warnings (such as data older than its declared update frequency) go to `warnings`.
    """
    today = today or dt.date.today()
    data_dir = root / "data"
    package_path = data_dir / PACKAGE_FILE
    shown = relative(package_path, root)
    try:
        text = package_path.read_text(encoding="utf-8")
        package = json.loads(text)
    except FileNotFoundError:
        raise BuildError.single(shown, "file not found: every dataset must be described here")
    except UnicodeDecodeError as exc:
        raise BuildError.single(shown, f"not valid UTF-8 (byte {exc.start})")
    except json.JSONDecodeError as exc:
        raise BuildError.single(shown, f"JSON syntax: {exc.msg}", exc.lineno, exc.colno)

    problems: list[Problem] = []
    descriptors = _check_package(package, text, shown, problems)
    tables: dict[str, list[tuple[int, dict]]] = {}
    for descriptor in descriptors:
        csv_path = data_dir / descriptor["path"]
        shown_csv = relative(csv_path, root)
        tables[descriptor["name"]] = read_table(csv_path, descriptor, shown_csv, problems)
        problems += check_rules(descriptor, tables[descriptor["name"]], shown_csv, today)
    _check_foreign_keys(descriptors, tables, data_dir, root, problems)
    if len(descriptors) == len(package["resources"]):
        problems += check_with_frictionless(package_path, root, problems)
    if warnings is not None:
        warnings += [p for p in problems if p.severity == "warning"]
    problems = [p for p in problems if p.severity == "error"]
    if problems:
        raise BuildError(problems)

    licence = (package.get("licenses") or [{}])[0]
    sources = tuple(_source_titles(s) for s in package.get("sources", []))
    datasets = []
    for d in descriptors:
        fields = tuple(_make_field(f) for f in d["schema"]["fields"])
        columns = [f.name for f in fields]
        datasets.append(
            Dataset(
                name=d["name"],
                src_path=data_dir / d["path"],
                titles=d["titles"],
                descriptions=d.get("descriptions", {}),
                fields=fields,
                frame=pd.DataFrame([row for _, row in tables[d["name"]]], columns=columns, dtype=object),
                sources=tuple(_source_titles(s) for s in d.get("sources", [])) or sources,
                licence=d.get("licenses", [licence])[0],
                primary_key=tuple(d["schema"].get("primaryKey", [])),
                indicator=d.get("indicator"),
            )
        )
    return datasets


def read_table(path: Path, descriptor: dict, shown: str, problems: list[Problem]) -> list[tuple[int, dict]]:
    """Read one CSV file into (row number, typed row) pairs, adding a Problem for every bad cell."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(shown, None, None, "file not found (listed in datapackage.json)"))
        return []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start : exc.start + 1].hex().upper()
        problems.append(Problem(shown, line, None, f"byte 0x{byte} is not UTF-8; save the file as UTF-8 "
                                "(it looks like Windows-1258 or Latin-1)"))
        return []
    text = unicodedata.normalize("NFC", text)
    fields = descriptor["schema"]["fields"]
    names = [f["name"] for f in fields]
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        problems.append(Problem(shown, None, None, f"not a readable CSV file: {exc}"))
        return []
    if not rows:
        problems.append(Problem(shown, 1, None, f"the file is empty; expected the header {','.join(names)}"))
        return []
    header = [h.strip() for h in rows[0]]
    if header != names:
        missing = [n for n in names if n not in header]
        extra = [h for h in header if h not in names]
        detail = []
        if missing:
            detail.append("missing " + ", ".join(missing))
        if extra:
            detail.append("unexpected " + ", ".join(extra))
        if not detail:
            detail.append("columns out of order")
        problems.append(Problem(shown, 1, None, f"header must be {','.join(names)} ({'; '.join(detail)})"))
        return []
    typed = []
    seen_keys: dict[tuple, int] = {}
    key = descriptor["schema"].get("primaryKey", [])
    unique = [f["name"] for f in fields if f.get("constraints", {}).get("unique")]
    seen_unique: dict[str, dict] = {n: {} for n in unique}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            problems.append(Problem(shown, number, None, f"row has {len(cells)} cells, the header has {len(names)}"))
            continue
        row = {}
        for col, (spec, cell) in enumerate(zip(fields, cells), start=1):
            value, error = convert_cell(cell.strip(), spec)
            if error:
                problems.append(Problem(shown, number, col, f"{error} ({spec['name']})"))
            row[spec["name"]] = value
        if key:
            k = tuple(row[n] for n in key)
            if k in seen_keys:
                problems.append(Problem(shown, number, None, f"duplicate row: {', '.join(key)} already used on row {seen_keys[k]}"))
            seen_keys.setdefault(k, number)
        for n in unique:
            if row[n] in seen_unique[n]:
                problems.append(Problem(shown, number, names.index(n) + 1, f"value \"{row[n]}\" already used on row {seen_unique[n][row[n]]} (unique {n})"))
            seen_unique[n].setdefault(row[n], number)
        typed.append((number, row))
    if not typed:
        problems.append(Problem(shown, 1, None, "the file has a header but no rows"))
    return typed


def convert_cell(cell: str, spec: dict):
    """Convert one CSV cell by its field spec; return (value, error message or None)."""
    rules = spec.get("constraints", {})
    if cell == "":
        return None, ("value is required but empty" if rules.get("required") else None)
    kind = spec.get("type", "string")
    shown = cell if len(cell) <= 40 else cell[:37] + "..."
    try:
        if kind == "integer":
            if not re.fullmatch(r"[+-]?\d+", cell):
                raise ValueError("an integer (digits only, no separators)")
            value = int(cell)
        elif kind == "number":
            if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", cell):
                raise ValueError("a number (use \".\" for decimals, no separators)")
            value = float(cell)
        elif kind == "date":
            try:
                value = dt.date.fromisoformat(cell) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell) else None
            except ValueError:
                value = None
            if value is None:
                raise ValueError("a real date in the form YYYY-MM-DD")
        elif kind == "year":
            if not re.fullmatch(r"\d{4}", cell):
                raise ValueError("a year (four digits)")
            value = int(cell)
        else:
            value = cell
    except ValueError as exc:
        return None, f"value \"{shown}\" is not {exc}"
    if "minimum" in rules and value < rules["minimum"]:
        return value, f"value \"{shown}\" is below the minimum {rules['minimum']}"
    if "maximum" in rules and value > rules["maximum"]:
        return value, f"value \"{shown}\" is above the maximum {rules['maximum']}"
    if "enum" in rules and value not in rules["enum"]:
        return value, f"value \"{shown}\" is not one of {', '.join(map(str, rules['enum']))}"
    if "pattern" in rules and not re.fullmatch(rules["pattern"], str(value)):
        return value, f"value \"{shown}\" does not match the pattern {rules['pattern']}"
    return value, None


def _check_package(package, text: str, shown: str, problems: list[Problem]) -> list[dict]:
    """Check the descriptors the portal relies on; return the usable ones."""
    if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
        problems.append(Problem(shown, 1, None, "expected an object with a \"resources\" list"))
        return []
    usable = []
    names = {r.get("name") for r in package["resources"] if isinstance(r, dict)}
    for index, res in enumerate(package["resources"]):
        name = res.get("name", f"#{index + 1}") if isinstance(res, dict) else f"#{index + 1}"
        line = _line_of(text, f'"name": "{name}"')

        def bad(message: str) -> None:
            problems.append(Problem(shown, line, None, f"resource {name}: {message}"))

        if not isinstance(res, dict) or not isinstance(res.get("path"), str):
            bad("needs a \"path\" to its CSV file")
            continue
        if "/" in res["path"] or "\\" in res["path"] or not res["path"].endswith(".csv"):
            bad("\"path\" must be a .csv file name inside data/")
            continue
        fields = res.get("schema", {}).get("fields")
        if not isinstance(fields, list) or not fields:
            bad("needs \"schema\" with a list of \"fields\"")
            continue
        if not isinstance(res.get("titles"), dict):
            bad("needs \"titles\" in every language")
        for f in fields:
            if f.get("type", "string") not in TYPES:
                bad(f"field {f.get('name')}: type must be one of {', '.join(TYPES)}")
        for message in describe_rules(res):
            bad(message)
        field_names = {f.get("name") for f in fields}
        indicator = res.get("indicator")
        if indicator is not None:
            _check_indicator(indicator, field_names, bad)
        for fk in res.get("schema", {}).get("foreignKeys", []):
            if fk.get("reference", {}).get("resource") not in names:
                bad(f"foreign key refers to an unknown resource {fk.get('reference', {}).get('resource')!r}")
        usable.append(res)
    slugs = [r["indicator"]["slug"] for r in usable if isinstance(r.get("indicator"), dict) and "slug" in r["indicator"]]
    for slug in sorted({s for s in slugs if slugs.count(s) > 1}):
        problems.append(Problem(shown, _line_of(text, f'"slug": "{slug}"'), None, f"indicator slug {slug!r} is used twice"))
    return usable


def _check_indicator(indicator: dict, field_names: set, bad) -> None:
    slug = indicator.get("slug")
    if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        bad("indicator needs a \"slug\" of lowercase letters, digits and hyphens")
    chart = indicator.get("chart", {})
    headline = indicator.get("headline", {})
    if chart.get("type") not in CHART_TYPES:
        bad(f"chart type must be one of {', '.join(CHART_TYPES)}")
    used = [headline.get(k) for k in ("value", "of", "target")] + list(headline.get("where", {}))
    used += [chart.get(k) for k in ("x", "y", "target", "total", "category")]
    used += chart.get("measures", []) + chart.get("parts", [])
    for name in used:
        if name is not None and name not in field_names:
            bad(f"indicator refers to an unknown field {name!r}")


def _check_foreign_keys(descriptors, tables, data_dir: Path, root: Path, problems) -> None:
    for d in descriptors:
        shown = relative(data_dir / d["path"], root)
        names = [f["name"] for f in d["schema"]["fields"]]
        for fk in d["schema"].get("foreignKeys", []):
            column = fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0]
            ref = fk["reference"]
            target_field = ref["fields"] if isinstance(ref["fields"], str) else ref["fields"][0]
            known = {r.get(target_field) for _, r in tables.get(ref["resource"], [])}
            if not known:
                continue
            for number, row in tables[d["name"]]:
                if row.get(column) is not None and row[column] not in known:
                    problems.append(Problem(shown, number, names.index(column) + 1,
                                            f"value \"{row[column]}\" is not a known {target_field} in {ref['resource']} ({column})"))


def _source_titles(source: dict) -> dict:
    """A source's citation by language; the standard `title` stands in for missing languages."""
    titles = dict(source.get("titles", {}))
    titles.setdefault("", source.get("title", ""))
    return titles


def _make_field(spec: dict) -> Field:
    return Field(
        name=spec["name"],
        type=spec.get("type", "string"),
        titles=spec.get("titles", {}),
        unit=spec.get("unit"),
        constraints=spec.get("constraints", {}),
        enum_titles=spec.get("enumTitles", {}),
    )


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _plain(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
