"""The views a chart can show (bars, lines over time, units ranked, progress towards a total),
each made as Altair layers from an indicator's rows in one language and at one width."""

from __future__ import annotations

import altair as alt

from .charts import COLOURS, TARGET_COLOUR, TEXT_COLOUR, TRACK_FILL, TRACK_STROKE
from .data import Dataset
from .i18n import Formatter
from .indicators import category_title, field_title, format_value, scope_rows
from .units import ranked, unit_name

# Room past the longest bar for its value label.
HEADROOM = 1.3


def make_view_spec(view: str, dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, width: int,
                   validate: bool = False) -> dict:
    """The Vega-Lite spec of one view of an indicator's chart, `width` pixels wide, with its rows inline
    (`chart`: the fields in each role, see chart_kinds.roles)."""
    _INLINE.clear()
    return _fill_data(BUILDERS[view](dataset, chart, province_code, fmt, width).to_dict(validate=validate))


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
    # Long names come wrapped onto several lines (see _lines), never cut.
    return alt.Y(f"{field}:N", sort=order, title=None,
                 axis=alt.Axis(labelLimit=0, orient="right" if _rtl(fmt) else "left", labelLineHeight=16,
                               labelExpr="split(datum.label, '\\n')"))


def _band_labels(values: list[dict], field: str, order: list[str], narrow: bool, bar_size: int, fmt: Formatter) -> list:
    if not narrow:
        return []
    start = {"align": "right", "x": {"expr": "width"}} if _rtl(fmt) else {"align": "left", "x": 0}
    # Vega writes the lines of a text downwards from its anchor: every name is given as many lines
    # (blank ones first) as the longest, so that each one's last line sits just above its bar.
    most = _most_lines(order)
    rows = [{**v, "name": "\n" * (most - v[field].count("\n") - 1) + v[field]} for v in values]
    return [alt.Chart(_data(rows)).mark_text(
        baseline="bottom", dy=-(bar_size / 2) - 4 - (most - 1) * 15, fontSize=12, color=TEXT_COLOUR, lineBreak="\n",
        lineHeight=15, **start,
    ).encode(y=alt.Y(f"{field}:N", sort=order), text=alt.Text("name:N"))]


# Characters a line of a category name may hold: above the bars on a phone (12 px over about 280
# px), beside them on a wide screen (13 px in about 240 px).
LINE_CHARS = {True: 38, False: 30}


def _lines(label: str, narrow: bool) -> str:
    """A category name wrapped onto lines of at most about LINE_CHARS characters, joined by newlines."""
    wrapped = _wrap(label, LINE_CHARS[narrow])
    return wrapped if isinstance(wrapped, str) else "\n".join(wrapped)


def _step(narrow: bool, bar_size: int, lines: int = 1) -> int:
    """The height of one bar's band: the bar, and room for its name (more lines, more room)."""
    # Above the bars (narrow) every extra line goes on top, but the bar stays in the middle of its
    # band: twice a line's height keeps the name clear of the band above.
    return bar_size + (36 if narrow else 18) + (lines - 1) * (30 if narrow else 16)


def _most_lines(labels) -> int:
    return max((label.count("\n") + 1 for label in labels), default=1)


def _domain(values, narrow: bool, fmt: Formatter) -> alt.Scale:
    top = max((v or 0) for v in values) or 1
    return alt.Scale(domainMax=top * (1.5 if narrow else HEADROOM), reverse=_rtl(fmt))


def _bar(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, width: int):
    """Bars for the categories (or the several measures) of the latest date."""
    lang, _ = fmt.lang.code, fmt.gettext
    category, target = chart["category"], chart["target"]
    rows = scope_rows(dataset, province_code, latest_only=True)
    y = chart["measures"][0]
    if category:
        items = [(category_title(dataset, category, r[category], lang), r[y]) for r in rows if r.get(y) is not None]
        label_title = field_title(dataset, category, lang)
    else:
        row = rows[-1] if rows else {}
        items = [(field_title(dataset, m, lang), row[m]) for m in chart["measures"] if row.get(m) is not None]
        label_title = _("Figure")
    goal = next((r[target] for r in rows if target and r.get(target) is not None), None)
    rule = None
    if goal is not None:
        shown = fmt.percent(goal) if dataset.field(target).is_percent else fmt.number(goal)
        rule = (goal, _("Target {value}").format(value=shown))
    return _hbars(dataset, y, items, rule, label_title, fmt, width)


