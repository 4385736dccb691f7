"""Indicators: the headline figure and the plain-language summary of a dataset, per language."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import chart_kinds, provenance
from .data import Dataset, per_dataset
from .errors import BuildError
from .i18n import Formatter
from .units import CODE, ranked, unit_name


@dataclass(frozen=True)
class Headline:
    """The key figure of an indicator, already formatted for one language."""

    label: str
    value: str
    detail: str  # "of 2,389,718 (79.49%)", "target 40%: +5.03 points", or ""
    as_of: str  # the date of the headline's own row
    sources: tuple[str, ...] = ()  # the citations of the headline's row, in the page's language
    change: str = ""  # the movement since the previous figure, in words
    sparkline: str = ""  # SVG polyline points (in a 100 × 24 box) when the series has three or more points
    began: str = ""  # for a single figure: when its series began


@dataclass(frozen=True)
class Indicator:
    """What an indicator page and a home-page card show, in one language."""

    slug: str
    dataset: Dataset
    title: str
    headline: Headline
    summary: tuple[str, ...]
    views: tuple[str, ...] = ()  # the kinds of chart it gets (none: a single figure, told by its headline)
    latest: dict | None = None  # the latest province-wide row its headline speaks of, which articles quote
    standings: dict = field(default_factory=dict)  # unit code -> its latest figure and rank (see unit_standings)


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
    rows = dataset.records()
    if "unit_code" in dataset.frame.columns:
        rows = [row for row in rows if row["unit_code"] == province_code]
    time = dataset.time_field
    if latest_only and time and rows:
        latest = max((row[time] for row in rows if row[time] is not None), default=None)
        rows = [row for row in rows if row[time] == latest] if latest is not None else []
    return rows


def make_indicator(dataset: Dataset, province_code: str, fmt: Formatter) -> Indicator:
    """Work out the headline and summary of one indicator dataset for one language."""
    lang = fmt.lang.code
    spec = dataset.indicator
    rows = scope_rows(dataset, province_code, latest_only=True)
    if not rows:
        # The headline and the chart show province-wide rows: with none, there is nothing to show.
        raise BuildError.single(f"data/{dataset.src_path.name}", f"no province-wide rows (unit_code "
                                f"{province_code}, as site.toml says): the indicator {spec['slug']!r} shows those")
    as_of = fmt.date(dataset.as_of) if dataset.as_of else ""
    headline = _make_headline(dataset, spec["headline"], rows, fmt, as_of)
    history = _series(dataset, spec["headline"], province_code)
    views = chart_kinds.views(dataset, province_code)
    headline = _with_movement(headline, dataset, spec["headline"]["value"], history, not views, fmt)
    return Indicator(
        slug=spec["slug"],
        dataset=dataset,
        title=dataset.titles.get(lang, dataset.name),
        headline=headline,
        summary=tuple(_make_summary(dataset, spec["chart"], province_code, fmt, views)),
        views=tuple(views),
        latest=headline_row(rows, spec["headline"]),
        standings=unit_standings(dataset, province_code),
    )


def headline_rows(dataset: Dataset) -> list[dict]:
    """Every row, of any unit and date, that the headline's `where` picks and that has its figure."""
    spec = dataset.indicator["headline"]
    name, where = spec["value"], spec.get("where", {})
    return [r for r in dataset.records() if all(r.get(k) == v for k, v in where.items()) and r.get(name) is not None]


@per_dataset  # the same in every language
def unit_standings(dataset: Dataset, province_code: str) -> dict[str, dict]:
    """For each unit other than the province with a headline figure: its latest row ("row"), the
    province row of that date ("province", or None) and its place among the units then ("rank", "of")."""
    name, time = dataset.indicator["headline"]["value"], dataset.time_field
    if not dataset.unit_codes - {province_code}:
        return {}
    rows = headline_rows(dataset)
    by_unit: dict[str, list[dict]] = {}
    by_time: dict = {}
    for row in rows:
        by_unit.setdefault(str(row.get(CODE)), []).append(row)
        by_time.setdefault(row[time] if time else None, []).append(row)
    places: dict = {}  # time -> (province row, unit codes in rank order)
    standings = {}
    for code, own in sorted(by_unit.items()):
        if code == province_code:
            continue
        last = max(own, key=lambda r: r[time]) if time else own[-1]
        when = last[time] if time else None
        if when not in places:
            same = by_time[when]
            places[when] = (next((r for r in same if str(r.get(CODE)) == province_code), None),
                            [str(r[CODE]) for r in ranked(same, name, province_code)])
        province, order = places[when]
        standings[code] = {"row": last, "province": province, "rank": order.index(code) + 1, "of": len(order)}
    return standings


