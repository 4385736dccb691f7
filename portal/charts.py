"""Charts: Vega-Lite specs made with Altair from an indicator's declaration, and their static SVG."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import vl_convert as vlc

from . import cache, fonts, workers
from .data import Dataset
from .i18n import Formatter
from .indicators import category_title, field_title, format_value, scope_rows

# Two layouts, so phones get legible text instead of a shrunken desktop chart; widths are totals.
SIZES = {"narrow": 300, "wide": 720}
# Room past the longest bar for its value label.
HEADROOM = 1.3
WIDE_MEDIA = "(min-width: 45em)"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans Arabic', Arial, sans-serif"
# What the charts are measured and drawn with, whatever else is installed: the subset of these
# (registered as FONT's first name) is found before any other font, so the same inputs give the
# same bytes on any machine with Debian's fonts-noto-core (see README).
MEASURE_FONTS = "system-ui, 'Noto Sans', 'Noto Sans Arabic'"
# Colours checked at 3:1 or more against the white chart background.
COLOURS = ["#1d5a9e", "#b4540a", "#2f7d4f", "#6b4fa0"]
TRACK_FILL = "#eef2f7"
TRACK_STROKE = "#5b6b7f"
TARGET_COLOUR = "#a4262c"
TEXT_COLOUR = "#1b2430"


# Imported on first use: a build whose chart specs all come from the cache never loads Altair.
alt = None


@dataclass(frozen=True)
class Chart:
    """One indicator chart in one language: specs and SVGs for both layouts."""

    slug: str
    lang: str
    title: str
    specs: dict  # size -> Vega-Lite spec (dict)
    svgs: dict  # size -> SVG text

    def dest_path(self, size: str, ext: str) -> str:
        """Where the file of this chart goes, relative to the site root."""
        return f"charts/{self.slug}.{self.lang}.{size}.{ext}"


def make_chart_specs(dataset: Dataset, province_code: str, fmt: Formatter, _, validate: bool = False) -> dict:
    """Build the Vega-Lite specs (one per layout) of an indicator's chart for one language.

    Schema validation is slow and the specs come from this module alone: the tests validate them.
    """
    global alt
    if alt is None:
        import altair as alt
    chart = dataset.indicator["chart"]
    maker = {"bar": _bar, "grouped": _grouped, "progress": _progress}[chart["type"]]
    specs = {}
    for size, width in SIZES.items():
        _INLINE.clear()
        spec = _fill_data(maker(dataset, chart, province_code, fmt, _, width).to_dict(validate=validate))
        spec.update(_settings(width))
        if validate:
            alt.LayerChart.from_dict(spec)  # raises on anything the Vega-Lite schema refuses
        if _rtl(fmt):
            _embed_rtl(spec)
        spec["usermeta"] = {"embedOptions": {
            "actions": False, "renderer": "svg", "formatLocale": fmt.d3_format_locale(),
        }}
        specs[size] = spec
    return specs


def render_chart(dataset: Dataset, province_code: str, fmt: Formatter, _) -> Chart:
    """Make the specs of one chart and render each to SVG with vl-convert."""
    key = chart_key(dataset, province_code, fmt, _)
    specs = _SPECS.get(key) if key else None
    if specs is None:
        specs = cache.current.remember(cache.current.key("chart-spec", *key) if key else None,
                                       lambda: make_chart_specs(dataset, province_code, fmt, _), dict)
    if key:
        _SPECS[key] = specs
    locale = json.dumps(fmt.d3_format_locale(), sort_keys=True)
    svgs = {size: _svg(json.dumps(spec, sort_keys=True), locale) for size, spec in specs.items()}
    return Chart(
        slug=dataset.indicator["slug"], lang=fmt.lang.code,
        title=dataset.titles.get(fmt.lang.code, dataset.name), specs=specs, svgs=svgs,
    )


# Specs already made in this process, by everything they depend on: a preview that rebuilds after
# an edit to an article makes no chart again.
_SPECS: dict[tuple, dict] = {}


def chart_key(dataset: Dataset, province_code: str, fmt: Formatter, _) -> tuple | None:
    """Everything a chart depends on, for cache keys; None when the catalogue cannot be identified."""
    catalogue = getattr(getattr(_, "__self__", None), "fingerprint", None)
    if catalogue is None:
        return None
    rows = dataset.rows_digest
    described = json.dumps([dataset.indicator, dataset.titles, [f.__dict__ for f in dataset.fields]],
                           sort_keys=True, default=str)
    return (dataset.name, rows, described, fmt.lang, province_code, catalogue)


@functools.lru_cache(maxsize=1024)
def _svg(spec: str, locale: str) -> str:
    """Render a spec to SVG once per process, and once per cache (.cache/) across builds."""
    key = cache.current.key("svg", spec, locale)
    stored = cache.current.get(key)
    if stored is not None:
        return stored.decode("utf-8")
    svg = convert("vegalite_to_svg", json.loads(spec), format_locale=json.loads(locale))
    cache.current.put(key, svg.encode("utf-8"))
    return svg


def convert(function: str, *args, **kwargs):
    """Call the vl-convert function named `function`."""
    global _fonts_checked
    # Its runtime's threads would not survive a fork: from now on this process works alone.
    workers.fork_unsafe = True
    if not _fonts_checked and function in ("vegalite_to_svg", "svg_to_png"):
        _fonts_checked = True
        folder = fonts.load_measure_fonts(cache.current.folder, MEASURE_FONTS)
        if folder is not None:
            vlc.register_font_directory(str(folder))
    return getattr(vlc, function)(*args, **kwargs)


_fonts_checked = False


def prepare_measure_fonts() -> None:
    """Make the measurement fonts ahead of the first chart, so a worker can do it while the build reads its inputs."""
    folder = cache.current.folder
    # Fonts already made are checked when the first chart needs them, if one does.
    if folder is not None and not any((folder / fonts.FOLDER).glob("*/done")):
        fonts.load_measure_fonts(folder, MEASURE_FONTS)


def spec_json(spec: dict) -> str:
    """Serialise a spec the same way every time."""
    return json.dumps(spec, ensure_ascii=False, sort_keys=True, indent=1)


def _value_format(dataset: Dataset, name: str) -> str:
    return ".2~%" if dataset.field(name).is_percent else ",.0f"


def _scaled(dataset: Dataset, name: str, value):
    return round(value / 100, 8) if value is not None and dataset.field(name).is_percent else value


# Rows of the chart being made, by placeholder name: Altair copies every row of inline data many
# times while it assembles layers, so each layer holds a name until the spec is finished.
_INLINE: dict[str, list] = {}


def _data(values: list[dict]) -> alt.Data:
    """A data source for one layer: a placeholder that _fill_data replaces with `values`."""
    name = f"p06-inline-{len(_INLINE)}"
    _INLINE[name] = values
    return alt.Data(name=name)


def _fill_data(node):
    """The spec with every placeholder of _data replaced by its rows, as if they had been inline all along."""
    if isinstance(node, dict):
        if set(node) == {"name"} and node["name"] in _INLINE:
            # Each layer gets its own rows, as inline data would, so marking them right-to-left
            # later never marks a shared row twice.
            return {"values": [dict(row) for row in _INLINE[node["name"]]]}
        return {key: _fill_data(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill_data(item) for item in node]
    return node


def _base(values: list[dict], width: int, height: int) -> alt.Chart:
    return alt.Chart(_data(values)).properties(width=width, height=height)


def _settings(width: int) -> dict:
    """Size handling and the look of axes and legends, written into the finished spec.

    Added as plain data rather than with Altair's configure_* methods, each of which copies the
    whole chart (the slowest part of making a spec).
    """
    small = width < 400
    return {
        "autosize": {"contains": "padding", "type": "fit-x"},
        "config": {
            "axis": {"domainColor": TRACK_STROKE, "gridColor": "#d5dbe3", "labelColor": TEXT_COLOUR,
                     "labelFontSize": 12 if small else 13, "labelLimit": 140 if small else 260,
                     "tickColor": TRACK_STROKE, "titleColor": TEXT_COLOUR, "titleFontSize": 12 if small else 13},
            "background": "#ffffff", "font": FONT,
            "legend": {"direction": "vertical", "labelColor": TEXT_COLOUR, "labelFontSize": 12 if small else 13,
                       "labelLimit": 0, "orient": "bottom", "titleColor": TEXT_COLOUR, "titleFontSize": 12},
            "padding": 8,
            "view": {"continuousHeight": 300, "continuousWidth": 300, "stroke": None},
        },
    }


def _embed_rtl(node) -> None:
    """Mark every text in the chart's data as right-to-left.

    SVG text is laid out left to right unless told otherwise, which scrambles mixed runs such as
    "الهدف 40%"; an RTL embedding (U+202B … U+202C) keeps each label in reading order.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "values" and isinstance(value, list):
                for row in value:
                    for name, cell in row.items():
                        if isinstance(cell, str):
                            row[name] = f"\u202b{cell}\u202c"
            elif key in ("sort", "domain") and isinstance(value, list) and all(isinstance(v, str) for v in value):
                # Orders and colour domains name the same labels, so they must match them exactly.
                node[key] = [f"\u202b{v}\u202c" for v in value]
            else:
                _embed_rtl(value)
    elif isinstance(node, list):
        for item in node:
            _embed_rtl(item)