def _hbars(dataset: Dataset, y: str, items: list[tuple[str, float]], rule: tuple | None, label_title: str,
           fmt: Formatter, width: int):
    """Horizontal bars, one per (label, value), with an optional reference rule (value, text)."""
    percent = dataset.field(y).is_percent
    narrow = width < 400
    top = 1 if percent else max([v for _l, v in items] + [rule[0] if rule else 0]) * (1.5 if narrow else HEADROOM) or 1
    scaled_rule = _scaled(dataset, y, rule[0]) if rule else None
    values = []
    for label, value in items:
        text = format_value(dataset, y, value, fmt)
        scaled = _scaled(dataset, y, value)
        values.append({"label": _lines(label, narrow), "value": scaled, "text": text,
                       "label_at": _clear_of_rule(scaled, text, scaled_rule, top, width)})
    order = [v["label"] for v in values]
    value_title = field_title(dataset, y, fmt.lang.code)
    tooltip = [alt.Tooltip("label:N", title=label_title), alt.Tooltip("text:N", title=value_title)]
    bar_size = 24 if narrow else 32
    height = max(60, len(values) * _step(narrow, bar_size, _most_lines(order)))
    base = _base(values, width, height)
    # Horizontal bars keep long category names readable on a phone.
    bars = base.mark_bar(color=COLOURS[0], size=bar_size).encode(
        y=_band("label", order, narrow, fmt),
        x=alt.X("value:Q", title=value_title, axis=alt.Axis(format=_value_format(dataset, y), tickCount=3 if narrow else 5,
                                                            labelOverlap=True, labelFlush=True),
                scale=alt.Scale(domain=[0, 1], reverse=_rtl(fmt)) if percent else alt.Scale(domainMax=top, reverse=_rtl(fmt))),
        tooltip=tooltip,
    )
    labels = base.mark_text(fontSize=13, fontWeight="bold", color=TEXT_COLOUR, **_end(fmt)).encode(
        y=alt.Y("label:N", sort=order), x=alt.X("label_at:Q"), text=alt.Text("text:N"))
    layers = [bars, labels] + _band_labels(values, "label", order, narrow, bar_size, fmt)
    if rule is not None:
        rule_data = _data([{"value": scaled_rule, "text": rule[1]}])
        # A mark across each bar rather than a line down the whole chart, which would run through
        # the names written above the bars.
        marks = _data([{"label": v["label"], "value": scaled_rule} for v in values])
        line = alt.Chart(marks).mark_tick(color=TARGET_COLOUR, thickness=3, size=bar_size + 8).encode(
            x=alt.X("value:Q"), y=alt.Y("label:N", sort=order))
        rule_label = alt.Chart(rule_data).mark_text(
            color=TARGET_COLOUR, baseline="bottom", dy=-6, fontSize=12, fontWeight="bold", y=0, **_end(fmt),
        ).encode(x=alt.X("value:Q"), text=alt.Text("text:N"))
        layers += [line, rule_label]
    return alt.layer(*layers)


def _clear_of_rule(value, text: str, rule, top: float, width: int):
    """Where a bar's value label starts: after the bar, or just past the rule when it would run through it.

    Widths are estimated (about 8 px a character at 13 px bold) against the plot's share of the chart.
    """
    if rule is None or value is None or value >= rule:
        return value
    plot = width - 16 if width < 400 else width * 0.62
    label = (8 * len(text) + 8) / plot * top
    return rule if value + label > rule else value


def _time_values(dataset: Dataset, value) -> str:
    """A date or year as the ISO date Vega reads (a year stands at its first day)."""
    return f"{int(value)}-01-01" if dataset.field(dataset.time_field).type == "year" else str(value)


def _time_format(dataset: Dataset, fmt: Formatter) -> str:
    if dataset.field(dataset.time_field).type == "year":
        return "%Y"
    return "%-d %b %Y" if fmt.lang.code == "en" else "%d/%m/%Y"


