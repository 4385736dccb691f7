"""Page metadata: canonical address, Open Graph and Twitter card, JSON-LD, search filters and the
date each page last changed, all from the data and content (never from the build clock)."""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from babel.core import get_global

from .charts import FONT, TEXT_COLOUR, svg_to_png
from .config import Config, Language
from .content import Announcement
from .data import Dataset
from .indicators import Indicator
from .release import MEDIA_TYPES, dataset_paths

SCHEMA = "https://schema.org"
# Social networks crop previews to about 1.91:1; 1200 pixels wide is sharp on every screen they use.
OG_WIDTH = 1200
OG_RATIO = 1.91
QUOTE = {'"': "&quot;"}
# Pages that only exist to help a visitor, not to be found on their own.
UNLISTED = ("search", "not_found", "embed")
# The page kinds the site search indexes (their `type` filter values: search_types).
INDEXED = ("indicator", "announcement", "catalogue")


@dataclass(frozen=True)
class PageMeta:
    """What the head of one page says about it, beyond its title and description."""

    canonical: str
    og_type: str
    locale: str
    locale_alternates: tuple[str, ...]
    json_ld: str
    lastmod: dt.date | None
    robots: str | None = None
    image: dict | None = None  # url, width, height, alt
    published: str | None = None
    search: dict = field(default_factory=dict)  # Pagefind filters, sort and meta; empty: not indexed

    @property
    def listed(self) -> bool:
        """True when the page belongs in the sitemap."""
        return self.robots is None


def absolute(config: Config, path: str) -> str:
    """The public address of a file or page below the base URL (a path when the base URL has no host)."""
    return config.base_url + path.removesuffix("index.html")


def og_locale(lang: Language) -> str:
    """The Open Graph locale (vi_VN, en_US, ar_EG) from the language's likely region."""
    likely = get_global("likely_subtags").get(lang.locale.split("_")[0], lang.locale)
    parts = likely.split("_")
    return f"{parts[0]}_{parts[-1]}" if len(parts) > 1 else parts[0]


def make_organisation(package: dict, lang: str) -> dict | None:
    """The publisher named in datapackage.json (a contributor with role "publisher"), as schema.org data."""
    for person in package.get("contributors", []):
        if person.get("role") == "publisher" or "publisher" in person.get("roles", []):
            node = {"@type": "GovernmentOrganization", "name": person.get("titles", {}).get(lang) or person["title"]}
            if person.get("path"):
                node["url"] = person["path"]
            return node
    return None


@dataclass(frozen=True)
class HeadFacts:
    """What the heads of one language's pages draw on besides the page itself (see make_head_facts)."""

    titles: dict  # page key -> (title, path), for breadcrumbs
    organisation: dict | None  # the publisher, as schema.org data
    alternates: dict  # page key -> the Open Graph locales of its other languages
    images: dict  # page key -> preview image description
    province: str | None


def make_head_facts(config: Config, editions, images: dict, package: dict) -> dict[str, HeadFacts]:
    """HeadFacts of each language, by code; `images` maps (language code, page key) to a preview image."""
    codes: dict[str, list[str]] = {}
    locales = {edition.lang.code: og_locale(edition.lang) for edition in editions}
    for edition in editions:
        for page in edition.pages:
            codes.setdefault(page.key, []).append(edition.lang.code)
    facts = {}
    for edition in editions:
        lang, data = edition.lang, edition.data
        organisation = make_organisation(package, lang.code)
        if organisation:
            organisation["@id"] = config.base_url + "#publisher"
        facts[lang.code] = HeadFacts(
            titles={page.key: (page.title, page.dest_path) for page in edition.pages},
            organisation=organisation,
            alternates={page.key: tuple(locales[code] for code in codes[page.key] if code != lang.code)
                        for page in edition.pages},
            images={key: image for (code, key), image in images.items() if code == lang.code},
            province=province_name(data.datasets, config.province_code))
    return facts


