"""sitemap.xml with every language version of each page, and robots.txt pointing to it."""

from __future__ import annotations

from xml.sax.saxutils import escape

from .config import Config

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
QUOTE = {'"': "&quot;"}


def make_sitemap(config: Config, editions, listed: dict) -> bytes:
    """A sitemap of every listed page, each with its hreflang alternates and the date it last changed.

    `listed` maps (language code, page key) of each page that belongs in it to its canonical address
    and that date (PageMeta.canonical, .lastmod). Written as text: ElementTree's namespace prefixes
    are global and would leak into the feeds.
    """
    versions: dict[str, dict[str, str]] = {}
    for edition in editions:
        for page in edition.pages:
            if (edition.lang.code, page.key) in listed:
                versions.setdefault(page.key, {})[edition.lang.code] = listed[(edition.lang.code, page.key)][0]
    default = config.default_language.code
    lines = ["<?xml version='1.0' encoding='utf-8'?>", f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">']
    for edition in editions:
        for page in edition.pages:
            if (edition.lang.code, page.key) not in listed:
                continue
            canonical, lastmod = listed[(edition.lang.code, page.key)]
            lines += [" <url>", f"  <loc>{escape(canonical)}</loc>"]
            if lastmod:
                lines.append(f"  <lastmod>{lastmod.isoformat()}</lastmod>")
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
