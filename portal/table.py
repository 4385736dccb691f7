"""One CSV file read as a stream into a typed table, every bad cell located by row and column."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import math
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem
from .text import CONTROL, describe_control

CHUNK_ROWS = 100_000
MAX_PROBLEMS_PER_FILE = 50
INTEGER = r"[+-]?\d+"
NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


class Limited(list):
    """A file's problems, cut short after MAX_PROBLEMS_PER_FILE with a count of the rest."""

    def __init__(self, shown: str):
        super().__init__()
        self.shown = shown
        self.hidden = 0

    def append(self, problem: Problem) -> None:
        if len(self) < MAX_PROBLEMS_PER_FILE:
            super().append(problem)
        else:
            self.hidden += 1

    def close(self) -> list[Problem]:
        """The problems, with a last line saying how many were left out."""
        if self.hidden:
            return list(self) + [Problem(self.shown, None, None, f"… and {self.hidden} more problems in this file")]
        return list(self)


def read_table(path: Path, descriptor: dict, shown: str, problems: list[Problem]) -> pd.DataFrame | None:
    """Stream one CSV file into a typed DataFrame indexed by spreadsheet row number; None if unreadable."""
    found = Limited(shown)
    try:
        frame = _read(path, descriptor, found)
    finally:
        problems += found.close()
    return frame


def convert_cell(cell: str, spec: dict):
    """Convert one CSV cell by its field spec; return (value, error message or None)."""
    rules = spec.get("constraints", {})
    if cell == "":
        return None, ("value is required but empty" if rules.get("required") else None)
    kind = spec.get("type", "string")
    shown = cell if len(cell) <= 40 else cell[:37] + "..."
    try:
        if kind == "integer":
            if not re.fullmatch(INTEGER, cell):
                raise ValueError("an integer (digits only, no separators)")
            value = int(cell)
            if abs(value) >= 2**63:
                raise ValueError("an integer of at most 18 digits")
        elif kind == "number":
            if not re.fullmatch(NUMBER, cell):
                raise ValueError("a number (use \".\" for decimals, no separators)")
            value = float(cell)
            if not math.isfinite(value):
                # Such a value would be published as Infinity: not JSON, and shown as ∞.
                raise ValueError("a number within range (at most about 1.8e308)")
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
            if abs(value) >= 2**63:
                raise ValueError("an integer of at most 18 digits")
        else:
            value = unicodedata.normalize("NFC", cell)
            if CONTROL.search(value):
                raise ValueError(f"text: it holds the control character {describe_control(value)}")
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


def _read(path: Path, descriptor: dict, found: Limited) -> pd.DataFrame | None:
    fields = descriptor["schema"]["fields"]
    names = [f["name"] for f in fields]
    shown = found.shown
    try:
        handle = path.open("r", encoding="utf-8-sig", errors="strict", newline="")
    except FileNotFoundError:
        found.append(Problem(shown, None, None, "file not found (listed in datapackage.json)"))
        return None
    except IsADirectoryError:
        found.append(Problem(shown, None, None, "this is a folder, not a CSV file (listed in datapackage.json)"))
        return None
    except OSError as exc:
        found.append(Problem(shown, None, None, f"cannot read the file: {exc.strerror or exc}"))
        return None
    chunks, blank, rows, numbers = [], [], [], []
    number = 1
    try:
        with handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                found.append(Problem(shown, 1, None, f"the file is empty; expected the header {','.join(names)}"))
                return None
            header = [unicodedata.normalize("NFC", h.strip()) for h in header]
            if header != names:
                found.append(Problem(shown, 1, None, f"header must be {','.join(names)} ({_header_detail(header, names)})"))
                return None
            for cells in reader:
                number += 1
                if len(cells) != len(names):
                    if not "".join(cells).strip():
                        blank.append(number)
                    else:
                        found.append(Problem(shown, number, None, f"row has {len(cells)} cells, the header has {len(names)}"))
                    continue
                rows.append(cells)
                numbers.append(number)
                if len(rows) >= CHUNK_ROWS:
                    chunks.append(_typed_chunk(rows, numbers, fields, found))
                    rows, numbers = [], []
    except UnicodeDecodeError:
        line, byte = _first_bad_line(path)
        found.append(Problem(shown, line, None, f"byte 0x{byte} is not UTF-8; save the file as UTF-8 "
                             "(it looks like Windows-1258 or Latin-1)"))
        return None
    except csv.Error as exc:
        found.append(Problem(shown, number + 1, None, f"not a readable CSV row: {exc}"))
        return None
    if rows:
        chunks.append(_typed_chunk(rows, numbers, fields, found))
    last = max((c.index.max() for c in chunks if len(c)), default=0)
    for row in blank:
        if row < last:  # blank lines at the very end are harmless
            found.append(Problem(shown, row, None, "the row is blank; delete it"))
    if not chunks:
        found.append(Problem(shown, 1, None, "the file has a header but no rows"))
        return None
    frame = pd.concat(chunks) if len(chunks) > 1 else chunks[0]
    _check_keys(frame, descriptor, found)
    return frame


