"""Charts: Vega-Lite specs made with Altair from an indicator's declaration, and their static SVG."""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import chart_kinds, fonts, svg_fonts
from .data import Dataset
from .i18n import Formatter

# Two layouts, so phones get legible text instead of a shrunken desktop chart; widths are totals.
SIZES = {"narrow": 300, "wide": 720}
WIDE_MEDIA = "(min-width: 45em)"
# Total heights of line charts (the plot is fitted inside, with its axes and labels).
LINE_HEIGHTS = {"narrow": 300, "wide": 360}
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


def make_chart_specs(dataset: Dataset, province_code: str, fmt: Formatter, validate: bool = False) -> dict:
    """Build the Vega-Lite specs (one per layout) of an indicator's chart for one language.

    Schema validation is slow and the specs come from this module alone: the tests validate them.
    """
    import altair as alt  # on first use, as chart_views: a build that makes no chart never loads Altair

    from . import chart_views

    # Altair otherwise checks every part against the schema as it is made (a sixth of a spec's
    # time); `validate` checks each finished spec whole.
    with alt.utils.schemapi.debug_mode(False):
        chart = chart_kinds.roles(dataset.indicator["chart"], dataset.time_field)
        specs = {}
        # The main chart's files keep their names (SIZE); a second view's are VIEW-SIZE.
        views = chart_kinds.views(dataset, province_code)
        for view, (size, width) in [(v, s) for v in views for s in SIZES.items()]:
            name = size if view == views[0] else f"{view}-{size}"
            spec = chart_views.make_view_spec(view, dataset, chart, province_code, fmt, width, validate)
            spec.update(_settings(width))
            if view == "line":
                # A fixed size, whatever the values: labels near the top are fitted inside, and a new
                # month never changes the chart's box (which every page's cache key includes).
                spec["autosize"] = {"contains": "padding", "type": "fit"}
                spec["height"] = LINE_HEIGHTS[size]
            if validate:
                alt.LayerChart.from_dict(spec)  # raises on anything the Vega-Lite schema refuses
            if fmt.lang.direction == "rtl":
                _embed_rtl(spec)
            spec["usermeta"] = {"embedOptions": {
                "actions": False, "renderer": "svg", "formatLocale": fmt.d3_format_locale(),
            }}
            specs[name] = spec
        return specs


def render_chart(dataset: Dataset, province_code: str, fmt: Formatter) -> Chart:
    """Make the specs of one chart and render each to SVG with vl-convert (see use_fonts)."""
    specs = make_chart_specs(dataset, province_code, fmt)
    locale = fmt.d3_format_locale()
    svgs = _with_measured_font({size: render_svg(spec, locale) for size, spec in specs.items()})
    return Chart(
        slug=dataset.indicator["slug"], lang=fmt.lang.code,
        title=dataset.titles.get(fmt.lang.code, dataset.name), specs=specs, svgs=svgs,
    )


def render_svg(spec: dict, locale: dict) -> str:
    """The chart of `spec` as SVG, measured with the narrowest copy of the font that holds all its texts (see svg_fonts.COPIES)."""
    text = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    spec = json.loads(text)  # a copy, in one key order
    family = _COPY_FAMILIES.get(svg_fonts.copy_for(text + json.dumps(locale, ensure_ascii=False)))
    if family is None:
        return convert("vegalite_to_svg", spec, format_locale=locale)
    spec["config"]["font"] = f"{family}, {FONT}"
    svg = convert("vegalite_to_svg", spec, format_locale=locale)
    # The SVG names the fonts a reader's device should draw it with, as the spec does (svg_to_png
    # puts the copy's name back in front).
    return svg.replace(f'font-family="{family}, ', 'font-family="')


