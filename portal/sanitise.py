"""The HTML an announcement's Markdown becomes, made safe to publish: formatting tags left open
closed within their block, then everything outside an allow-list of tags, attributes, classes and
URL schemes removed by nh3."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "time", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "time": {"datetime"},
}
# Only the classes Markdown itself writes: the site's own classes (skip link, print rules)
# could otherwise hide or move an article's text.
ALLOWED_CLASSES = {"div": {"footnote", "toc"}, "a": {"footnote-ref", "footnote-backref"}}
# The elements an HTML parser reopens after a block closes (its "active formatting elements"):
# one left open would swallow every block that follows, where HTML allows none of them.
FORMATTING = frozenset({"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"})
RAW_FORMATTING = re.compile(r"<(?:" + "|".join(sorted(FORMATTING)) + r")\b", re.IGNORECASE)
BLOCKS = frozenset({"address", "article", "aside", "blockquote", "body", "details", "dialog", "dd", "div", "dl", "dt",
                    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
                    "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
                    "tfoot", "th", "thead", "tr", "ul", "caption", "colgroup", "menu", "search"})


class _Balancer(HTMLParser):
    """Re-emits HTML as written, closing formatting tags left open at the end of their block."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.open: list[str] = []

    def close_open(self) -> None:
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()

    def handle_starttag(self, tag, attrs):
        if tag in BLOCKS:
            self.close_open()
        elif tag in FORMATTING:
            self.open.append(tag)
        self.out.append(self.get_starttag_text())

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if tag in FORMATTING:
            if tag not in self.open:
                return  # closes nothing that is open: a stray end tag
            while self.open:
                last = self.open.pop()
                self.out.append(f"</{last}>")
                if last == tag:
                    return
        if tag in BLOCKS:
            self.close_open()
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")


def balance_formatting(fragment: str) -> str:
    """`fragment` with every formatting tag (b, i, a …) closed within the block it was opened in."""
    balancer = _Balancer()
    balancer.feed(fragment)
    balancer.close()
    balancer.close_open()
    return "".join(balancer.out)


def sanitise(fragment: str) -> str:
    """Keep only the safe list of tags, attributes, classes and URL schemes."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
