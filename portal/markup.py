"""Article markup: Markdown with chart and figure shortcodes, turned into sanitised HTML."""

from __future__ import annotations

import difflib
import functools
import html
import re
import unicodedata
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import markdown
import markdown.treeprocessors
from markdown.blockprocessors import BlockProcessor
from markdown.extensions.toc import slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

from .sanitise import RAW_FORMATTING, balance_formatting, sanitise

# Shortcodes become tokens between two private-use characters; the author's own text is
# stripped of those characters first, so a token can only come from this module and it
# survives sanitising as plain text until the page fills it in.
OPEN, CLOSE = "\ue000", "\ue001"
TOKEN = re.compile(f"{OPEN}(chart|figure|image):([^{OPEN}{CLOSE}]*){CLOSE}")
SHORTCODE = r'\{\{[ \t]*(?P<kind>[^\s"{}]*)[ \t]*(?P<arg>[^}\n]*?)[ \t]*\}\}'
CHART_LINE = re.compile(rf"^[ ]{{0,3}}{SHORTCODE}[ \t]*$", re.MULTILINE)
KINDS = ("chart", "figure")
IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*\.(?:jpe?g|png|webp|avif|gif)$")
IMAGES_PREFIX = "images/"

MARKDOWN_EXTENSIONS = ["tables", "footnotes", "attr_list", "sane_lists", "smarty", "toc"]
# Lists and quotes inside one another deeper than this are a mistake in the text, whatever the
# Markdown library would make of them (some versions fail on hundreds of levels, others cut them off).
MAX_NESTING = 64
NESTING_TAGS = ("ul", "ol", "blockquote")
NESTING_TAG = re.compile(rf"<(/?)(?:{'|'.join(NESTING_TAGS)})\b")


class NestedTooDeeply(ValueError):
    """The text nests lists or quotes more than MAX_NESTING levels deep."""


def nesting_depth(html_text: str) -> int:
    """How many lists and quotes the deepest point of `html_text` is inside."""
    depth = deepest = 0
    for match in NESTING_TAG.finditer(html_text):
        depth += -1 if match.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


# Quotation marks as each language prints them; the others keep the English curly quotes.
QUOTES = {"ar": {"left-double-quote": "&laquo;", "right-double-quote": "&raquo;"}}
# nh3 writes every attribute value in double quotes, so this finds whole tags even when a
# value contains ">".
TAG = re.compile(r'<(a|img)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*/?>')
ATTRIBUTE = re.compile(r'([^\s=]+)="([^"]*)"')
WORD = re.compile(r"\w+")
BAD_URL = re.compile("[\x00-\x1f\x7f\ufffd]")


@dataclass(frozen=True)
class Names:
    """The charts and figures an article may name."""

    charts: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    """One shortcode met in an article, with what is wrong with it, if anything."""

    kind: str
    name: str
    raw: str
    problem: str | None = None


@dataclass(frozen=True)
class Markup:
    """An article body as HTML with tokens, and what it refers to."""

    html: str
    references: tuple[Reference, ...] = ()
    images: tuple[str, ...] = ()  # files of content/images/ shown in the text
    image_problems: tuple[tuple[str, str], ...] = ()  # (address as written, message)
    words: int = 0

    @property
    def charts(self) -> tuple[str, ...]:
        """Indicator slugs of the charts placed in the text."""
        return tuple(r.name for r in self.references if r.kind == "chart" and not r.problem)

    @property
    def figures(self) -> tuple[str, ...]:
        """`slug.field` names of the figures placed in the text."""
        return tuple(r.name for r in self.references if r.kind == "figure" and not r.problem)