def _line(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, width: int):
    """A line over time for each measure (or each category of the first), with points, direct end labels and the target."""
    lang, _ = fmt.lang.code, fmt.gettext
    time, category, target = dataset.time_field, chart["category"], chart["target"]
    rows = scope_rows(dataset, province_code, latest_only=False)
    y = chart["measures"][0]
    if category:
        series = [(category_title(dataset, category, c, lang), y, lambda r, c=c: r.get(category) == c)
                  for c in dict.fromkeys(r[category] for r in rows)]
    else:
        series = [(field_title(dataset, m, lang), m, lambda r: True) for m in chart["measures"]]
    values = []
    for name, measure, keep in series:
        for r in rows:
            if keep(r) and r.get(measure) is not None:
                values.append({"series": name, "date": _time_values(dataset, r[time]), "when": fmt.period(r[time]),
                               "value": _scaled(dataset, measure, r[measure]),
                               "text": format_value(dataset, measure, r[measure], fmt)})
    order = [name for name, _m, _k in series if any(v["series"] == name for v in values)]
    narrow = width < 400
    height = 220 if narrow else 280
    goal = next((r[target] for r in reversed(rows) if target and r.get(target) is not None), None)
    percent = dataset.field(y).is_percent
    top = max([v["value"] for v in values] + [_scaled(dataset, target, goal) if goal is not None else 0]) or 1
    # Room above the highest point for its two-line label.
    domain_top = min(1.0, top * 1.25) if percent else top * 1.25
    dates = sorted({v["date"] for v in values})
    x = alt.X("date:T", title=None, scale=alt.Scale(reverse=_rtl(fmt)),
              axis=alt.Axis(format=_time_format(dataset, fmt), labelOverlap=True, labelFlush=True, grid=False,
                            values=dates if len(dates) <= 12 else alt.Undefined, tickCount=3 if narrow else 6))
    yq = alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, domain_top]),
               axis=alt.Axis(format=_value_format(dataset, y), tickCount=4, labelOverlap=True, labelFlush=True,
                             orient="right" if _rtl(fmt) else "left"))
    colour = alt.Color("series:N", sort=order, legend=None, scale=alt.Scale(domain=order, range=COLOURS))
    tooltip = [alt.Tooltip("series:N", title=_("Figure")), alt.Tooltip("when:N", title=_("Date")),
               alt.Tooltip("text:N", title=_("Value"))]
    base = _base(values, width, height)
    lines = base.mark_line(strokeWidth=2.5).encode(x=x, y=yq, color=colour, detail="series:N")
    points = base.mark_point(filled=True, size=64, opacity=1).encode(x=x, y=yq, color=colour, tooltip=tooltip)
    ends = _end_labels(values, order, domain_top, height)
    layers = [lines, points]
    for where, baseline, dy in (("above", "bottom", -9), ("below", "top", 9)):
        part = [e for e in ends if e["where"] == where]
        if part:
            layers.append(alt.Chart(_data(part)).mark_text(
                fontSize=12, fontWeight="bold", baseline=baseline, dy=dy, lineBreak="\n", color=TEXT_COLOUR,
                # Ends just before the point, on the side the line comes from.
                align="left" if _rtl(fmt) else "right", dx=8 if _rtl(fmt) else -8).encode(x=x, y=alt.Y("value:Q"), text=alt.Text("label:N")))
    layers += _annotations(dataset, chart, x, height, fmt)
    title = None
    if goal is not None:
        shown = fmt.percent(goal) if dataset.field(target).is_percent else fmt.number(goal)
        rule_data = _data([{"value": _scaled(dataset, target, goal)}])
        layers.append(alt.Chart(rule_data).mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=2)
                      .encode(y=alt.Y("value:Q")))
        # The target is named above the plot, where it can never run into a value.
        text = _wrap(_("{target}: {value}").format(target=field_title(dataset, target, lang), value=shown),
                     40 if narrow else 90)
        if _rtl(fmt):  # titles are not data, so _embed_rtl does not reach them
            text = [f"\u202b{line}\u202c" for line in ([text] if isinstance(text, str) else text)]
        title = alt.TitleParams(text, color=TARGET_COLOUR, fontSize=12, offset=8,
                                fontWeight="bold", anchor="end" if _rtl(fmt) else "start", orient="top")
    chart_ = alt.layer(*layers)
    return chart_.properties(title=title) if title is not None else chart_


