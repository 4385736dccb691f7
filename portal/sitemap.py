"""sitemap.xml with every language version of each page, and robots.txt pointing to it."""

from __future__ import annotations

from xml.sax.saxutils import escape

from .config import Config

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
QUOTE = {'"': "&quot;"}


def make_sitemap(config: Config, editions, metas: dict) -> bytes:
    """A sitemap of every listed page, each with its hreflang alternates and the date it last changed.

    `metas` maps (language code, page key) to the page's PageMeta. Written as text: ElementTree's
    namespace prefixes are global and would leak into the feeds.
    """
    versions: dict[str, dict[str, str]] = {}
    for edition in editions:
        for page in edition.pages:
            if metas[(edition.lang.code, page.key)].listed:
                versions.setdefault(page.key, {})[edition.lang.code] = metas[(edition.lang.code, page.key)].canonical
    default = config.default_language.code
    lines = ["<?xml version='1.0' encoding='utf-8'?>", f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">']
    for edition in editions:
        for page in edition.pages:
            meta = metas[(edition.lang.code, page.key)]
            if not meta.listed:
                continue
            lines += [" <url>", f"  <loc>{escape(meta.canonical)}</loc>"]
            if meta.lastmod:
                lines.append(f"  <lastmod>{meta.lastmod.isoformat()}</lastmod>")
            alternates = versions[page.key]
            if len(alternates) > 1:
                codes = [lg.code for lg in config.languages if lg.code in alternates]
                links = [(code, alternates[code]) for code in codes]
                if default in alternates:
                    links.append(("x-default", alternates[default]))
                lines += [f'  <xhtml:link rel="alternate" hreflang="{code}" href="{escape(href, QUOTE)}" />'
                          for code, href in links]
            lines.append(" </url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def make_robots(config: Config) -> bytes:
    """robots.txt: every page may be crawled; the sitemap lists them."""
    return (f"User-agent: *\nAllow: /\n\nSitemap: {config.base_url}{SITEMAP}\n").encode("utf-8")
