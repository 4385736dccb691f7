"""Atom feeds: the latest announcements of one language, for feed readers."""

from __future__ import annotations

import datetime as dt
import posixpath
import uuid
import xml.etree.ElementTree as ET

from .config import Config
from .news import render_body
from .render import SiteData, feed_path, page_path

ATOM = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
FEED_ENTRIES = 20
# Fixed once: feed and entry ids must stay the same for ever, wherever the site is hosted.
ID_NAMESPACE = uuid.UUID("0f6a3c52-06d4-4e0b-9a3c-4e6768e1a006")
# Only for a feed with no entries: a content date is needed and there is none.
EMPTY_FEED_UPDATED = dt.datetime(2022, 1, 6, tzinfo=dt.timezone.utc)


def make_feed(config: Config, data: SiteData) -> bytes:
    """The Atom feed of the latest published announcements in `data`'s language."""
    lang, _ = data.lang, data.fmt.gettext
    here = posixpath.dirname(feed_path(lang))
    absolute = config.base_url.startswith(("http://", "https://"))

    def url(target: str) -> str:
        """Absolute when the site's address is known, else relative to the feed (beside the articles)."""
        return config.base_url + target if absolute else posixpath.relpath(target, here)

    items = data.news[:FEED_ENTRIES]
    # Unprefixed names with the namespace declared by hand: ElementTree's prefix registry is
    # global and other modules change it.
    feed = ET.Element("feed", {"xmlns": ATOM, f"{{{XML_NS}}}lang": lang.code})
    _text(feed, "title", f"{lang.title}: {_('News')}")
    _text(feed, "subtitle", lang.description)
    _link(feed, "self", url(feed_path(lang)), "application/atom+xml")
    _link(feed, "alternate", url(page_path(lang, "news")), "text/html")
    _text(feed, "id", _urn(f"feed:{lang.code}"))
    updated = max((item.appears_at for item in items), default=EMPTY_FEED_UPDATED)
    _text(feed, "updated", _stamp(updated))
    _text(ET.SubElement(feed, "author"), "name", lang.title)
    _text(feed, "rights", config.licence_name)
    for item in items:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "title", item.title)
        _link(entry, "alternate", url(page_path(lang, f"news/{item.slug}")), "text/html")
        _text(entry, "id", _urn(f"entry:{lang.code}:{item.key}"))
        _text(entry, "published", _stamp(item.moment))
        _text(entry, "updated", _stamp(item.appears_at))
        _text(ET.SubElement(entry, "author"), "name", item.author or lang.title)
        for label in item.tags:
            ET.SubElement(entry, "category", {"term": label})
        _text(entry, "summary", item.summary)
        content = _text(entry, "content", str(render_body(item, data, url)))
        content.set("type", "html")
        if absolute:
            # The article's own relative links resolve from its page, not from the feed.
            content.set(f"{{{XML_NS}}}base", url(page_path(lang, f"news/{item.slug}")))
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, name)
    element.text = text
    return element


def _link(parent: ET.Element, rel: str, href: str, kind: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": kind, "href": href})


def _urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, name)}"


def _stamp(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat()
