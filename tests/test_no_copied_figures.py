"""Tests never copy the figures of the shipped data: they read data/*.csv or use generated data."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

from portal.config import load_config
from portal.i18n import Formatter

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
# Figures with fewer significant digits (25, 40, 100) turn up in generated data by chance.
MIN_SIGNIFICANT_DIGITS = 4


def measure_fields(resource: dict) -> dict[str, bool]:
    """The resource's counts and measures (number and integer fields that are not codes or years) → is a percentage."""
    return {f["name"]: f.get("unit") == "%" for f in resource["schema"]["fields"]
            if f["type"] in ("number", "integer") and not f["name"].endswith("_code")
            and not re.search(r"(^|_)years?($|_)", f["name"])}


def significant_digits(cell: str) -> int:
    return len(Decimal(cell).normalize().as_tuple().digits)


def shipped_figures() -> dict[str, str]:
    """Every shipped figure with enough significant digits → where it is from.

    Each is written as plain digits and as en and vi write it; a percentage also on the 0–1 scale of the charts."""
    config = load_config(ROOT)
    formatters = [Formatter(config.language(code)) for code in ("en", "vi")]
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    figures = {}
    for resource in package["resources"]:
        fields = measure_fields(resource)
        with (ROOT / "data" / resource["path"]).open(encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                for name, percent in fields.items():
                    cell = (row.get(name) or "").strip()
                    if not cell or significant_digits(cell) < MIN_SIGNIFICANT_DIGITS:
                        continue
                    exact = Decimal(cell)
                    value = int(exact) if exact == exact.to_integral_value() else float(exact)
                    written = {str(value), *(fmt.number(value) for fmt in formatters)}
                    if percent:
                        written.add(str((exact / 100).normalize()))
                    for text in written:
                        figures.setdefault(text, f"data/{resource['path']}:{line} ({name})")
    return figures


def copied_figures(figures: dict[str, str], paths, root: Path = ROOT) -> list[str]:
    """`path:line: "figure" copies data/...` for each shipped figure written in one of `paths`."""
    # A figure counts only as a whole number: 1,234 is not found in 21,234 nor in 1,2345.
    pattern = re.compile(r"(?<!\d)(?<!\d[.,])(" + "|".join(
        re.escape(text) for text in sorted(figures, key=len, reverse=True)) + r")(?!\d)(?![.,]\d)")
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in pattern.finditer(line):
                found.append(f"{path.relative_to(root).as_posix()}:{number}: \"{match.group(1)}\" copies {figures[match.group(1)]}")
    return found


def shipped_rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_guard_knows_the_shipped_figures_in_every_way_a_test_could_write_them():
    figures = shipped_figures()
    # Read from the CSV files, never written here: a count in the millions and a percentage with decimals.
    cards = int(max(shipped_rows("id_cards"), key=lambda r: r["date"])["cards_issued"])
    assert {str(cards), f"{cards:,}", f"{cards:,}".replace(",", ".")} <= set(figures)
    rate = next(r["rate_pct"] for r in shipped_rows("online_dossiers") if significant_digits(r["rate_pct"]) >= 4)
    assert {rate, rate.replace(".", ","), str(Decimal(rate) / 100)} <= set(figures)
    # Years and codes are not figures, nor are small counts such as the tasks of the plan.
    years = {r["year"] for r in shipped_rows("online_dossiers")}
    codes = {r["code"] for r in shipped_rows("units")}
    tasks = {cell for r in shipped_rows("tasks") for k, cell in r.items() if k not in ("date", "unit_code")}
    assert not (years | codes | tasks) & set(figures)


def test_the_guard_names_the_file_and_line_of_each_copied_figure(tmp_path):
    figures = shipped_figures()
    sample = tmp_path / "tests" / "test_sample.py"
    sample.parent.mkdir()
    copied = [f'EXPECTED = "{text} as of"' for text in figures]
    # Longer numbers that only contain a figure are not copies of it.
    longer = [f'OTHER = ["1{text}", "{text}7", "9.{text}", "{text},5"]' for text in figures]
    sample.write_text("\n".join(["import csv"] + copied + longer) + "\n", encoding="utf-8")
    assert copied_figures(figures, [sample], root=tmp_path) == [
        f'tests/test_sample.py:{line}: "{text}" copies {figures[text]}' for line, text in enumerate(figures, start=2)]


def test_no_test_copies_a_shipped_figure():
    figures = shipped_figures()
    assert figures, "no shipped figure with enough significant digits: is data/ empty?"
    found = copied_figures(figures, sorted(TESTS.glob("*.py")))
    assert not found, "tests copy shipped figures; read data/*.csv instead or use generated data:\n" + "\n".join(found)