def make_head(page, config: Config, data, facts: HeadFacts) -> PageMeta:
    """The PageMeta of one page of the language of `data`: a function of the page, its language's
    constants (config, language, texts, facts.organisation and facts.province) and head_inputs()."""
    locale_alternates, image, crumbs = head_inputs(page, config, facts)
    return make_page_meta(page, config, data, crumbs, facts.organisation, locale_alternates, image,
                          facts.province)


def head_inputs(page, config: Config, facts: HeadFacts) -> tuple:
    """What the head of `page` draws on from the facts of every page of its language: its
    other-language locales, its preview image and its breadcrumbs."""
    return facts.alternates[page.key], facts.images.get(page.key), make_breadcrumbs(page.key, facts.titles, config)


def page_listing(page, config: Config) -> tuple[bool, tuple | None]:
    """Whether search indexes `page` (its PageMeta.search is not empty), and its address and last
    change when the sitemap lists it (PageMeta.listed), without making its head."""
    listed = (absolute(config, page.dest_path), page_lastmod(page.context)) if page.kind not in UNLISTED else None
    return page.kind in INDEXED, listed


def make_page_meta(page, config: Config, data, crumbs: dict | None, organisation: dict | None,
                   locale_alternates: tuple[str, ...], image: dict | None, province: str | None = None) -> PageMeta:
    """Metadata of one page; `crumbs` is its BreadcrumbList (see make_breadcrumbs); `province` names the area."""
    canonical = absolute(config, page.dest_path)
    lang = data.lang
    context = page.context
    item = context.get("item")
    graph = [organisation] if organisation else []
    publisher = {"@id": organisation["@id"]} if organisation else None
    if page.kind == "home":
        graph.append(_drop_none({"@type": "WebSite", "name": lang.title, "description": lang.description,
                                 "url": canonical, "inLanguage": lang.code, "publisher": publisher}))
    elif page.kind == "indicator":
        graph.append(make_dataset(context["dataset"], config, lang, canonical + "#dataset", canonical, publisher,
                                  province))
    elif page.kind == "catalogue":
        graph.append(_drop_none({
            "@type": "DataCatalog", "name": page.title, "url": canonical, "inLanguage": lang.code,
            "license": config.licence_url, "publisher": publisher,
            "dataset": [make_dataset(d, config, lang, f"{canonical}#dataset-{d.name}", f"{canonical}#dataset-{d.name}",
                                     publisher, province)
                        for d in context["datasets"]],
        }))
    elif isinstance(item, Announcement):
        graph.append(make_article(item, config, canonical, publisher))
    elif page.kind not in UNLISTED:
        graph.append({"@type": "CollectionPage" if page.kind.endswith("list") or page.kind == "indicators" else "WebPage",
                      "name": page.title, "url": canonical, "inLanguage": lang.code})
    lastmod = page_lastmod(context)
    if crumbs and page.kind not in UNLISTED:
        graph.append(crumbs)
    return PageMeta(
        canonical=canonical,
        og_type="article" if isinstance(item, Announcement) else "website",
        locale=og_locale(lang),
        locale_alternates=locale_alternates,
        json_ld=_script_json({"@context": SCHEMA, "@graph": graph}) if page.kind != "not_found" else "",
        lastmod=lastmod,
        robots="noindex" if page.kind in UNLISTED else None,
        image=image,
        published=item.moment.isoformat() if isinstance(item, Announcement) else None,
        search=make_search_fields(page, data.fmt, lastmod),
    )


