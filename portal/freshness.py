"""Freshness: how often a dataset is updated (an ISO 8601 duration), when the next update is due,
and whether it is overdue.

Vietnam's rules on open data (Decree 47/2020/ND-CP) ask that published data be kept current and
its update cycle stated; a dataset declares it as `"updateFrequency": "P1M"` (monthly), "P3M",
"P1Y" and so on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .errors import Problem

DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")


def parse_duration(text) -> tuple[int, int, int] | None:
    """(years, months, days) of an ISO 8601 date duration, or None when it is not one."""
    match = DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        return None
    years, months, weeks, days = (int(g or 0) for g in match.groups())
    return years, months, weeks * 7 + days


def add_duration(day: dt.date, duration: tuple[int, int, int]) -> dt.date:
    """`day` plus the duration, a month end staying a month end (31 January + P1M = 28/29 February)."""
    years, months, days = duration
    month_index = day.month - 1 + months + 12 * years
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    is_month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month, last if is_month_end else min(day.day, last)) + dt.timedelta(days=days)


def latest_date(frame, fields: list[dict]) -> dt.date | None:
    """The latest date the rows speak for (31 December for a year), or None."""
    time = next((f for f in fields if f.get("type") in ("date", "year")), None)
    if time is None or frame is None or frame[time["name"]].dropna().empty:
        return None
    latest = frame[time["name"]].dropna().max()
    return dt.date(int(latest), 12, 31) if time["type"] == "year" else latest


def next_expected(as_of: dt.date | None, frequency: str | None) -> dt.date | None:
    """When the next figures are due: the latest date plus the declared frequency."""
    duration = parse_duration(frequency)
    if as_of is None or duration is None:
        return None
    return add_duration(as_of, duration)


def overdue_problem(descriptor: dict, frame, shown: str, today: dt.date) -> Problem | None:
    """A warning (an error with --strict) when the dataset's next update was due before `today`."""
    frequency = descriptor.get("updateFrequency")
    latest = latest_date(frame, descriptor.get("schema", {}).get("fields", []))
    due = next_expected(latest, frequency)
    if due is None or due >= today:
        return None
    return Problem(shown, None, None, f"overdue: the latest figures are as of {latest.isoformat()} and it is updated "
                   f"every {frequency}, so new figures were expected by {due.isoformat()} (updateFrequency)", "warning")