def make_markup(text: str, lang: str = "en", names: Names = Names(), site_host: str | None = None,
                backlink_title: str | None = None) -> Markup:
    """Render Markdown, sanitise it and resolve shortcodes, images and links."""
    text = text.replace(OPEN, "").replace(CLOSE, "")
    found: list[Reference] = []
    # The page title is the only <h1>: a body that uses "#" headings is shifted down one level.
    shift = 2 if re.search(r"^#(?!#)", text, re.MULTILINE) else 1
    md = _markdown(lang, names, backlink_title, shift)
    md.reset()
    md.shortcodes.found = found
    try:
        converted = md.convert(text)
    except BaseException:
        # A conversion cut short (text nested too deeply) leaves the converter's inline state
        # half-built: the next article gets a fresh one.
        _markdown.cache_clear()
        raise
    # Counted first: a whole scan only for texts with that many lists and quotes at all.
    if sum(converted.count(f"<{tag}") for tag in NESTING_TAGS) > MAX_NESTING \
            and nesting_depth(converted) > MAX_NESTING:
        raise NestedTooDeeply(f"more than {MAX_NESTING} levels")
    # Only raw HTML written in the text can leave a formatting tag open; Markdown's own are balanced.
    clean = sanitise(balance_formatting(converted) if RAW_FORMATTING.search(text) else converted)
    images: list[str] = []
    image_problems: list[tuple[str, str]] = []
    clean = TAG.sub(lambda m: _fix_tag(m, site_host, images, image_problems), clean)
    seen: set[str] = set()
    for index, ref in enumerate(found):
        if ref.kind == "chart" and not ref.problem:
            if ref.name in seen:
                found[index] = Reference(ref.kind, ref.name, ref.raw, f"chart {ref.name!r} is already in this article")
            seen.add(ref.name)
    words = len(WORD.findall(re.sub(r"<[^>]*>", " ", TOKEN.sub(" x ", clean))))
    return Markup(clean, tuple(found), tuple(dict.fromkeys(images)), tuple(image_problems), words)


@functools.lru_cache(maxsize=64)
def _markdown(lang: str, names: Names, backlink_title: str | None, shift: int) -> markdown.Markdown:
    """One Markdown converter per language and settings, reset before each article: building one
    costs about as much as converting a short article."""
    configs = {
        "toc": {"baselevel": shift, "slugify": _heading_id},
        "tables": {"use_align_attribute": True},
        "smarty": {"substitutions": QUOTES.get(lang, {})},
    }
    if backlink_title:
        configs["footnotes"] = {"BACKLINK_TITLE": backlink_title.replace("%(number)s", "%d")}
    shortcodes = ShortcodeExtension(names, [])
    md = markdown.Markdown(extensions=[*MARKDOWN_EXTENSIONS, shortcodes], extension_configs=configs,
                           output_format="html")
    md.shortcodes = shortcodes
    # The typography pass looks at every text again; most hold nothing it would change.
    smarty = md.treeprocessors["smarty"]
    gated = _TypographyPass(md)
    gated.inlinePatterns = smarty.inlinePatterns
    md.treeprocessors.register(gated, "smarty", 6)
    return md


# What the typography pass (smarty) can change: quotes, dashes and ellipses.
TYPOGRAPHY = re.compile(r"""["']|--|\.\.\.""")


