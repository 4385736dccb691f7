"""Indicators: the headline figure and the plain-language summary of a dataset, per language."""

from __future__ import annotations

from dataclasses import dataclass

from .data import Dataset
from .errors import BuildError
from .i18n import Formatter


@dataclass(frozen=True)
class Headline:
    """The key figure of an indicator, already formatted for one language."""

    label: str
    value: str
    detail: str  # "of 2,389,718 (79.49%)", "target 40%: +5.03 points", or ""
    as_of: str


@dataclass(frozen=True)
class Indicator:
    """What an indicator page and a home-page card show, in one language."""

    slug: str
    dataset: Dataset
    title: str
    headline: Headline
    summary: tuple[str, ...]


def field_title(dataset: Dataset, name: str, lang: str) -> str:
    """The field's title in `lang`, or its name when untranslated."""
    return dataset.field(name).titles.get(lang, name)


def category_title(dataset: Dataset, name: str, value, lang: str) -> str:
    """A category value's title in `lang` (for enumerated fields), else the value itself."""
    titles = dataset.field(name).enum_titles.get(str(value))
    return titles.get(lang, str(value)) if titles else str(value)


def format_value(dataset: Dataset, name: str, value, fmt: Formatter) -> str:
    """Format one cell by its field: percentages, counts, dates, years, text."""
    spec = dataset.field(name)
    if value is None:
        return "–"
    if spec.is_percent:
        return fmt.percent(value)
    if spec.type in ("integer", "number"):
        return fmt.number(value)
    if spec.type in ("date", "year"):
        return fmt.period(value)
    if spec.enum_titles:
        return category_title(dataset, name, value, fmt.lang.code)
    return str(value)


def scope_rows(dataset: Dataset, province_code: str, latest_only: bool) -> list[dict]:
    """Province-wide rows (all rows when the dataset has no unit column), optionally of the latest period."""
    frame = dataset.frame
    if "unit_code" in frame.columns:
        frame = frame[frame["unit_code"] == province_code]
    time = dataset.time_field
    if latest_only and time and len(frame):
        frame = frame[frame[time] == frame[time].max()]
    return dataset.records(frame)


def make_indicator(dataset: Dataset, province_code: str, fmt: Formatter, _) -> Indicator:
    """Work out the headline and summary of one indicator dataset for one language."""
    lang = fmt.lang.code
    spec = dataset.indicator
    rows = scope_rows(dataset, province_code, latest_only=True)
    if not rows:
        # The headline and the chart show province-wide rows: with none, there is nothing to show.
        raise BuildError.single(f"data/{dataset.src_path.name}", f"no province-wide rows (unit_code "
                                f"{province_code}, as site.toml says): the indicator {spec['slug']!r} shows those")
    as_of = fmt.date(dataset.as_of) if dataset.as_of else ""
    return Indicator(
        slug=spec["slug"],
        dataset=dataset,
        title=dataset.titles.get(lang, dataset.name),
        headline=_make_headline(dataset, spec["headline"], rows, fmt, _, as_of),
        summary=tuple(_make_summary(dataset, spec["chart"], province_code, fmt, _)),
    )


def _make_headline(dataset, spec, rows, fmt, _, as_of) -> Headline:
    lang = fmt.lang.code
    where = spec.get("where", {})
    row = next((r for r in rows if all(r.get(k) == v for k, v in where.items())), None)
    label = field_title(dataset, spec["value"], lang)
    if where:
        label = " · ".join([label] + [category_title(dataset, k, v, lang) for k, v in where.items()])
    if row is None:
        return Headline(label, "–", _("No figure published yet"), as_of)
    value = row[spec["value"]]
    text = format_value(dataset, spec["value"], value, fmt)
    detail = ""
    if spec.get("of") and row.get(spec["of"]):
        total = row[spec["of"]]
        detail = _("of {total} ({share})").format(total=fmt.number(total), share=fmt.percent(100 * value / total))
    elif spec.get("target") and row.get(spec["target"]) is not None:
        detail = _target_sentence(value - row[spec["target"]], fmt.percent(row[spec["target"]]), fmt, _)
    return Headline(label, text, detail, as_of)


def _target_sentence(diff: float, target: str, fmt: Formatter, _) -> str:
    if diff >= 0:
        return _("{points} percentage points above the target of {target}").format(points=fmt.number(diff), target=target)
    return _("{points} percentage points below the target of {target}").format(points=fmt.number(-diff), target=target)


def _make_summary(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, _):
    lang = fmt.lang.code
    time = dataset.time_field
    if chart["type"] == "bar" and chart["x"] == time:
        rows = scope_rows(dataset, province_code, latest_only=False)
        if not rows:
            return
        first, last = rows[0], rows[-1]
        y = chart["y"]
        yield _("{title}: {value} as of {date}.").format(
            title=field_title(dataset, y, lang), value=format_value(dataset, y, last[y], fmt),
            date=fmt.period(last[time]))
        if len(rows) > 1:
            yield _("That is {change} more than on {date}.").format(
                change=fmt.number(last[y] - first[y]), date=fmt.period(first[time]))
        return
    rows = scope_rows(dataset, province_code, latest_only=True)
    period = fmt.period(rows[0][time]) if rows and time else ""
    if chart["type"] == "bar":
        x, y, target = chart["x"], chart["y"], chart.get("target")
        for row in rows:
            if target and row.get(target) is not None:
                yield "{}: {}, {}.".format(
                    category_title(dataset, x, row[x], lang), format_value(dataset, y, row[y], fmt),
                    _target_sentence(row[y] - row[target], fmt.percent(row[target]), fmt, _))
        if len(rows) > 2:
            high = max(rows, key=lambda r: r[y])
            low = min(rows, key=lambda r: r[y])
            yield _("Highest in {period}: {high} ({high_value}). Lowest: {low} ({low_value}).").format(
                period=period, high=category_title(dataset, x, high[x], lang),
                high_value=format_value(dataset, y, high[y], fmt),
                low=category_title(dataset, x, low[x], lang), low_value=format_value(dataset, y, low[y], fmt))
    elif chart["type"] == "grouped":
        whole, *parts = chart["measures"]
        for row in rows:
            for part in parts:
                if row.get(whole):
                    yield _("{part_title}: {part}, that is {share} of {whole_title} ({whole}), as of {date}.").format(
                        part_title=field_title(dataset, part, lang), part=fmt.number(row[part]),
                        share=fmt.percent(100 * row[part] / row[whole]),
                        whole_title=field_title(dataset, whole, lang), whole=fmt.number(row[whole]), date=period)
    elif chart["type"] == "progress":
        total, (first, *others) = chart["total"], chart["parts"]
        category = chart.get("category")
        for row in rows:
            label = category_title(dataset, category, row[category], lang) if category else field_title(dataset, first, lang)
            share = fmt.percent(100 * row[first] / row[total]) if row[total] else "–"
            sentence = _("{label}: {part} of {total} ({share}).").format(
                label=label, part=fmt.number(row[first]), total=fmt.number(row[total]), share=share)
            extra = ["{}: {}.".format(field_title(dataset, o, lang), fmt.number(row[o])) for o in others]
            yield " ".join([sentence] + extra)