def svg_to_png(svg: str, scale: float) -> bytes:
    """`svg` drawn to PNG at `scale`, with the narrowest copy of the font (the same outlines) that holds all its texts."""
    svg = svg_fonts.without_fonts(svg)
    family = _COPY_FAMILIES.get(svg_fonts.copy_for(svg))
    if family is not None:
        svg = svg.replace('font-family="', f'font-family="{family}, ')
    return convert("svg_to_png", svg, scale=scale)


# The measurement fonts' files by style (see use_fonts), embedded into each SVG; none until fonts are given.
_FONT_FILES: dict = {}
_REGISTERED: set = set()
# The family each copy of the measurement font is registered under, by copy name, when the fonts given have them.
_COPY_FAMILIES: dict = {}


def use_fonts(folder) -> None:
    """Measure chart text with the fonts in `folder` (see fonts.load_measure_fonts), and embed them in every SVG, from now on."""
    _FONT_FILES.clear()
    _COPY_FAMILIES.clear()
    if folder is not None:
        if str(folder) not in _REGISTERED:
            convert("register_font_directory", str(folder))
            _REGISTERED.add(str(folder))
        _FONT_FILES.update(fonts.measure_files(folder, FONT))
        if _FONT_FILES:
            _COPY_FAMILIES.update(fonts.copy_families(folder))


def _with_measured_font(svgs: dict[str, str]) -> dict[str, str]:
    """One chart's SVGs carrying the glyphs of the font their labels were measured with (see
    svg_fonts.py); unchanged when no measurement font could be made (no memo folder, or the fonts are missing)."""
    return svg_fonts.embed_fonts(svgs, _FONT_FILES, FONT) if _FONT_FILES else svgs


def convert(function: str, *args, **kwargs):
    """Call the vl-convert function named `function`."""
    import vl_convert  # on first use: pages, feeds and a rebuild whose charts are unchanged never need it

    return getattr(vl_convert, function)(*args, **kwargs)


def start_runtime() -> None:
    """Load Altair and start vl-convert's JavaScript engine, drawing a small chart to SVG and PNG
    (the first chart of a process would otherwise wait for both, about a second)."""
    from . import chart_views  # noqa: F401 - what the specs are made with (Altair with it)
    from fontTools import subset  # noqa: F401 - what embedding the fonts (svg_fonts) cuts them with

    spec = {"data": {"values": [{"n": 1, "label": "Tỷ lệ"}]}, "mark": "bar",
            "encoding": {"x": {"field": "n", "type": "quantitative"}, "y": {"field": "label", "type": "nominal"}}}
    convert("svg_to_png", convert("vegalite_to_svg", spec))


def spec_json(spec: dict) -> str:
    """Serialise a spec the same way every time."""
    return json.dumps(spec, ensure_ascii=False, sort_keys=True, indent=1)


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
                     "tickColor": TRACK_STROKE, "titleColor": TEXT_COLOUR, "titleFontSize": 12 if small else 13,
                     "titlePadding": 6},
            "background": "#ffffff", "font": FONT,
            "legend": {"direction": "vertical", "labelColor": TEXT_COLOUR, "labelFontSize": 12 if small else 13,
                       "labelLimit": 0, "orient": "bottom", "titleColor": TEXT_COLOUR, "titleFontSize": 12,
                       "rowPadding": 8},
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
                    # Axis tick values are dates, not texts; so is a row's "date", which Vega parses.
                    for name, cell in (row.items() if isinstance(row, dict) else ()):
                        if isinstance(cell, str) and name != "date":
                            # Each line of a wrapped label is a paragraph of its own.
                            row[name] = "\n".join(f"\u202b{line}\u202c" for line in cell.split("\n"))
            elif key in ("sort", "domain") and isinstance(value, list) and all(isinstance(v, str) for v in value):
                # Orders and colour domains name the same labels, so they must match them exactly.
                node[key] = ["\n".join(f"\u202b{line}\u202c" for line in v.split("\n")) for v in value]
            else:
                _embed_rtl(value)
    elif isinstance(node, list):
        for item in node:
            _embed_rtl(item)