def _wrap(text: str, limit: int) -> list[str] | str:
    """Break a long label into lines of at most about `limit` characters."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return lines if len(lines) > 1 else lines[0]


def _end_labels(values: list[dict], order: list[str], domain_top: float, height: int) -> list[dict]:
    """Each series' last point, labelled with its name and value; a label too close to the one
    above goes under its point instead."""
    ends = []
    for name in order:
        last = max((v for v in values if v["series"] == name), key=lambda v: v["date"])
        ends.append({**last, "label": f"{_lines(name, True)}\n{last['text']}"})
    ends.sort(key=lambda e: -e["value"])
    previous = None
    for end in ends:
        px = height * (1 - end["value"] / domain_top)
        end["where"] = "below" if previous is not None and px - previous < 34 else "above"
        previous = px if end["where"] == "above" else px + 40
    return ends


def _annotations(dataset: Dataset, chart: dict, x, height: int, fmt: Formatter) -> list:
    """Notable dates declared with the chart: a thin rule and a short label at the top of the plot."""
    notes = [a for a in chart.get("annotations", []) if isinstance(a, dict) and a.get("date")]
    if not notes:
        return []
    lang = fmt.lang.code
    rows = [{"date": a["date"], "label": (a.get("texts") or {}).get(lang) or (a.get("texts") or {}).get("en", "")}
            for a in notes]
    data = _data(rows)
    rule = alt.Chart(data).mark_rule(color=TRACK_STROKE, strokeDash=[2, 3]).encode(x=x)
    label = alt.Chart(data).mark_text(fontSize=11, color=TEXT_COLOUR, baseline="top", y=2, dx=4 if not _rtl(fmt) else -4,
                                      align="right" if _rtl(fmt) else "left").encode(x=x, text=alt.Text("label:N"))
    return [rule, label]


def _ranked(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, width: int):
    """The units with a figure at the latest date, highest first, against the province figure."""
    lang, _ = fmt.lang.code, fmt.gettext
    time = dataset.time_field
    y = (chart["parts"] or chart["measures"])[0]
    records = [r for r in dataset.records() if r.get(y) is not None]
    if chart["category"]:
        # One category stands for the indicator: the headline's, else the first.
        wanted = dataset.indicator.get("headline", {}).get("where", {}).get(chart["category"])
        wanted = wanted if wanted is not None else records[0][chart["category"]]
        records = [r for r in records if r.get(chart["category"]) == wanted]
    others = [r for r in records if str(r.get("unit_code")) != province_code]
    latest = max(r.get(time) for r in others) if time else None
    at = [r for r in records if not time or r.get(time) == latest]
    items = [(unit_name(dataset.units, r["unit_code"], lang), r[y]) for r in ranked(at, y, province_code)]
    province = next((r[y] for r in at if str(r.get("unit_code")) == province_code), None)
    rule = None
    if province is not None:
        rule = (province, _("Province: {value}").format(value=format_value(dataset, y, province, fmt)))
    return _hbars(dataset, y, items, rule, _("Unit"), fmt, width)


def _progress(dataset: Dataset, chart: dict, province_code: str, fmt: Formatter, width: int):
    lang, _ = fmt.lang.code, fmt.gettext
    total, parts, category = chart["total"], chart["parts"], chart.get("category")
    rows = scope_rows(dataset, province_code, latest_only=True)
    tracks, segments = [], []
    for r in rows:
        label = category_title(dataset, category, r[category], lang) if category else dataset.titles.get(lang, "")
        label = _lines(label, width < 400)
        tracks.append({"label": label, "total": r[total],
                       "text": _("{part} of {total}").format(part=fmt.number(r[parts[0]]), total=fmt.number(r[total]))})
        for index, p in enumerate(parts):
            segments.append({"label": label, "part": field_title(dataset, p, lang), "order": index,
                             "value": r[p], "text": fmt.number(r[p])})
    order = [t["label"] for t in tracks]
    part_titles = [field_title(dataset, p, lang) for p in parts]
    narrow = width < 400
    bar_size = 24 if narrow else 32
    height = max(60, len(tracks) * _step(narrow, bar_size, _most_lines(order)))
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


# Builders by kind; chart_kinds.KINDS says when each one is drawn.
BUILDERS = {"line": _line, "bar": _bar, "progress": _progress, "ranked": _ranked}
