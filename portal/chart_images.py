"""Chart images for articles and slides: each chart's wide SVG framed with its title, source, as-of
date, licence and address, as SVG and as a PNG at twice its size (vl-convert draws it)."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from .charts import FONT, TEXT_COLOUR, svg_to_png
from .config import Config
from .data import Dataset
from .i18n import Formatter
from .render import page_path

PNG_SCALE = 2  # sharp on high-density screens and projectors
PAD = 24
TITLE_SIZE = 20
NOTE_SIZE = 13
NOTE_LINE = 18
# Arabic letters reach further above and below the line: its lines are spaced wider.
NOTE_LINE_ARABIC = 26
MUTED = "#4a5668"
QUOTE = {'"': "&quot;"}


def image_paths(slug: str, lang: str) -> dict[str, str]:
    """Where a chart's downloadable images go, relative to the site root."""
    return {ext: f"charts/{slug}.{lang}.image.{ext}" for ext in ("svg", "png")}


def make_chart_images(chart, dataset: Dataset, fmt: Formatter, config: Config) -> dict[str, bytes]:
    """The chart's downloadable SVG and PNG with its credits drawn in: {path: bytes}."""
    from .metadata import smaller_png  # metadata imports the chart modules

    svg = frame_chart(chart, dataset, fmt, fmt.date(dataset.as_of) if dataset.as_of else "", config)
    paths = image_paths(chart.slug, chart.lang)
    return {paths["svg"]: svg.encode("utf-8"), paths["png"]: smaller_png(svg_to_png(svg, PNG_SCALE))}


def frame_chart(chart, dataset: Dataset, fmt: Formatter, as_of: str, config: Config) -> str:
    """The chart's wide SVG inside a larger one, with the title above and the credits below (`as_of`: the date of its figures)."""
    lang, _ = fmt.lang, fmt.gettext
    svg = chart.svgs["wide"]
    width, height = (float(v) for v in re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg).groups())
    canvas_w = width + 2 * PAD
    sources = "; ".join(s.get(lang.code) or s.get("") or s.get("en", "") for s in dataset.sources)
    address = config.base_url + page_path(lang, f"indicators/{chart.slug}")
    notes = wrap(_("Source: %(source)s") % {"source": sources}, canvas_w - 2 * PAD)
    notes += wrap(_("As of %(date)s · %(licence)s · %(address)s") % {
        "date": as_of, "licence": config.licence_name, "address": address}, canvas_w - 2 * PAD)
    top = PAD + TITLE_SIZE
    chart_top = top + TITLE_SIZE * 0.8
    rtl = lang.direction == "rtl"
    line_height = NOTE_LINE_ARABIC if rtl else NOTE_LINE
    notes_top = chart_top + height + line_height
    canvas_h = notes_top + line_height * (len(notes) - 1) + PAD
    x = canvas_w - PAD if rtl else PAD
    # No direction="rtl": it would make "end" the left edge in browsers (though not in the PNG's
    # renderer); the letters of each line are ordered right to left all the same.
    anchor = 'text-anchor="end"' if rtl else 'text-anchor="start"'
    font = escape(FONT, QUOTE)
    parts = [f'<text x="{x:.1f}" y="{top:.1f}" font-family="{font}" font-size="{TITLE_SIZE}" font-weight="700" '
             f'fill="{TEXT_COLOUR}" {anchor}>{escape(chart.title)}</text>']
    # Not clipped to its own box (the chart stays inside it anyway): a clip costs the PNG's renderer
    # a mask of the whole image, 60 % of its time.
    inner = re.sub(r"^\s*(<\?xml[^>]*>\s*)?<svg ", f'<svg x="{PAD}" y="{chart_top:.1f}" overflow="visible" ', svg, count=1)
    parts.append(inner)
    for n, line in enumerate(notes):
        parts.append(f'<text x="{x:.1f}" y="{notes_top + n * line_height:.1f}" font-family="{font}" font-size="{NOTE_SIZE}" '
                     f'fill="{MUTED}" {anchor}>{escape(line)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{canvas_w:.0f}" height="{canvas_h:.0f}" '
            f'viewBox="0 0 {canvas_w:.0f} {canvas_h:.0f}" lang="{lang.code}"><title>{escape(chart.title)}</title>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(parts)}</svg>\n')


def wrap(text: str, width: float) -> list[str]:
    """Lines of `text` that fit `width` pixels at the note size (an average letter is about 0.55 em wide)."""
    per_line = max(20, int(width / (NOTE_SIZE * 0.55)))
    # A bracketed group stays on one line: split across two, right-to-left text shows its brackets apart.
    words: list[str] = []
    for word in text.split():
        if words and words[-1].count("(") > words[-1].count(")"):
            words[-1] += " " + word
        else:
            words.append(word)
    lines, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > per_line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])
