"""News listings: publishing rules, the paginated list, tag and year pages, related news, article bodies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from markupsafe import Markup

from .content import RESERVED_SLUGS, Announcement, slugify
from .i18n import Formatter
from .indicators import Indicator, format_value
from .markup import Names, fill_tokens
from .render import Page, SiteData, page_path

PER_PAGE = 10
RELATED_MAX = 5
HEADING = re.compile(r"<h([1-6])\b")


@dataclass(frozen=True)
class Publishing:
    """Which announcements a build publishes: as of `clock`, optionally with drafts and future items."""

    clock: dt.datetime
    drafts: bool = False
    future: bool = False

    def shows(self, item: Announcement) -> bool:
        """True when `item` belongs on the site at this clock."""
        if item.draft and not self.drafts:
            return False
        if item.appears_at > self.clock and not self.future:
            return False
        return not (item.expire_at and item.expire_at <= self.clock)


@dataclass(frozen=True)
class Change:
    """A moment when the published site changes by itself: an item appears or expires."""

    moment: dt.datetime
    event: str  # "appears" or "expires"
    item: Announcement


@dataclass(frozen=True)
class Tag:
    """One topic in one language and its announcements, newest first."""

    slug: str
    label: str
    items: tuple[Announcement, ...]


@dataclass(frozen=True)
class Pager:
    """Where a page of a list stands among its siblings."""

    number: int
    count: int
    previous: str | None  # output paths
    next: str | None


def make_names(datasets) -> Names:
    """What articles may name: indicator slugs for charts, and `slug.field` of their numeric fields for figures."""
    indicators = [d for d in datasets if d.indicator]
    return Names(
        charts=tuple(d.indicator["slug"] for d in indicators),
        figures=tuple(f"{d.indicator['slug']}.{f.name}" for d in indicators for f in d.fields
                      if f.type in ("integer", "number")),
    )


def make_published(items, publishing: Publishing) -> tuple[Announcement, ...]:
    """The announcements a build publishes; every page, list and feed draws on this alone."""
    return tuple(item for item in items if publishing.shows(item))


def make_unpublished(items, clock: dt.datetime, config) -> dict[str, str]:
    """The pages of announcements a published build would leave out, with why (a draft, or scheduled)."""
    published = Publishing(clock)
    found = {}
    for item in items:
        if published.shows(item):
            continue
        if item.draft:
            why = "a draft"
        elif item.appears_at > clock:
            why = f"scheduled for {item.appears_at.isoformat()}"
        else:
            continue  # expired: not in the preview either
        found[page_path(config.language(item.lang), f"news/{item.slug}")] = why
    return found


def next_changes(items, clock: dt.datetime) -> list[Change]:
    """The earliest scheduled changes after `clock` (all of those at that same moment); drafts never change."""
    changes = []
    for item in items:
        if item.draft:
            continue
        if item.appears_at > clock:
            changes.append(Change(item.appears_at, "appears", item))
        if item.expire_at and item.expire_at > clock:
            changes.append(Change(item.expire_at, "expires", item))
    if not changes:
        return []
    first = min(change.moment for change in changes)
    return sorted((c for c in changes if c.moment == first), key=lambda c: (c.event, str(c.item.src_path)))


@functools.lru_cache(maxsize=4096)  # the same few tags are asked for by every announcement
def tag_slug(label: str) -> str:
    """An ASCII file name for a tag; tags in other scripts get a short fingerprint instead."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", re.sub("[đĐ]", "d", label)) if not unicodedata.combining(c))
    slug = slugify(label)
    if not slug or slug in RESERVED_SLUGS or any(c.isalpha() and not c.isascii() for c in plain):
        return "t-" + hashlib.sha256(label.casefold().encode()).hexdigest()[:8]
    return slug


def make_tags(items) -> tuple[Tag, ...]:
    """Group announcements by tag; tags that differ only in case or accents share one page."""
    groups: dict[str, list[Announcement]] = {}
    spellings: dict[str, Counter] = {}
    for item in items:
        for label in item.tags:
            slug = tag_slug(label)
            groups.setdefault(slug, []).append(item)
            spellings.setdefault(slug, Counter())[label] += 1
    tags = [Tag(slug, min(spellings[slug].items(), key=lambda kv: (-kv[1], kv[0]))[0], tuple(group))
            for slug, group in groups.items()]
    return tuple(sorted(tags, key=lambda t: (t.label.casefold(), t.slug)))


def make_years(items) -> tuple[tuple[int, tuple[Announcement, ...]], ...]:
    """Announcements by year, newest year first."""
    years: dict[int, list[Announcement]] = {}
    for item in items:
        years.setdefault(item.date.year, []).append(item)
    return tuple((year, tuple(group)) for year, group in sorted(years.items(), reverse=True))


