"""Rules a Table Schema cannot express, declared per resource in datapackage.json and named in messages."""

from __future__ import annotations

import datetime as dt

from .errors import Problem

RULES = ("non-decreasing", "not-above", "sum-not-above", "ratio", "not-in-future", "update-frequency")
FREQUENCY_DAYS = {"monthly": 31, "quarterly": 92, "yearly": 366}


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


def check_rules(descriptor: dict, rows: list[tuple[int, dict]], shown: str, today: dt.date) -> list[Problem]:
    """Apply the resource's declared rules, and the no-future-dates rule, to its typed rows."""
    fields = descriptor["schema"]["fields"]
    column = {f["name"]: index for index, f in enumerate(fields, start=1)}
    problems = []

    def add(number: int, name: str | None, message: str, rule: str, severity: str = "error") -> None:
        problems.append(Problem(shown, number, column.get(name) if name else None, f"{message} (rule {rule})", severity))

    for f in fields:
        if f.get("type") not in ("date", "year"):
            continue
        for number, row in rows:
            value = row.get(f["name"])
            if value is None:
                continue
            if (value > today.year) if f["type"] == "year" else (value > today):
                add(number, f["name"], f'value "{value}" is in the future of the build date {today.isoformat()}', "not-in-future")

    for rule in descriptor.get("rules", []):
        kind = rule["rule"]
        if kind == "not-above":
            field, limit = rule["field"], rule["limit"]
            for number, row in rows:
                if _known(row, field, limit) and row[field] > row[limit]:
                    add(number, field, f'value "{row[field]}" is greater than {limit} "{row[limit]}"', kind)
        elif kind == "sum-not-above":
            names, limit = rule["fields"], rule["limit"]
            for number, row in rows:
                if _known(row, limit, *names) and sum(row[n] for n in names) > row[limit]:
                    total = sum(row[n] for n in names)
                    add(number, names[0], f"{' + '.join(names)} = {total} is greater than {limit} \"{row[limit]}\"", kind)
        elif kind == "ratio":
            field, top, bottom = rule["field"], rule["numerator"], rule["denominator"]
            scale, tolerance = rule.get("scale", 100), rule.get("tolerance", 0.01)
            for number, row in rows:
                if _known(row, field, top, bottom) and row[bottom]:
                    expected = scale * row[top] / row[bottom]
                    if abs(row[field] - expected) > tolerance:
                        add(number, field, f'value "{row[field]}" differs from {top} / {bottom} = {expected:.2f}', kind)
        elif kind == "non-decreasing":
            problems += _check_non_decreasing(rule, descriptor, rows, add)
        elif kind == "update-frequency":
            problems += _check_frequency(rule, descriptor, rows, today, shown)
    return problems


def _check_non_decreasing(rule: dict, descriptor: dict, rows, add) -> list:
    """A cumulative count never goes down from one date to the next, within the same unit."""
    fields = descriptor["schema"]["fields"]
    time = next((f["name"] for f in fields if f.get("type") in ("date", "year")), None)
    if time is None:
        return []
    keys = [k for k in descriptor["schema"].get("primaryKey", []) if k != time]
    field = rule["field"]
    groups: dict[tuple, list] = {}
    for number, row in rows:
        if _known(row, time, field):
            groups.setdefault(tuple(row.get(k) for k in keys), []).append((row[time], number, row[field]))
    for series in groups.values():
        series.sort()
        for (t0, _n0, v0), (t1, n1, v1) in zip(series, series[1:]):
            if v1 < v0:
                add(n1, field, f'value "{v1}" on {t1} is lower than "{v0}" on {t0}; a cumulative count cannot fall',
                    "non-decreasing")
    return []


def _check_frequency(rule: dict, descriptor: dict, rows, today: dt.date, shown: str) -> list[Problem]:
    """A warning when the latest row is older than the dataset's declared update frequency."""
    fields = descriptor["schema"]["fields"]
    time = next((f for f in fields if f.get("type") in ("date", "year")), None)
    values = [row[time["name"]] for _n, row in rows if time and row.get(time["name"]) is not None]
    if not values:
        return []
    latest = max(values)
    latest = dt.date(latest, 12, 31) if time["type"] == "year" else latest
    allowed = FREQUENCY_DAYS[rule["every"]]
    if (today - latest).days > allowed:
        return [Problem(shown, None, None, f"the latest row is from {latest.isoformat()}, older than the declared "
                        f"{rule['every']} updates (rule update-frequency)", "warning")]
    return []


def _known(row: dict, *names: str) -> bool:
    return all(row.get(n) is not None for n in names)
