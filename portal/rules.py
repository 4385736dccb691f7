"""Rules a Table Schema cannot express, declared per resource in datapackage.json and named in messages."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .errors import Problem

if TYPE_CHECKING:
    import pandas as pd

RULES = ("non-decreasing", "not-above", "sum-not-above", "ratio", "not-in-future", "update-frequency")
FREQUENCY_DAYS = {"monthly": 31, "quarterly": 92, "yearly": 366}
MAX_PER_RULE = 50


def describe_rules(descriptor: dict) -> list[str]:
    """Problems in the rule declarations of one resource (unknown rule, unknown field)."""
    fields = {f.get("name") for f in descriptor.get("schema", {}).get("fields", [])}
    messages = []
    for rule in descriptor.get("rules", []):
        kind = rule.get("rule")
        if kind not in RULES:
            messages.append(f"unknown rule {kind!r}; known: {', '.join(RULES)}")
            continue
        names = [rule.get(k) for k in ("field", "limit", "numerator", "denominator") if rule.get(k)]
        names += rule.get("fields", [])
        for name in names:
            if name not in fields:
                messages.append(f"rule {kind} names an unknown field {name!r}")
        if kind == "update-frequency" and rule.get("every") not in FREQUENCY_DAYS:
            messages.append(f"rule update-frequency needs \"every\": one of {', '.join(FREQUENCY_DAYS)}")
    return messages


def check_rules(descriptor: dict, frame: pd.DataFrame, shown: str, today: dt.date) -> list[Problem]:
    """Apply the resource's declared rules, and the no-future-dates rule, to its typed rows (indexed by row)."""
    fields = descriptor["schema"]["fields"]
    column = {f["name"]: index for index, f in enumerate(fields, start=1)}
    problems: list[Problem] = []

    def add(mask: pd.Series, name: str | None, message, rule: str) -> None:
        """One problem for each row where `mask` holds; `message` makes the text from the row."""
        hits = frame[mask.fillna(False).astype(bool)]
        for row, values in hits.head(MAX_PER_RULE).iterrows():
            problems.append(Problem(shown, int(row), column.get(name), f"{message(values)} (rule {rule})"))
        if len(hits) > MAX_PER_RULE:
            problems.append(Problem(shown, None, None, f"… and {len(hits) - MAX_PER_RULE} more rows breaking rule {rule}"))

    for f in fields:
        name = f["name"]
        if f.get("type") == "date":
            add(frame[name].map(lambda v: v is not None and v > today, na_action="ignore"), name,
                lambda r, n=name: f'value "{r[n]}" is in the future of the build date {today.isoformat()}', "not-in-future")
        elif f.get("type") == "year":
            add(frame[name] > today.year, name,
                lambda r, n=name: f'value "{r[n]}" is in the future of the build date {today.isoformat()}', "not-in-future")

    for rule in descriptor.get("rules", []):
        kind = rule["rule"]
        if kind == "not-above":
            field, limit = rule["field"], rule["limit"]
            add(frame[field] > frame[limit], field,
                lambda r: f'value "{r[field]}" is greater than {limit} "{r[limit]}"', kind)
        elif kind == "sum-not-above":
            names, limit = rule["fields"], rule["limit"]
            total = sum(frame[n] for n in names)
            add(total > frame[limit], names[0],
                lambda r: f"{' + '.join(names)} = {sum(r[n] for n in names)} is greater than {limit} \"{r[limit]}\"", kind)
        elif kind == "ratio":
            field, top, bottom = rule["field"], rule["numerator"], rule["denominator"]
            scale, tolerance = rule.get("scale", 100), rule.get("tolerance", 0.01)
            expected = scale * frame[top] / frame[bottom].where(frame[bottom] != 0)
            add((frame[field] - expected).abs() > tolerance, field,
                lambda r: f'value "{r[field]}" differs from {top} / {bottom} = {scale * r[top] / r[bottom]:.2f}', kind)
        elif kind == "non-decreasing":
            _check_non_decreasing(rule, descriptor, frame, add)
        elif kind == "update-frequency":
            problems += _check_frequency(rule, descriptor, frame, today, shown)
    return problems


def _check_non_decreasing(rule: dict, descriptor: dict, frame: pd.DataFrame, add) -> None:
    """A cumulative count never goes down from one date to the next, within the same unit."""
    import pandas as pd  # here, not above: a build whose data comes from the memo never loads it

    fields = descriptor["schema"]["fields"]
    time = next((f["name"] for f in fields if f.get("type") in ("date", "year")), None)
    if time is None:
        return
    keys = [k for k in descriptor["schema"].get("primaryKey", []) if k != time]
    field = rule["field"]
    ordered = frame[frame[field].notna() & frame[time].notna()].sort_values([*keys, time], kind="stable")
    grouped = ordered.groupby(keys, sort=False) if keys else ordered
    previous_value = grouped[field].shift()
    previous_time = grouped[time].shift()
    falls = pd.Series(False, index=frame.index)
    falls.loc[ordered.index] = (ordered[field] < previous_value).fillna(False).astype(bool).to_numpy()
    before = {row: (previous_time[row], previous_value[row]) for row in ordered.index[(ordered[field] < previous_value).fillna(False).astype(bool)]}
    add(falls, field, lambda r: f'value "{r[field]}" on {r[time]} is lower than "{before[r.name][1]}" on '
        f"{before[r.name][0]}; a cumulative count cannot fall", "non-decreasing")


def _check_frequency(rule: dict, descriptor: dict, frame: pd.DataFrame, today: dt.date, shown: str) -> list[Problem]:
    """A warning when the latest row is older than the dataset's declared update frequency."""
    fields = descriptor["schema"]["fields"]
    time = next((f for f in fields if f.get("type") in ("date", "year")), None)
    if time is None or frame[time["name"]].dropna().empty:
        return []
    latest = frame[time["name"]].dropna().max()
    latest = dt.date(int(latest), 12, 31) if time["type"] == "year" else latest
    if (today - latest).days > FREQUENCY_DAYS[rule["every"]]:
        return [Problem(shown, None, None, f"the latest row is from {latest.isoformat()}, older than the declared "
                        f"{rule['every']} updates (rule update-frequency)", "warning")]
    return []