def make_related(indicators, items) -> dict[str, tuple[Announcement, ...]]:
    """For each indicator, the announcements that show its chart or figures or share one of its tags."""
    related = {}
    # What each announcement links to, worked out once rather than once per indicator.
    links = [(item, set(item.charts) | {name.split(".", 1)[0] for name in item.figures},
              {t.casefold() for t in item.tags}) for item in items]
    for indicator in indicators:
        tags = {t.casefold() for t in indicator.dataset.indicator.get("tags", [])}
        found: list[Announcement] = []
        for item, slugs, item_tags in links:
            if len(found) == RELATED_MAX:
                break
            if indicator.slug in slugs or tags & item_tags:
                found.append(item)
        related[indicator.slug] = tuple(found)
    return related


def make_news_pages(data: SiteData) -> list[Page]:
    """The news list (ten a page), one page per tag and per year, and each announcement."""
    lang, items, _ = data.lang, data.news, data.fmt.gettext
    tags, years = make_tags(items), make_years(items)
    browse = {"tags": [(t.label, page_path(lang, f"news/tags/{t.slug}"), len(t.items)) for t in tags],
              "years": [(data.fmt.period(y), page_path(lang, f"news/archive/{y}"), len(g)) for y, g in years]}
    chunks = [items[i:i + PER_PAGE] for i in range(0, len(items), PER_PAGE)] or [()]
    keys = ["news"] + [f"news/page/{n}" for n in range(2, len(chunks) + 1)]
    pages = []
    for index, (key, chunk) in enumerate(zip(keys, chunks)):
        pager = Pager(index + 1, len(chunks), page_path(lang, keys[index - 1]) if index else None,
                      page_path(lang, keys[index + 1]) if index + 1 < len(keys) else None)
        title = _("News") if index == 0 else _("News, page %(number)s") % {"number": data.fmt.number(index + 1)}
        pages.append(Page(key, "news_list", lang.code, page_path(lang, key), title,
                          {"news": chunk, "pager": pager, "browse": browse, "heading": title, "intro": ""}))
    for tag in tags:
        key = f"news/tags/{tag.slug}"
        title = _("News about “%(tag)s”") % {"tag": tag.label}
        pages.append(Page(key, "news_list", lang.code, page_path(lang, key), title,
                          {"news": tag.items, "pager": None, "browse": browse, "heading": title,
                           "intro": _("Every announcement with this tag, newest first.")}))
    for year, group in years:
        key = f"news/archive/{year}"
        title = _("News from %(year)s") % {"year": data.fmt.period(year)}
        pages.append(Page(key, "news_list", lang.code, page_path(lang, key), title,
                          {"news": group, "pager": None, "browse": browse, "heading": title,
                           "intro": _("Every announcement of that year, newest first.")}))
    # An article's text draws only on the indicators it names: an edit to one article or one CSV
    # leaves the cached pages of the others valid.
    lean = dataclasses.replace(data, news=(), datasets=(), related={}, indicators=())
    for index, item in enumerate(items):
        named = {*item.charts, *(figure.split(".", 1)[0] for figure in item.figures)}
        body_data = dataclasses.replace(lean, indicators=tuple(i for i in data.indicators if i.slug in named))
        key = f"news/{item.slug}"
        pages.append(Page(key, "announcement", lang.code, page_path(lang, key), item.title, {
            "item": item,
            "body": functools.partial(render_body, item, body_data),
            "newer": items[index - 1] if index else None,
            "older": items[index + 1] if index + 1 < len(items) else None,
            "item_tags": [(label, page_path(lang, f"news/tags/{tag_slug(label)}")) for label in item.tags],
        }))
    return pages


def render_body(item: Announcement, data: SiteData, link, chart=None) -> Markup:
    """The article's HTML with figures, pictures and charts (drawn by `chart`, else linked, as in feeds) filled in."""
    indicators = {indicator.slug: indicator for indicator in data.indicators}

    def replace(kind: str, name: str, before: str) -> str:
        if kind == "image":
            return html.escape(link(f"images/{name}"))
        if kind == "figure":
            slug, field = name.split(".", 1)
            return figure_html(indicators[slug], field, data.fmt)
        indicator = indicators[name]
        if chart is None:
            target = html.escape(link(page_path(data.lang, f"indicators/{indicator.slug}")))
            label = html.escape(data.fmt.gettext("Chart: %(title)s") % {"title": indicator.title})
            return f'<a href="{target}">{label}</a>'
        levels = HEADING.findall(before)
        level = min(int(levels[-1]) + 1, 6) if levels else 2
        return str(chart(indicator, heading=f"h{level}", with_table=True))

    return Markup(fill_tokens(item.body_html, replace))


def figure_html(indicator: Indicator, field: str, fmt: Formatter) -> str:
    """The latest province-wide value of one field, formatted for the language, as <data>."""
    dataset, row = indicator.dataset, indicator.latest
    value = row.get(field) if row else None
    text = html.escape(format_value(dataset, field, value, fmt))
    return f'<bdi><data value="{html.escape(str(value))}">{text}</data></bdi>' if value is not None else text
