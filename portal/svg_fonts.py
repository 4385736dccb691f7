"""Chart SVGs that carry their own font: the subset of the font their labels were measured with.

A chart shown as an <img> is drawn with the reader's fonts, not the build machine's, so widths
measured at build time do not hold on a phone with other fonts: labels get clipped or run into
each other. Each SVG therefore embeds (as WOFF in a data: address, which an image may use) the
glyphs of its own texts from the very font files vl-convert measured with, and names that font
first. Measurement and drawing then agree on every device.

Subsetting is most of a chart's cost, so the two layouts of a chart share one subset (of both
layouts' texts), texts are cut from the narrowest copy of the font that holds their letters (see
COPIES: the shaping tables of letters no text uses take longer to read than the rest of the work),
and a process keeps what it cut. The copies are made once, with the measurement fonts, rather than
by every chart process.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
from pathlib import Path

FAMILY = "p06-chart"
TEXT_NODE = re.compile(r"<text\b([^>]*)>(.*?)</text>", re.S)
TAG = re.compile(r"<[^>]+>")
# Letters, marks and signs of Latin script (Vietnamese included), general punctuation, and the
# minus sign the charts' numbers are written with.
LATIN = (range(0x0000, 0x0250), range(0x0300, 0x0370), range(0x1E00, 0x1F00), range(0x2000, 0x2070),
         range(0x20A0, 0x20D0), range(0x2100, 0x2200), range(0x2212, 0x2213))


def _characters(svg: str) -> dict[str, set[str]]:
    """The characters drawn in regular and in bold type."""
    found: dict[str, set[str]] = {"Regular": set(), "Bold": set()}
    for attributes, inner in TEXT_NODE.findall(svg):
        bold = re.search(r'font-weight="(bold|[6-9]00)"', attributes) is not None
        found["Bold" if bold else "Regular"] |= set(html.unescape(TAG.sub("", inner)))
    return found


def _options(flavor: str | None):
    from fontTools import subset

    options = subset.Options()
    options.flavor = flavor
    # fontTools' default features are the ones shapers apply unasked (vl-convert's and browsers'):
    # Arabic joining forms, ligatures, marks and kerning, as measured.
    options.name_IDs = [] if flavor else ["*"]
    options.notdef_outline = True
    options.hinting = False  # screens draw these sizes well without it, at half the bytes
    return options


# The letters of Arabic text: the Arabic block up to the superscript alef (letters, vowel marks,
# digits, punctuation), the letters Arabic borrows for p, ch, zh, v and g, and the Persian kaf and
# yeh that keyboards often type. Not the rest of the block (letters of other languages written in
# Arabic script, Quranic marks), whose shaping tables made vl-convert measure a third slower.
ARABIC = (range(0x0600, 0x0671), range(0x067E, 0x067F), range(0x0686, 0x0687), range(0x0698, 0x0699),
          range(0x06A4, 0x06A5), range(0x06A9, 0x06AA), range(0x06AF, 0x06B0), range(0x06CC, 0x06CD))
# Copies of a measurement font cut to some scripts' letters, narrowest first. vl-convert reads the
# font file, and its shaping tables, for every text it lays out, so a text whose characters a copy
# all holds is measured, drawn and embedded from that copy: the same outlines, advances, kerning and
# joining, read faster. Any other text uses the whole font.
COPIES = {"latin": LATIN, "arabic": LATIN + ARABIC}


def _pattern(blocks) -> re.Pattern:
    """Matches a character outside `blocks`."""
    return re.compile("[^" + "".join(f"\\U{block.start:08x}-\\U{block.stop - 1:08x}" for block in blocks) + "]")


_OUTSIDE = {name: _pattern(blocks) for name, blocks in COPIES.items()}


def copy_for(text: str) -> str | None:
    """The narrowest copy (see COPIES) that holds every character of `text`; None when only the whole font does."""
    return next((name for name, outside in _OUTSIDE.items() if outside.search(text) is None), None)


# Both caches go by path: the measurement fonts live in a folder named by what they were made from.
@functools.lru_cache(maxsize=8)
def _copy(path: Path, name: str) -> bytes:
    """The copy `name` of the font at `path`: the one made beside it (see fonts.py), or made now."""
    try:
        return copy_path(path, name).read_bytes()
    except OSError:
        return make_copy(path, name)


def copy_path(path: Path, name: str) -> Path:
    """Where the copy `name` of the font at `path` is kept; a name vl-convert does not load as a font."""
    return path.with_name(f"{path.name}.{name}")


def make_copy(path: Path, name: str) -> bytes:
    """The font at `path` with the letters of the copy `name` alone (the same outlines, advances and kerning)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), recalcTimestamp=False)
    subsetter = subset.Subsetter(_options(None))
    subsetter.populate(unicodes=[c for c in font.getBestCmap() if any(c in block for block in COPIES[name])])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@functools.lru_cache(maxsize=256)
def _subset(path: Path, characters: frozenset[str]) -> bytes:
    """The font at `path` cut down to `characters` (with the forms Arabic joining needs), as WOFF."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    unicodes = {ord(c) for c in characters}
    copy = copy_for("".join(characters))
    source = io.BytesIO(_copy(path, copy)) if copy else str(path)
    font = TTFont(source, recalcTimestamp=False)
    subsetter = subset.Subsetter(_options("woff"))
    subsetter.populate(unicodes=unicodes)
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


# What embed_fonts puts at the top of an SVG.
_EMBEDDED = re.compile(r"<defs><style>@font-face\{.*?</style></defs>", re.S)


def without_fonts(svg: str) -> str:
    """`svg` without the fonts embed_fonts put into it: a renderer that draws with installed fonts
    (vl-convert's PNG) would only read the encoded font through to skip it."""
    return _EMBEDDED.sub("", svg, count=1)


def embed_fonts(svgs: dict[str, str], faces: dict[str, Path], font_list: str) -> dict[str, str]:
    """Each of one chart's `svgs` with @font-face rules for the measured `faces` ({"Regular": file,
    "Bold": file}), cut to the texts of them all, and that font named first wherever `font_list` is used."""
    characters: dict[str, set[str]] = {}
    for svg in svgs.values():
        for style, found in _characters(svg).items():
            characters.setdefault(style, set()).update(found)
    rules = []
    for style, found in characters.items():
        if not found or style not in faces:
            continue
        data = base64.b64encode(_subset(faces[style], frozenset(found))).decode("ascii")
        weight = 700 if style == "Bold" else 400
        rules.append(f'@font-face{{font-family:"{FAMILY}";font-weight:{weight};'
                     f'src:url(data:font/woff;base64,{data}) format("woff")}}')
    if not rules:
        return dict(svgs)
    style = f"<defs><style>{''.join(rules)}</style></defs>"
    listed = html.escape(font_list, quote=True)
    return {name: re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + style, svg, count=1)
            .replace(f'font-family="{listed}"', f'font-family="{FAMILY}, {listed}"')
            .replace(f'font-family="{font_list}"', f'font-family="{FAMILY}, {font_list}"') for name, svg in svgs.items()}