def _rtl(fmt: Formatter) -> bool:
    return fmt.lang.direction == "rtl"


def _end(fmt: Formatter) -> dict:
    """Where a label after the end of a bar goes: to its right, or to its left on right-to-left pages."""
    return {"align": "right", "dx": -4} if _rtl(fmt) else {"align": "left", "dx": 4}


def _band(field: str, order: list[str], narrow: bool, fmt: Formatter) -> alt.Y:
    """The category axis: named beside the bars when wide, above them (full width) when narrow."""
    if narrow:
        return alt.Y(f"{field}:N", sort=order, title=None, axis=None)
    # On right-to-left pages bars grow from the right, so their names sit on the right.
    return alt.Y(f"{field}:N", sort=order, title=None,
                 axis=alt.Axis(labelLimit=240, orient="right" if _rtl(fmt) else "left"))


def _band_labels(values: list[dict], field: str, order: list[str], narrow: bool, bar_size: int, fmt: Formatter) -> list:
    if not narrow:
        return []
    start = {"align": "right", "x": {"expr": "width"}} if _rtl(fmt) else {"align": "left", "x": 0}
    return [alt.Chart(_data(values)).mark_text(
        baseline="bottom", dy=-(bar_size / 2) - 3, fontSize=12, color=TEXT_COLOUR, **start,
    ).encode(y=alt.Y(f"{field}:N", sort=order), text=alt.Text(f"{field}:N"))]


