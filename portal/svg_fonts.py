"""Chart SVGs that carry their own font: the subset of the font their labels were measured with.

A chart shown as an <img> is drawn with the reader's fonts, not the build machine's, so widths
measured at build time do not hold on a phone with other fonts: labels get clipped or run into
each other. Each SVG therefore embeds (as WOFF in a data: address, which an image may use) the
glyphs of its own texts from the very font files vl-convert measured with, and names that font
first. Measurement and drawing then agree on every device.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

FAMILY = "p06-chart"
TEXT_NODE = re.compile(r"<text\b([^>]*)>(.*?)</text>", re.S)
TAG = re.compile(r"<[^>]+>")


def _characters(svg: str) -> dict[str, set[str]]:
    """The characters drawn in regular and in bold type."""
    found: dict[str, set[str]] = {"Regular": set(), "Bold": set()}
    for attributes, inner in TEXT_NODE.findall(svg):
        bold = re.search(r'font-weight="(bold|[6-9]00)"', attributes) is not None
        found["Bold" if bold else "Regular"] |= set(html.unescape(TAG.sub("", inner)))
    return found


def _subset(path: Path, characters: set[str]) -> bytes:
    """The font at `path` cut down to `characters` (with the forms Arabic joining needs), as WOFF."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]  # Arabic joining, ligatures and marks, as measured
    options.name_IDs = []
    options.notdef_outline = True
    options.hinting = False  # screens draw these sizes well without it, at half the bytes
    font = TTFont(str(path), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in characters})
    subsetter.subset(font)
    _tight_metrics(font)
    out = io.BytesIO()
    # No time stamps (the measurement fonts carry the moment they were made): the same chart
    # gives the same bytes on every build and every machine.
    font["head"].created = font["head"].modified = 0
    font.save(out, reorderTables=True)
    return out.getvalue()


def _tight_metrics(font) -> None:
    """Ascent and descent set to the ink of the glyphs kept, so a text's box (what getBBox reports,
    and what the checks of overlap read) is where its letters are drawn. Advances, and so every
    measured width and position, stay as they were."""
    glyf = font["glyf"]
    boxes = [glyf[name] for name in font.getGlyphOrder() if getattr(glyf[name], "numberOfContours", 0)]
    if not boxes:
        return
    top = max(g.yMax for g in boxes)
    bottom = min(g.yMin for g in boxes)
    hhea, os2 = font["hhea"], font["OS/2"]
    hhea.ascent, hhea.descent, hhea.lineGap = top, bottom, 0
    os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap = top, bottom, 0
    os2.usWinAscent, os2.usWinDescent = max(top, 0), max(-bottom, 0)


def embed_fonts(svg: str, faces: dict[str, Path], font_list: str) -> str:
    """`svg` with @font-face rules for the measured `faces` ({"Regular": file, "Bold": file}) and
    that font named first wherever the chart's `font_list` is used."""
    rules = []
    for style, characters in _characters(svg).items():
        if not characters or style not in faces:
            continue
        data = base64.b64encode(_subset(faces[style], characters)).decode("ascii")
        weight = 700 if style == "Bold" else 400
        rules.append(f'@font-face{{font-family:"{FAMILY}";font-weight:{weight};'
                     f'src:url(data:font/woff;base64,{data}) format("woff")}}')
    if not rules:
        return svg
    style = f"<defs><style>{''.join(rules)}</style></defs>"
    svg = re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + style, svg, count=1)
    listed = html.escape(font_list, quote=True)
    return svg.replace(f'font-family="{listed}"', f'font-family="{FAMILY}, {listed}"').replace(
        f'font-family="{font_list}"', f'font-family="{FAMILY}, {font_list}"')