def headline_row(rows: list[dict], headline: dict) -> dict | None:
    """The row, of the latest province-wide `rows`, that the headline's `where` picks (else the first)."""
    where = headline.get("where", {})
    return next((r for r in rows if all(r.get(k) == v for k, v in where.items())), rows[0] if rows else None)


def _series(dataset: Dataset, spec: dict, province_code: str) -> list[dict]:
    """The province-wide rows of the headline's figure over time, oldest first (those with a value)."""
    where = spec.get("where", {})
    rows = scope_rows(dataset, province_code, latest_only=False)
    rows = [r for r in rows if all(r.get(k) == v for k, v in where.items()) and r.get(spec["value"]) is not None]
    time = dataset.time_field
    return sorted(rows, key=lambda r: r[time]) if time else rows


def _with_movement(headline: Headline, dataset: Dataset, value: str, history: list[dict], single: bool,
                   fmt: Formatter) -> Headline:
    """The headline with its row's date and sources, its change since the previous figure and a sparkline."""
    _ = fmt.gettext
    if not history:
        return headline
    time = dataset.time_field
    last = history[-1]
    lang = fmt.lang.code
    sources = tuple(s.get(lang) or s.get("") for s in provenance.row_sources(dataset, last))
    as_of = fmt.period(last[time]) if time else headline.as_of
    change = began = ""
    if len(history) >= 2:
        change = change_sentence(dataset, value, history[-2], last, fmt)
    elif single and time:
        began = _("This series began on {date}, with this figure; a chart appears once a second date is published.").format(
            date=fmt.period(last[time]))
    points = sparkline([r[value] for r in history]) if len(history) >= 3 else ""
    return replace(headline, as_of=as_of, sources=sources, change=change, sparkline=points, began=began)


def change_sentence(dataset: Dataset, name: str, before: dict, after: dict, fmt: Formatter) -> str:
    """"Up 895,177 (+59.9%) since 15 April 2023", in words, for two rows of one field."""
    _ = fmt.gettext
    time = dataset.time_field
    old, new = before[name], after[name]
    date = fmt.period(before[time]) if time else ""
    diff = new - old
    if diff == 0:
        return _("Unchanged since {date}.").format(date=date)
    if dataset.field(name).is_percent:
        amount = _("{points} percentage points").format(points=fmt.number(abs(diff)))
        if diff > 0:
            return _("Up {amount} since {date}.").format(amount=amount, date=date)
        return _("Down {amount} since {date}.").format(amount=amount, date=date)
    relative = fmt.percent(100 * abs(diff) / abs(old)) if old else ""
    amount = fmt.number(abs(diff)) + (f" ({relative})" if relative else "")
    if diff > 0:
        return _("Up {amount} since {date}.").format(amount=amount, date=date)
    return _("Down {amount} since {date}.").format(amount=amount, date=date)


def sparkline(values: list[float], width: int = 100, height: int = 24) -> str:
    """SVG polyline points for a small line of `values`, in a width × height box (1 px margin)."""
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = (width - 2) / (len(values) - 1)
    return " ".join(f"{1 + i * step:.1f},{height - 1 - (v - low) / span * (height - 2):.1f}" for i, v in enumerate(values))


def _make_headline(dataset, spec, rows, fmt, as_of) -> Headline:
    lang, _ = fmt.lang.code, fmt.gettext
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
        detail = _target_sentence(value - row[spec["target"]], fmt.percent(row[spec["target"]]), fmt)
    return Headline(label, text, detail, as_of)


def _target_sentence(diff: float, target: str, fmt: Formatter) -> str:
    _ = fmt.gettext
    if diff >= 0:
        return _("{points} percentage points above the target of {target}").format(points=fmt.number(diff), target=target)
    return _("{points} percentage points below the target of {target}").format(points=fmt.number(-diff), target=target)


