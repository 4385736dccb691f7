"""Administrative units: codes, names in each language, level, parent and validity, read from units.csv.

Wherever a code appears its name appears too; a unit that no longer exists (the district level
ended on 1 July 2025) keeps its name for the rows of its time.
"""

from __future__ import annotations

UNITS_RESOURCE = "units"
CODE = "unit_code"


def unit_table(records: list[dict]) -> dict[str, dict]:
    """Units by code from the rows of units.csv: names by language ("" the official name), level, parent, end."""
    table = {}
    for row in records:
        names = {"": row.get("name") or row.get("code")}
        for key, value in row.items():
            if key.startswith("name_") and value:
                names[key.removeprefix("name_")] = value
        table[str(row["code"])] = {"names": names, "level": row.get("level") or row.get("type"),
                                   "type": row.get("type"), "parent": row.get("parent_code"),
                                   "valid_until": row.get("valid_until")}
    return table


def for_codes(table: dict[str, dict], codes) -> dict[str, dict]:
    """The part of `table` about `codes` (the units a dataset names)."""
    return {code: table[code] for code in sorted({str(c) for c in codes}) if code in table}


def unit_name(units: dict[str, dict], code, lang: str) -> str:
    """The unit's name in `lang` (Vietnamese, the official name, stands in), or the code when unknown."""
    unit = units.get(str(code))
    if unit is None:
        return str(code)
    names = unit["names"]
    return names.get(lang) or names[""]


def labelled(units: dict[str, dict], code, lang: str) -> str:
    """"Name (code)", as tables show a unit."""
    name = unit_name(units, code, lang)
    return name if name == str(code) else f"{name} ({code})"


def ranked(rows: list[dict], value: str, province_code: str) -> list[dict]:
    """The rows of units other than the province, highest `value` first (ties by code, for stable pages)."""
    others = [r for r in rows if str(r.get(CODE)) != province_code and r.get(value) is not None]
    return sorted(others, key=lambda r: (-r[value], str(r.get(CODE))))