def _typed_chunk(rows: list[list[str]], numbers: list[int], fields: list[dict], found: Limited) -> pd.DataFrame:
    index = pd.Index(numbers)
    typed = {}
    for column, (spec, cells) in enumerate(zip(fields, zip(*rows)), start=1):
        values, errors = _convert(pd.Series(cells, index=index, dtype=object), spec)
        for row, message in errors.items():
            found.append(Problem(found.shown, int(row), column, f"{message} ({spec['name']})"))
        typed[spec["name"]] = values
    return pd.DataFrame(typed, index=index)


def _convert(series: pd.Series, spec: dict) -> tuple[pd.Series, pd.Series]:
    """Typed values of one column and the error messages of its bad cells (indexed by row)."""
    kind = spec.get("type", "string")
    if kind in ("integer", "number"):
        # Counts are mostly distinct: parse them all at C speed and explain only the suspects.
        rules = spec.get("constraints", {})
        empty = series.str.len() == 0
        values = pd.to_numeric(series, errors="coerce")
        suspect = (values.isna() & ~empty) | ~np.isfinite(values.fillna(0))
        if kind == "integer" and values.dtype.kind != "i":
            # Not every cell parsed as a plain integer: check the spelling of each (the slow path).
            suspect |= ~empty & ~series.str.strip().str.fullmatch(INTEGER).fillna(False).astype(bool)
        if kind == "integer":
            # Digits alone, but more than an integer column holds (pandas reads them as floats).
            suspect |= (values >= 2**63) | (values <= -2**63)
        if rules.get("required"):
            suspect |= empty
        if "minimum" in rules:
            suspect |= values < rules["minimum"]
        if "maximum" in rules:
            suspect |= values > rules["maximum"]
        if "enum" in rules:
            suspect |= ~empty & ~values.isin(rules["enum"])
        explained = {row: convert_cell(cell.strip(), spec) for row, cell in series[suspect].items()}
        for row, (value, _message) in explained.items():
            values.at[row] = np.nan if value is None else value
        values = values.astype("Int64") if kind == "integer" else values.astype("float64")
        messages = {row: message for row, (_value, message) in explained.items() if message}
        return values, pd.Series(messages, dtype=object)
    # Dates, years and names repeat: convert each distinct text once.
    codes, uniques = pd.factorize(series)
    converted = [convert_cell(cell.strip(), spec) for cell in uniques]
    values = pd.Series(np.array([c[0] for c in converted], dtype=object)[codes], index=series.index)
    messages = np.array([c[1] for c in converted], dtype=object)[codes]
    errors = pd.Series(messages, index=series.index).dropna()
    if kind == "year":
        values = values.astype("Int64")
    return values, errors


def _check_keys(frame: pd.DataFrame, descriptor: dict, found: Limited) -> None:
    """Primary keys and unique fields, over the whole file."""
    names = [f["name"] for f in descriptor["schema"]["fields"]]
    key = descriptor["schema"].get("primaryKey", [])
    if key and frame.duplicated(subset=key).any():
        first = _first_rows(frame, key)
        for row in frame.index[frame.duplicated(subset=key, keep="first")]:
            found.append(Problem(found.shown, int(row), None,
                                 f"duplicate row: {', '.join(key)} already used on row {first[row]}"))
    for f in descriptor["schema"]["fields"]:
        if not f.get("constraints", {}).get("unique") or not frame[f["name"]].duplicated().any():
            continue
        first = _first_rows(frame, [f["name"]])
        for row in frame.index[frame.duplicated(subset=[f["name"]], keep="first")]:
            value = frame.at[row, f["name"]]
            found.append(Problem(found.shown, int(row), names.index(f["name"]) + 1,
                                 f"value \"{value}\" already used on row {first[row]} (unique {f['name']})"))


def _first_rows(frame: pd.DataFrame, columns: list[str]) -> dict:
    """For each row whose key is repeated, the row where that key first appears."""
    involved = frame[frame.duplicated(subset=columns, keep=False)]
    rows = pd.Series(involved.index, index=involved.index)
    return rows.groupby([involved[c].astype(str) for c in columns], sort=False).transform("first").to_dict()


def _header_detail(header: list[str], names: list[str]) -> str:
    missing = [n for n in names if n not in header]
    extra = [h for h in header if h not in names]
    detail = []
    if missing:
        detail.append("missing " + ", ".join(missing))
    if extra:
        detail.append("unexpected " + ", ".join(extra))
    return "; ".join(detail) or "columns out of order"


def _first_bad_line(path: Path) -> tuple[int, str]:
    """Find the first line that is not UTF-8, reading the file in binary as a stream."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                return number, line[exc.start:exc.start + 1].hex().upper()
    return 1, "??"