def make_dataset(dataset: Dataset, config: Config, lang: Language, node_id: str, url: str, publisher,
                 province: str | None = None) -> dict:
    """A schema.org Dataset with its CSV and JSON downloads."""
    paths = dataset_paths(dataset.name)
    node = {
        "@type": "Dataset", "@id": node_id, "name": dataset.titles.get(lang.code, dataset.name),
        "description": dataset.descriptions.get(lang.code) or dataset.titles.get(lang.code, dataset.name),
        "url": url, "inLanguage": lang.code, "license": config.licence_url, "isAccessibleForFree": True,
        "creator": publisher, "publisher": publisher,
        "citation": [s.get(lang.code) or s.get("") for s in dataset.sources] or None,
        "keywords": list((dataset.indicator or {}).get("tags", [])) or None,
        "variableMeasured": [_drop_none({
            "@type": "PropertyValue", "name": f.titles.get(lang.code, f.name),
            "description": f.descriptions.get(lang.code) or None,
            "unitText": (f.unit if isinstance(f.unit, str) else (f.unit or {}).get(lang.code)) or None,
        }) for f in dataset.fields],
        "temporalCoverage": temporal_coverage(dataset),
        "spatialCoverage": {"@type": "Place", "name": province} if province else None,
        "dateModified": dataset.as_of.isoformat() if dataset.as_of else None,
        "distribution": [{"@type": "DataDownload", "encodingFormat": media, "contentUrl": absolute(config, paths[ext])}
                         for ext, media in MEDIA_TYPES.items()],
    }
    return _drop_none(node)


def make_article(item: Announcement, config: Config, canonical: str, publisher) -> dict:
    """A schema.org NewsArticle for one announcement."""
    author = {"@type": "Organization", "name": item.author} if item.author else publisher
    return _drop_none({
        "@type": "NewsArticle", "headline": item.title, "description": item.summary, "url": canonical,
        "mainEntityOfPage": canonical, "inLanguage": item.lang, "datePublished": item.moment.isoformat(),
        "author": author, "publisher": publisher, "keywords": list(item.tags) or None,
        "image": absolute(config, f"images/{item.image}") if item.image else None,
    })


def make_breadcrumbs(key: str, titles: dict, config: Config) -> dict | None:
    """A BreadcrumbList from the home page down to this page, through the pages that exist."""
    if key == "home" or "home" not in titles:
        return None
    parts = key.split("/")
    trail = ["home"] + ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    trail = [k for k in dict.fromkeys(trail) if k in titles]
    return {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": n, "name": titles[k][0], "item": absolute(config, titles[k][1])}
        for n, k in enumerate(trail, start=1)]}


def temporal_coverage(dataset: Dataset) -> str | None:
    """The period the rows cover, as an ISO 8601 date or interval."""
    return dataset.period


def page_lastmod(context: dict) -> dt.date | None:
    """The latest content or data date among what a page shows."""
    dates = []

    def collect(value, depth=0):
        if isinstance(value, Announcement):
            dates.append(value.date)
        elif isinstance(value, Indicator):
            collect(value.dataset, depth)
        elif isinstance(value, Dataset):
            if value.as_of:
                dates.append(value.as_of)
        elif isinstance(value, (list, tuple)) and depth < 2:
            for element in value:
                collect(element, depth + 1)

    for key in ("item", "indicator", "dataset", "news", "indicators", "datasets"):
        collect(context.get(key))
    return max(dates) if dates else None


def search_types(fmt) -> dict[str, str]:
    """The `type` filter value of each indexed page kind, in the page's language."""
    _ = fmt.gettext
    return {"indicator": _("Indicator"), "announcement": _("News"), "catalogue": _("Open data")}


def make_search_fields(page, fmt, when: dt.date | None) -> dict:
    """Pagefind filters (type, year), sort key and metadata for the pages the search indexes (`when`: its page_lastmod)."""
    if page.kind not in INDEXED:
        return {}
    fields = {"filters": {"type": search_types(fmt)[page.kind]}, "sort": {}, "meta": {}}
    if page.kind != "catalogue" and when:
        fields["filters"]["year"] = str(when.year)
        fields["sort"]["date"] = when.isoformat()
        fields["meta"]["shown_date"] = fmt.date(when)
    return fields


