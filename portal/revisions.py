"""Revisions: every change to a published figure, listed in data/revisions.csv and kept consistent
with the datasets, so that no correction is silent."""

from __future__ import annotations

import datetime as dt

from .errors import Problem

RESOURCE = "revisions"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _time_field(descriptor: dict) -> str | None:
    return next((f["name"] for f in descriptor["schema"]["fields"] if f.get("type") in ("date", "year")), None)


def check(tables: dict, descriptors: list[dict], shown: str) -> list[Problem]:
    """A problem for each revision naming a dataset, row or column that does not exist, or whose
    new value is not the one the dataset now holds."""
    frame = tables.get(RESOURCE)
    if frame is None:
        return []
    by_name = {d["name"]: d for d in descriptors}
    columns = list(frame.columns)
    problems = []
    for line, revision in zip(frame.index, frame.to_dict("records")):
        def bad(column: str, message: str) -> None:
            problems.append(Problem(shown, int(line), columns.index(column) + 1, message))

        name = revision.get("dataset")
        descriptor = by_name.get(name)
        target = tables.get(name)
        if descriptor is None or name == RESOURCE or target is None:
            bad("dataset", f"unknown dataset {name!r} (dataset)")
            continue
        fields = [f["name"] for f in descriptor["schema"]["fields"]]
        if revision.get("field") not in fields:
            bad("field", f"dataset {name} has no column {revision.get('field')!r} (field)")
            continue
        time = _time_field(descriptor)
        rows = target
        if time is not None:
            rows = rows[rows[time].map(_text) == str(revision.get("row"))]
        if "unit_code" in rows.columns:
            rows = rows[rows["unit_code"].map(_text) == str(revision.get("unit_code"))]
        if rows.empty:
            bad("row", f"dataset {name} has no row {revision.get('row')} for unit {revision.get('unit_code')} (row)")
            continue
        current = {_text(v) for v in rows[revision["field"]]}
        if _text(revision.get("new_value")) not in current:
            bad("new_value", f"new value {revision.get('new_value')!r} is not what {name} now holds in that row "
                f"({', '.join(sorted(current))}); update the revision or the data (new_value)")
        if _text(revision.get("old_value")) == _text(revision.get("new_value")):
            bad("old_value", "old and new values are the same: a revision must change something (old_value)")
    return problems


def for_dataset(revisions: list[dict], name: str, lang: str) -> list[dict]:
    """The revisions of one dataset, newest first, with the reason in `lang` (English standing in)."""
    found = [r for r in revisions if r.get("dataset") == name]
    found.sort(key=lambda r: str(r.get("revised_on")), reverse=True)
    return [{**r, "reason": r.get(f"reason_{lang}") or r.get("reason_en") or r.get("reason_vi") or ""} for r in found]
