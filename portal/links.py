"""Link checker: every internal link, anchor and asset of the built site must lead to a real file.

It reads the written site (HTML, CSS, sitemaps and feeds, robots.txt), so it checks what visitors get.
"""

from __future__ import annotations

import json
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import BuildError, Problem

# Attributes whose value is an address (the data-* ones are read by the portal's own scripts).
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "poster", "data-vega", "data-spec-wide",
                  "data-spec-narrow", "data-search-bundle", "data-search-root"}
META_URLS = {"og:image", "og:url", "twitter:image"}
JSON_LD_URLS = {"url", "contentUrl", "item", "image", "mainEntityOfPage"}
# Pagefind's index is binary and names its own files; it is checked by searching, not here.
SKIPPED_DIRS = ("pagefind/",)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


@dataclass
class LinkReport:
    """What the checker looked at and every broken link it found."""

    files: int = 0
    links: int = 0
    problems: list[Problem] = field(default_factory=list)


class _Page(HTMLParser):
    """Collects the ids of one HTML file and every address it refers to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.targets: list[str] = []
        self._json_ld: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attributes.get(name):
                self.ids.add(attributes[name])
        for name, value in attrs:
            if name not in URL_ATTRIBUTES or value is None:
                continue
            if name == "srcset":
                self.targets += [part.strip().split()[0] for part in value.split(",") if part.strip()]
            elif not (tag == "form" and name == "action" and not value):
                self.targets.append(value)
        if tag == "meta" and attributes.get("property", attributes.get("name")) in META_URLS:
            self.targets.append(attributes.get("content") or "")
        if tag == "script" and attributes.get("type") == "application/ld+json":
            self._json_ld = []

    def handle_data(self, data):
        if self._json_ld is not None:
            self._json_ld.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._json_ld is not None:
            try:
                self.targets += list(_json_urls(json.loads("".join(self._json_ld))))
            except ValueError:
                self.targets.append("(JSON-LD that is not valid JSON)")
            self._json_ld = None


def check_links(site: Path, base_url: str | None, shown: str) -> LinkReport:
    """Check every internal link of the site built in `site`; `shown` names that folder in messages."""
    if not (site / "index.html").is_file():
        raise BuildError.single(shown, "no built site here (index.html is missing); run `build.py build` first")
    base = urlsplit(base_url or _base_from_robots(site) or "/")
    base_path = base.path if base.path.endswith("/") else base.path + "/"
    files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    pages = {name: _parse(site / name) for name in sorted(files) if name.endswith(".html") and not name.startswith(SKIPPED_DIRS)}
    report = LinkReport()
    seen = set()

    def check(source: str, target: str) -> None:
        report.links += 1
        if (source, target) in seen:
            return
        seen.add((source, target))
        if not _resolves(target, source, files, pages, base, base_path):
            report.problems.append(Problem(f"{shown}/{source}", None, None, f"broken link to {target}"))

    for name in sorted(files):
        if name.startswith(SKIPPED_DIRS):
            continue
        if name in pages:
            targets = pages[name].targets
        elif name.endswith(".xml"):
            targets = _xml_urls(site / name)
        elif name.endswith(".css"):
            targets = CSS_URL.findall((site / name).read_text(encoding="utf-8", errors="replace"))
        elif name == "robots.txt":
            targets = re.findall(r"(?mi)^sitemap:\s*(\S+)", (site / name).read_text(encoding="utf-8"))
        else:
            continue
        report.files += 1
        for target in targets:
            check(name, target)
    report.problems.sort()
    return report


def _resolves(target: str, source: str, files: set, pages: dict, base, base_path: str) -> bool:
    """True when `target`, written in the file `source`, leads to a file (and anchor) of the site."""
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme in ("mailto", "tel", "data"):
        return True
    if parts.scheme in ("http", "https") or target.startswith("//"):
        if not base.netloc or parts.netloc != base.netloc:
            return True  # another host: outside this check
        if not parts.path.startswith(base_path) and parts.path + "/" != base_path:
            return False
        path = parts.path[len(base_path):]
    elif parts.scheme:
        return False
    elif target.startswith("/"):
        if not parts.path.startswith(base_path) and parts.path + "/" != base_path:
            return False
        path = parts.path[len(base_path):]
    elif not parts.path:
        path = source  # "#anchor" or "?query" on the same page
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(parts.path)))
        if path == ".." or path.startswith("../"):
            return False
        path = "" if path == "." else path + ("/" if parts.path.endswith("/") else "")
    path = unquote(path)
    if path == "" or path.endswith("/"):
        path += "index.html"
    elif path not in files and f"{path}/index.html" in files:
        path += "/index.html"  # servers redirect a folder to its index
    if path not in files:
        return False
    fragment = unquote(parts.fragment)
    if fragment and path in pages and fragment != "top":
        return fragment in pages[path].ids
    return True


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    page.close()
    return page


def _json_urls(value):
    """Addresses in JSON-LD: the values of url-like keys, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in JSON_LD_URLS and isinstance(item, str):
                yield item
            else:
                yield from _json_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_urls(item)


def _xml_urls(path: Path) -> list[str]:
    """Addresses in a sitemap or a feed: <loc> and <link> text, and every href attribute."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        return [f"(XML that does not parse: {exc})"]
    found = []
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in ("loc", "link") and element.text and element.text.strip():
            found.append(element.text.strip())
        if element.get("href"):
            found.append(element.get("href"))
    return found


def _base_from_robots(site: Path) -> str | None:
    """The base URL the site was built for, read back from the sitemap address in robots.txt."""
    robots = site / "robots.txt"
    if not robots.is_file():
        return None
    match = re.search(r"(?mi)^sitemap:\s*(\S+)sitemap\.xml\s*$", robots.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def shown_path(site: Path, project: Path) -> str:
    """How messages name the site folder: relative to the project when inside it (site), else as given."""
    try:
        return site.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return site.as_posix()