def make_og_image(svg: str, title: str, lang: Language, alt: str, path: str, config: Config) -> tuple[bytes, dict]:
    """A PNG preview of a chart for link previews, 1200 pixels wide at about 1.91:1, and its head description.

    The chart's own SVG is framed with its title and drawn to PNG: no second chart rendering.
    """
    width, height = (float(v) for v in re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg).groups())
    pad, title_size = 24, 22
    content_w, content_h = width + 2 * pad, height + 2 * pad + title_size * 2
    canvas_w = round(max(content_w, content_h * OG_RATIO), 1)  # as written into the SVG
    canvas_h = canvas_w / OG_RATIO
    left = (canvas_w - width) / 2
    top = (canvas_h - content_h) / 2 + pad
    rtl = lang.direction == "rtl"
    anchor = 'text-anchor="end" direction="rtl"' if rtl else 'text-anchor="start"'
    heading = (f'<text x="{(left + width) if rtl else left:.1f}" y="{top + title_size:.1f}" font-family="{escape(FONT, QUOTE)}" '
               f'font-size="{title_size}" font-weight="700" fill="{TEXT_COLOUR}" {anchor}>{escape(title)}</text>')
    # Not clipped to its box (see chart_images.frame_chart): the same image, drawn in half the time.
    chart = re.sub(r"^\s*(<\?xml[^>]*>\s*)?<svg ", f'<svg x="{left:.1f}" y="{top + title_size * 2:.1f}" overflow="visible" ',
                   svg, count=1)
    framed = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{canvas_w:.1f}" height="{canvas_h:.1f}" '
              f'viewBox="0 0 {canvas_w:.1f} {canvas_h:.1f}"><rect width="100%" height="100%" fill="#ffffff"/>'
              f"{heading}{chart}</svg>")
    # A quarter pixel over: the renderer rounds the size down, and 1200 / w * w can fall just short.
    png = _png(framed, (OG_WIDTH + 0.25) / canvas_w)
    size = _png_size(png)
    return png, {"url": absolute(config, path), "width": size[0], "height": size[1], "alt": alt, "type": "image/png"}


def _png(svg: str, scale: float) -> bytes:
    return smaller_png(svg_to_png(svg, scale))


def smaller_png(png: bytes) -> bytes:
    """The same image with its pixels compressed harder (vl-convert favours speed): about a third of the size."""
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        chunks.append((png[at + 4:at + 8], png[at + 8:at + 8 + length]))
        at += 12 + length
    # Level 6: within 1 % of level 9 on these flat charts, at a quarter of the time.
    pixels = zlib.compress(zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT")), 6)
    out = [png[:8]]
    for kind, data in chunks:
        if kind == b"IDAT":
            if pixels is None:
                continue
            data, pixels = pixels, None
        out.append(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))
    return b"".join(out)


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def province_name(datasets, code: str) -> str | None:
    """The province's name from the units table (a dataset with `code` and `name` columns)."""
    for dataset in datasets:  # first from the units the datasets' rows name, which need no rows read
        unit = dataset.units.get(code)
        if unit and unit["names"].get(""):
            return str(unit["names"][""])
    for dataset in datasets:
        names = {f.name for f in dataset.fields}
        if {"code", "name"} <= names and not dataset.frame.empty:
            rows = dataset.frame[dataset.frame["code"].astype(str) == code]
            if len(rows):
                return str(rows.iloc[0]["name"])
    return None


def _drop_none(node: dict) -> dict:
    return {k: v for k, v in node.items() if v is not None}


def _script_json(document) -> str:
    """JSON for a <script type="application/ld+json"> block: "<" can never close the element."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def make_chart_og_image(chart, fmt, config: Config) -> tuple[bytes, dict]:
    """An indicator chart's preview image (written to chart.dest_path("og", "png")) and its head description."""
    _ = fmt.gettext
    return make_og_image(chart.svgs["wide"], chart.title, fmt.lang, _("Chart: %(title)s") % {"title": chart.title},
                         chart.dest_path("og", "png"), config)