class _TypographyPass(markdown.treeprocessors.InlineProcessor):
    """Smarty's pass over the text, skipping each text that holds no quote, dash or ellipsis (the same output)."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if patternIndex == 0 and not TYPOGRAPHY.search(data):
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


def render_markdown(text: str, lang: str = "en", names: Names = Names()) -> str:
    """Render Markdown to safe HTML (no script, handlers or foreign frames); shortcodes stay tokens."""
    return make_markup(text, lang, names).html


def slugify(text: str, limit: int = 60) -> str:
    """A URL slug in ASCII: Vietnamese letters lose their marks (căn cước → can-cuoc); other scripts drop out."""
    text = re.sub("[đĐÐ]", "d", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", text.encode("ascii", "ignore").decode().lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug


def _heading_id(text: str, separator: str) -> str:
    # Vietnamese headings get readable ASCII ids; Arabic ones keep their letters.
    return slugify(text) or slugify_unicode(text, separator)


def fill_tokens(fragment: str, replace: Callable[[str, str, str], str]) -> str:
    """Replace each token with `replace(kind, name, html_before_it)`."""
    parts, last = [], 0
    for match in TOKEN.finditer(fragment):
        parts += [fragment[last:match.start()], replace(match[1], match[2], fragment[:match.start()])]
        last = match.end()
    return "".join(parts) + fragment[last:]


def is_external(href: str, site_host: str | None = None) -> bool:
    """True for an address on another host (http, https or protocol-relative)."""
    parts = urlsplit(href.strip())
    if parts.scheme.lower() not in ("", "http", "https") or not parts.netloc:
        return False
    return parts.hostname != site_host


def _fix_tag(match: re.Match, site_host, images: list, problems: list) -> str:
    name, attrs = match[1], dict(ATTRIBUTE.findall(match[2]))
    if name == "a":
        if BAD_URL.search(html.unescape(attrs.get("href", ""))):
            attrs.pop("href")  # a control character or a spoilt one: no browser could follow it
        if is_external(html.unescape(attrs.get("href", "")), site_host):
            # Another site gets neither the window nor the address of the article.
            attrs["rel"] = "noopener noreferrer"
    else:
        src = html.unescape(attrs.get("src", ""))
        file = src.removeprefix(IMAGES_PREFIX)
        if src.startswith(IMAGES_PREFIX) and IMAGE_NAME.match(file):
            images.append(file)
            attrs["src"] = f"{OPEN}image:{file}{CLOSE}"
        elif src:
            where = "is on another host" if urlsplit(src).netloc else "is not in content/images/"
            problems.append((src, f"picture {src!r} {where}: copy it into content/images/ "
                                  "and write images/NAME (lowercase, .jpg, .png, .webp, .avif or .gif)"))
            attrs.pop("src")
        if "src" not in attrs:
            return ""  # a picture with nothing to show is left out (HTML needs a src)
        # A picture the text does not describe counts as decoration, as Markdown's ![](…) does.
        attrs.setdefault("alt", "")
    return f"<{name}" + "".join(f' {key}="{value}"' for key, value in attrs.items()) + ">"


class ShortcodeExtension(markdown.Extension):
    """`{{ chart "slug" }}` on a line of its own, and `{{ figure "slug.field" }}` inside text."""

    def __init__(self, names: Names, found: list[Reference]):
        super().__init__()
        self.names = names
        self.found = found

    def extendMarkdown(self, md):
        """Register the block and inline processors."""
        # After indented code (80), so a shortcode in a code block stays text.
        md.parser.blockprocessors.register(_ChartBlock(md.parser, self), "p06-chart", 72)
        # After code spans (190), before links and emphasis.
        md.inlinePatterns.register(_InlineShortcode(SHORTCODE, self), "p06-shortcode", 185)

    def check(self, kind: str, arg: str, raw: str, block: bool) -> Reference:
        """Record one shortcode and decide whether it names something known."""
        name = arg[1:-1].strip() if len(arg) >= 2 and arg[0] == arg[-1] == '"' else None
        if kind not in KINDS:
            hint = difflib.get_close_matches(kind, KINDS, n=1)
            problem = f"unknown shortcode {raw}" + (f"; did you mean `{hint[0]}`?" if hint else
                                                     '; use {{ chart "SLUG" }} or {{ figure "SLUG.FIELD" }}')
        elif name is None:
            problem = f'write the name in double quotes, as in {{{{ {kind} "{arg.strip(chr(34)) or "NAME"}" }}}}'
        elif kind == "chart" and not block:
            problem = f"{raw} must be on a line of its own, with a blank line before and after"
        else:
            known = self.names.charts if kind == "chart" else self.names.figures
            problem = None if name in known else _unknown(kind, name, known)
        ref = Reference(kind, name or arg, raw, problem)
        self.found.append(ref)
        return ref


def _unknown(kind: str, name: str, known: tuple[str, ...]) -> str:
    hint = difflib.get_close_matches(name, known, n=1)
    listed = ", ".join(known) or "none"
    if hint:
        return f"unknown {kind} {name!r}; did you mean {hint[0]!r}? Known {kind}s: {listed}"
    return f"unknown {kind} {name!r}; known {kind}s: {listed}"


class _ChartBlock(BlockProcessor):
    def __init__(self, parser, extension: ShortcodeExtension):
        super().__init__(parser)
        self.extension = extension

    def test(self, parent, block) -> bool:
        return any(m["kind"] == "chart" for m in CHART_LINE.finditer(block))

    def run(self, parent, blocks) -> None:
        block = blocks.pop(0)
        match = next(m for m in CHART_LINE.finditer(block) if m["kind"] == "chart")
        before, after = block[:match.start()].rstrip("\n"), block[match.end():].lstrip("\n")
        if before:
            self.parser.parseBlocks(parent, [before])
        ref = self.extension.check("chart", match["arg"], match.group().strip(), block=True)
        holder = etree.SubElement(parent, "div")
        holder.text = AtomicString(f"{OPEN}chart:{ref.name}{CLOSE}" if not ref.problem else match.group().strip())
        if after:
            blocks.insert(0, after)


class _InlineShortcode(InlineProcessor):
    def __init__(self, pattern: str, extension: ShortcodeExtension):
        super().__init__(pattern)
        self.extension = extension

    def handleMatch(self, m, data):
        ref = self.extension.check(m["kind"], m["arg"], m.group(), block=False)
        text = f"{OPEN}figure:{ref.name}{CLOSE}" if ref.kind == "figure" and not ref.problem else m.group()
        return AtomicString(text), m.start(0), m.end(0)

