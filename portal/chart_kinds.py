"""Chart kinds: which chart an indicator gets, chosen from the shape of its data.

An indicator declares the roles of its columns in `data/datapackage.json` (the `measures` to
draw, or `parts` of a `total`, an optional `category`, `target` and `annotations`); the kind
follows from the rows, so a data officer who adds a month turns a single figure into a line
without touching anything else. KINDS is the one registry: each kind says when it fits, and
charts.py draws it under the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .data import per_dataset


@dataclass(frozen=True)
class Shape:
    """What the rows of an indicator look like, as far as the choice of chart goes."""

    dates: int  # distinct dates (or years) with a province-wide figure
    categories: int  # distinct category values at the latest date
    parts: bool  # parts of a total are declared
    units: int  # units other than the province with a figure at the latest date


@dataclass(frozen=True)
class Kind:
    """One kind of chart: its name, when it is the main chart, and whether it is a second view."""

    name: str
    fits: Callable[[Shape], bool]
    extra: bool = False  # drawn beside the main chart rather than instead of it


KINDS: tuple[Kind, ...] = (
    # A part of a total reads best as a filled bar against its whole.
    Kind("progress", lambda s: s.parts and s.dates >= 1),
    # Two or more dates: movement over time, which is what the portal is for.
    Kind("line", lambda s: not s.parts and s.dates >= 2),
    # One date, several categories: bars side by side.
    Kind("bar", lambda s: not s.parts and s.dates == 1 and s.categories >= 2),
    # Several places at the latest date: ranked against the province figure.
    Kind("ranked", lambda s: s.units >= 2, extra=True),
)


def roles(chart: dict, time_field: str | None) -> dict:
    """The declared roles, with older declarations (`type`, `x`, `y`) read the same way."""
    measures = list(chart.get("measures") or ([chart["y"]] if chart.get("y") else []))
    category = chart.get("category")
    if category is None and chart.get("x") not in (None, time_field):
        category = chart["x"]
    return {
        "measures": measures,
        "category": category,
        "parts": list(chart.get("parts", [])),
        "total": chart.get("total"),
        "target": chart.get("target"),
        "annotations": list(chart.get("annotations", [])),
    }


def shape_of(records: list[dict], role: dict, time_field: str | None, province_code: str) -> Shape:
    """The shape of an indicator's rows (plain dicts), for its roles."""
    figures = role["parts"][:1] or role["measures"]

    def has_figure(row: dict) -> bool:
        return any(row.get(name) is not None for name in figures)

    with_figures = [r for r in records if has_figure(r)]
    province = [r for r in with_figures if r.get("unit_code", province_code) == province_code]
    dates = sorted({r.get(time_field) for r in province}) if time_field else [None] * bool(province)
    latest = [r for r in province if not time_field or r.get(time_field) == dates[-1]] if dates else []
    if role["category"]:
        categories = len({r.get(role["category"]) for r in latest})
    else:  # several measures of one date are categories of their own
        categories = len({m for r in latest for m in role["measures"] if r.get(m) is not None})
    unit_dates = sorted({r.get(time_field) for r in with_figures if r.get("unit_code", province_code) != province_code}) \
        if time_field else []
    last_unit_date = unit_dates[-1] if unit_dates else None
    units = len({r["unit_code"] for r in with_figures if r.get("unit_code", province_code) != province_code
                 and (not time_field or r.get(time_field) == last_unit_date)})
    return Shape(dates=len(dates), categories=categories, parts=bool(role["parts"]), units=units)


def choose(shape: Shape) -> list[str]:
    """The kinds to draw, main chart first; empty for a single figure, which the headline says better."""
    main = next((k.name for k in KINDS if not k.extra and k.fits(shape)), None)
    return ([main] if main else []) + [k.name for k in KINDS if k.extra and k.fits(shape)]


def views(dataset, province_code: str) -> list[str]:
    """The kinds of chart an indicator dataset gets from its current rows."""
    return list(_views(dataset, province_code)) if dataset.indicator else []


@per_dataset
def _views(dataset, province_code: str) -> tuple[str, ...]:
    role = roles(dataset.indicator.get("chart", {}), dataset.time_field)
    return tuple(choose(shape_of(dataset.records(), role, dataset.time_field, province_code)))