def _make_summary(dataset: Dataset, declared: dict, province_code: str, fmt: Formatter, views: list[str]):
    lang, _ = fmt.lang.code, fmt.gettext
    time = dataset.time_field
    chart = chart_kinds.roles(declared, time)
    main = views[0] if views else None
    if main == "line" or (main is None and not chart["parts"]):
        yield from _over_time(dataset, chart, province_code, fmt)
        if "ranked" in views:
            yield from _ranked_summary(dataset, chart, province_code, fmt)
        return
    rows = scope_rows(dataset, province_code, latest_only=True)
    period = fmt.period(rows[0][time]) if rows and time else ""
    if main == "bar" and not chart["category"]:
        whole, *parts = chart["measures"]
        for row in rows:
            for part in parts:
                if row.get(whole) and row.get(part) is not None:
                    yield _("{part_title}: {part}, that is {share} of {whole_title} ({whole}), as of {date}.").format(
                        part_title=field_title(dataset, part, lang), part=fmt.number(row[part]),
                        share=fmt.percent(100 * row[part] / row[whole]),
                        whole_title=field_title(dataset, whole, lang), whole=fmt.number(row[whole]), date=period)
    elif main == "bar":
        x, y, target = chart["category"], chart["measures"][0], chart.get("target")
        for row in rows:
            if target and row.get(target) is not None:
                yield "{}: {}, {}.".format(
                    category_title(dataset, x, row[x], lang), format_value(dataset, y, row[y], fmt),
                    _target_sentence(row[y] - row[target], fmt.percent(row[target]), fmt))
        if len(rows) > 2:
            high = max(rows, key=lambda r: r[y])
            low = min(rows, key=lambda r: r[y])
            yield _("Highest in {period}: {high} ({high_value}). Lowest: {low} ({low_value}).").format(
                period=period, high=category_title(dataset, x, high[x], lang),
                high_value=format_value(dataset, y, high[y], fmt),
                low=category_title(dataset, x, low[x], lang), low_value=format_value(dataset, y, low[y], fmt))
    elif chart["parts"]:
        total, (first, *others) = chart["total"], chart["parts"]
        category = chart.get("category")
        for row in rows:
            label = category_title(dataset, category, row[category], lang) if category else field_title(dataset, first, lang)
            share = fmt.percent(100 * row[first] / row[total]) if row[total] else "–"
            sentence = _("{label}: {part} of {total} ({share}).").format(
                label=label, part=fmt.number(row[first]), total=fmt.number(row[total]), share=share)
            extra = ["{}: {}.".format(field_title(dataset, o, lang), fmt.number(row[o])) for o in others]
            yield " ".join([sentence] + extra)

    if "ranked" in views:
        yield from _ranked_summary(dataset, chart, province_code, fmt)


def _over_time(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter):
    """Each series' latest value with its date, and its change since the previous figure."""
    lang, _ = fmt.lang.code, fmt.gettext
    time = dataset.time_field
    rows = scope_rows(dataset, province_code, latest_only=False)
    if chart["category"]:
        name = chart["measures"][0]
        series = [(category_title(dataset, chart["category"], c, lang), name, chart["category"], c)
                  for c in dict.fromkeys(r[chart["category"]] for r in rows)]
    else:
        series = [(field_title(dataset, m, lang), m, None, None) for m in chart["measures"]]
    for title, name, key, wanted in series:
        history = [r for r in rows if r.get(name) is not None and (key is None or r.get(key) == wanted)]
        if time:
            history.sort(key=lambda r: r[time])
        if not history:
            continue
        last = history[-1]
        sentence = _("{title}: {value} as of {date}.").format(
            title=title, value=format_value(dataset, name, last[name], fmt), date=fmt.period(last[time]) if time else "")
        if len(history) > 1:
            sentence += " " + change_sentence(dataset, name, history[-2], last, fmt)
        goal = last.get(chart["target"]) if chart["target"] else None
        if goal and not dataset.field(name).is_percent:
            # The chart draws the target as a rule: the text says how far the figure is from it.
            sentence += " " + _("That is {share} of the target of {target}.").format(
                share=fmt.percent(100 * last[name] / goal), target=fmt.number(goal))
        yield sentence


def _ranked_summary(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter):
    """Which units are highest and lowest at the latest date, beside the province figure."""
    lang, _ = fmt.lang.code, fmt.gettext
    time = dataset.time_field
    name = (chart["parts"] or chart["measures"])[0]
    rows = [r for r in dataset.records() if r.get(name) is not None and str(r.get("unit_code")) != province_code]
    if chart["category"]:
        wanted = dataset.indicator.get("headline", {}).get("where", {}).get(chart["category"])
        rows = [r for r in rows if wanted is None or r.get(chart["category"]) == wanted]
    if not rows:
        return
    latest = max(r[time] for r in rows) if time else None
    at = sorted((r for r in rows if not time or r[time] == latest), key=lambda r: (-r[name], str(r["unit_code"])))
    high, low = at[0], at[-1]
    yield _("Of {count} units on {date}, the highest is {high} ({high_value}) and the lowest {low} ({low_value}).").format(
        count=fmt.number(len(at)), date=fmt.period(latest) if time else "",
        high=unit_name(dataset.units, high["unit_code"], lang), high_value=format_value(dataset, name, high[name], fmt),
        low=unit_name(dataset.units, low["unit_code"], lang), low_value=format_value(dataset, name, low[name], fmt))