def _step(narrow: bool, bar_size: int) -> int:
    return bar_size + (36 if narrow else 18)


def _domain(values, narrow: bool, fmt: Formatter) -> alt.Scale:
    top = max((v or 0) for v in values) or 1
    return alt.Scale(domainMax=top * (1.5 if narrow else HEADROOM), reverse=_rtl(fmt))


def _bar(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, _, width: int):
    lang = fmt.lang.code
    x, y, target = chart["x"], chart["y"], chart.get("target")
    over_time = x == dataset.time_field
    rows = scope_rows(dataset, province_code, latest_only=not over_time)
    values = [{
        "label": fmt.period(r[x]) if over_time else category_title(dataset, x, r[x], lang),
        "value": _scaled(dataset, y, r[y]),
        "text": format_value(dataset, y, r[y], fmt),
    } for r in rows]
    order = [v["label"] for v in values]
    value_title = field_title(dataset, y, lang)
    fmt_code = _value_format(dataset, y)
    tooltip = [alt.Tooltip("label:N", title=field_title(dataset, x, lang)),
               alt.Tooltip("text:N", title=value_title)]
    narrow = width < 400
    bar_size = 24 if narrow else 32
    height = max(60, len(values) * _step(narrow, bar_size))
    base = _base(values, width, height)
    # Horizontal bars keep long category names readable on a phone.
    bars = base.mark_bar(color=COLOURS[0], size=bar_size).encode(
        y=_band("label", order, narrow, fmt),
        x=alt.X("value:Q", title=value_title, axis=alt.Axis(format=fmt_code, tickCount=3 if narrow else 5),
                scale=alt.Scale(domain=[0, 1], reverse=_rtl(fmt)) if dataset.field(y).is_percent
                else _domain([v["value"] for v in values], narrow, fmt)),
        tooltip=tooltip,
    )
    labels = base.mark_text(fontSize=13, fontWeight="bold", color=TEXT_COLOUR, **_end(fmt)).encode(
        y=alt.Y("label:N", sort=order), x=alt.X("value:Q"), text=alt.Text("text:N"))
    layers = [bars, labels] + _band_labels(values, "label", order, narrow, bar_size, fmt)
    target_rows = [r for r in rows if target and r.get(target) is not None]
    if target_rows:
        goal = target_rows[0][target]
        rule_data = _data([{"value": _scaled(dataset, target, goal),
                                      "text": _("Target {value}").format(value=fmt.percent(goal))}])
        rule = alt.Chart(rule_data).mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=2).encode(x=alt.X("value:Q"))
        rule_label = alt.Chart(rule_data).mark_text(
            color=TARGET_COLOUR, baseline="bottom", dy=-2, fontSize=12, fontWeight="bold", y=0, **_end(fmt),
        ).encode(x=alt.X("value:Q"), text=alt.Text("text:N"))
        layers += [rule, rule_label]
    return alt.layer(*layers)


def _grouped(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, _, width: int):
    lang = fmt.lang.code
    time = dataset.time_field
    rows = scope_rows(dataset, province_code, latest_only=False)
    periods = sorted({r[time] for r in rows})
    values = []
    for r in rows:
        for m in chart["measures"]:
            values.append({
                "measure": field_title(dataset, m, lang), "period": fmt.period(r[time]),
                "value": r[m], "text": fmt.number(r[m]),
            })
    order = [field_title(dataset, m, lang) for m in chart["measures"]]
    narrow = width < 400
    bar_size = 24 if narrow else 30
    height = max(80, len(order) * _step(narrow, bar_size))
    base = _base(values, width, height)
    # Measures are named on the axis itself, so colour is never the only key.
    encoding = dict(
        y=_band("measure", order, narrow, fmt),
        x=alt.X("value:Q", title=None, axis=alt.Axis(format=",.0f", tickCount=3 if narrow else 4),
                scale=_domain([v["value"] for v in values], narrow, fmt)),
        tooltip=[alt.Tooltip("period:N", title=_("Date")), alt.Tooltip("measure:N", title=_("Figure")),
                 alt.Tooltip("text:N", title=_("Value"))],
    )
    if len(periods) > 1:
        encoding["yOffset"] = alt.YOffset("period:N")
        encoding["color"] = alt.Color("period:N", title=_("Date"), scale=alt.Scale(range=COLOURS))
        bars = base.mark_bar(size=bar_size / len(periods)).encode(**encoding)
    else:
        encoding["color"] = alt.Color("measure:N", sort=order, legend=None, scale=alt.Scale(range=COLOURS))
        bars = base.mark_bar(size=bar_size).encode(**encoding)
    labels = base.mark_text(fontSize=13, fontWeight="bold", color=TEXT_COLOUR, **_end(fmt)).encode(
        y=alt.Y("measure:N", sort=order), x=alt.X("value:Q"), text=alt.Text("text:N"),
        **({"yOffset": alt.YOffset("period:N")} if len(periods) > 1 else {}))
    names = [{"measure": m} for m in order]
    return alt.layer(bars, labels, *_band_labels(names, "measure", order, narrow, bar_size, fmt))


def _progress(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, _, width: int):
    lang = fmt.lang.code
    total, parts, category = chart["total"], chart["parts"], chart.get("category")
    rows = scope_rows(dataset, province_code, latest_only=True)
    tracks, segments = [], []
    for r in rows:
        label = category_title(dataset, category, r[category], lang) if category else dataset.titles.get(lang, "")
        tracks.append({"label": label, "total": r[total],
                       "text": _("{part} of {total}").format(part=fmt.number(r[parts[0]]), total=fmt.number(r[total]))})
        for index, p in enumerate(parts):
            segments.append({"label": label, "part": field_title(dataset, p, lang), "order": index,
                             "value": r[p], "text": fmt.number(r[p])})
    order = [t["label"] for t in tracks]
    part_titles = [field_title(dataset, p, lang) for p in parts]
    narrow = width < 400
    bar_size = 24 if narrow else 32
    height = max(60, len(tracks) * _step(narrow, bar_size))
    y = _band("label", order, narrow, fmt)
    track = alt.Chart(_data(tracks)).mark_bar(
        size=bar_size, fill=TRACK_FILL, stroke=TRACK_STROKE, strokeWidth=1).encode(
        y=y, x=alt.X("total:Q", title=field_title(dataset, total, lang),
                     axis=alt.Axis(format=",.0f", tickCount=3 if narrow else 5),
                     scale=_domain([t["total"] for t in tracks], narrow, fmt)),
        tooltip=[alt.Tooltip("label:N", title=_("Figure")), alt.Tooltip("text:N", title=_("Value"))])
    bars = alt.Chart(_data(segments)).mark_bar(size=bar_size - 8).encode(
        y=y, x=alt.X("value:Q", stack="zero"),
        color=alt.Color("part:N", sort=part_titles, title=None, scale=alt.Scale(domain=part_titles, range=COLOURS),
                        legend=alt.Legend(orient="bottom") if len(parts) > 1 else None),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("label:N", title=_("Figure")), alt.Tooltip("part:N", title=_("Part")),
                 alt.Tooltip("text:N", title=_("Value"))])
    labels = alt.Chart(_data(tracks)).mark_text(
        fontSize=13, fontWeight="bold", color=TEXT_COLOUR, **_end(fmt)).encode(
        y=y, x=alt.X("total:Q"), text=alt.Text("text:N"))
    chart_ = alt.layer(track, bars, labels, *_band_labels(tracks, "label", order, narrow, bar_size, fmt)).properties(
        width=width, height=height)
    return chart_
