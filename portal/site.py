"""The build: load config, data and content, make charts, render pages, then write atomically."""

from __future__ import annotations

import dataclasses
import functools
import datetime as dt
import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import vl_convert as vlc

from . import cache
from . import charts as charts_mod
from .cache import open_cache
from .config import PORTAL_TZ, Config, load_config
from .errors import BuildError, Problem
from .content import Announcement, load_announcements, load_images
from .data import Dataset, load_datasets
from .i18n import Formatter, check_catalogues, load_translations
from .indicators import make_indicator
from .feed import make_feed
from .news import Publishing, make_names, make_news_pages, make_published, make_related
from .render import (SiteData, feed_path, make_environment, make_pages, make_untranslated_page, page_path,
                     render_page)
from .write import check_output, write_site
from .metadata import make_metas, store_og_image
from .release import load_package, make_release, release_paths
from .search import make_search_headers, page_csp, write_search_index
from .sitemap import ROBOTS, SITEMAP, make_robots, make_sitemap

ASSETS_DIR = Path("templates") / "assets"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")
# For hosts that read a _headers file: the same policy as the pages' meta tag, plus what a meta
# tag cannot say; fingerprinted assets never change, so browsers may keep them for a year.
HEADERS = (f"/*\n  Content-Security-Policy: {CSP}; frame-ancestors 'none'\n  X-Content-Type-Options: nosniff\n"
           "  Referrer-Policy: no-referrer\n/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n")


@dataclass(frozen=True)
class Inputs:
    """Everything read from disk and checked, before anything is made."""

    config: Config
    datasets: tuple[Dataset, ...]
    news: tuple[Announcement, ...]  # every announcement, drafts and scheduled ones too
    warnings: tuple[Problem, ...] = ()
    clock: dt.datetime | None = None  # the moment the build speaks for
    images: dict = dataclasses.field(default_factory=dict)  # pictures of the announcements, by name


@dataclass(frozen=True)
class Summary:
    """What a build produced, for the closing line."""

    pages: int
    charts: int
    datasets: int
    seconds: float
    warnings: tuple[Problem, ...] = ()

    def line(self, output: Path) -> str:
        """The one-line report printed after a build."""
        return (f"Built {self.pages} pages, {self.charts} charts and {self.datasets} datasets "
                f"in {self.seconds:.1f} s into {output}")


def parse_clock(text: str | None) -> dt.datetime:
    """The moment the build speaks for: `text` (ISO 8601), else SOURCE_DATE_EPOCH, else now."""
    if text:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise BuildError.single("--clock", f"{text!r} is not a date-time such as 2024-02-01T00:00+07:00")
        return moment if moment.tzinfo else moment.replace(tzinfo=PORTAL_TZ)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def load_inputs(root: Path, base_url: str | None = None, clock: str | None = None, strict: bool = False) -> Inputs:
    """Read and validate config, data and content; raise BuildError listing problems.

    With `strict`, warnings count as errors.
    """
    moment = parse_clock(clock)
    today = moment.astimezone(PORTAL_TZ).date()
    config = load_config(root, base_url)
    warnings: list[Problem] = []
    datasets = tuple(load_datasets(root, today, warnings))
    warnings += check_catalogues(config.languages, root)
    # Footnote back-links carry a title, so Markdown needs it in each language.
    backlinks = {lang.code: load_translations(lang, root).gettext("Back to the text of note %(number)s")
                 for lang in config.languages}
    news = tuple(load_announcements(root, tuple(lang.code for lang in config.languages), make_names(datasets),
                                    urlsplit(config.base_url).hostname, backlinks))
    if strict and warnings:
        raise BuildError([dataclasses.replace(w, severity="error", message=f"{w.message} [--strict]") for w in warnings])
    return Inputs(config, datasets, news, tuple(warnings), moment, load_images(root, news))


def build_site(root: Path, output: Path, base_url: str | None = None, progress=None,
               clock: str | None = None, strict: bool = False, drafts: bool = False, future: bool = False) -> Summary:
    """Build the whole site from `root` into `output`; nothing is written unless every step succeeds.

    `drafts` and `future` also publish drafts and announcements scheduled after the clock.
    """
    started = time.perf_counter()
    check_output(output, root)
    open_cache(root)
    inputs = load_inputs(root, base_url, clock, strict)
    publishing = Publishing(inputs.clock, drafts, future)
    files, pages, chart_count = make_site(root, inputs, progress or (lambda items, label: items), publishing)
    write_site(files, output, before_swap=write_search_index)
    return Summary(pages, chart_count, len(inputs.datasets), time.perf_counter() - started, inputs.warnings)


def make_site(root: Path, inputs: Inputs, progress, publishing: Publishing | None = None) -> tuple[dict[str, bytes], int, int]:
    """Make every output file in memory: {path: bytes}, plus page and chart counts."""
    config = inputs.config
    published = make_published(inputs.news, publishing or Publishing(inputs.clock or parse_clock(None)))
    files: dict[str, bytes] = {}
    assets = make_assets(root, files)
    files["_headers"] = HEADERS.encode()
    package = load_package(root)
    indicator_sets = [d for d in inputs.datasets if d.indicator]

    per_language = []
    for lang in config.languages:
        translations = load_translations(lang, root)
        _ = translations.gettext
        fmt = Formatter(lang)
        indicators = tuple(make_indicator(d, config.province_code, fmt, _) for d in indicator_sets)
        news = tuple(a for a in published if a.lang == lang.code)
        data = SiteData(lang, fmt, indicators, inputs.datasets, news, _, config.province_code,
                        make_related(indicators, news))
        per_language.append((lang, translations, data, make_pages(config, data, _) + make_news_pages(data, _)))
        files[feed_path(lang)] = make_feed(config, data)
    for name in sorted({name for item in published for name in item.images}):
        files[f"images/{name}"] = inputs.images[name]

    chart_jobs = [(data, d, translations) for _l, translations, data, _p in per_language for d in indicator_sets]
    chart_files: dict[tuple[str, str], dict] = {}
    og_images: dict[tuple[str, str], dict] = {}
    for data, dataset, translations in progress(chart_jobs, "Charts"):
        chart = charts_mod.render_chart(dataset, config.province_code, data.fmt, translations.gettext)
        chart_files[(data.lang.code, chart.slug)] = _store_chart(chart, files)
        og_images[(data.lang.code, f"indicators/{chart.slug}")] = store_og_image(
            chart, data.lang, translations.gettext, config, files)
    files.update(make_release(package, inputs.datasets, config, {lg.code: t.gettext for lg, t, _d, _p in per_language}))
    metas = make_metas(config, per_language, og_images, package)

    alternates: dict[str, dict[str, str]] = {}
    for lang, _t, _d, pages in per_language:
        for page in pages:
            alternates.setdefault(page.key, {})[lang.code] = page.dest_path
    jobs = [(lang, translations, data, page) for lang, translations, data, pages in per_language for page in pages]
    # An announcement missing in a language gets a page there that says so and links the versions
    # that exist, so the language switcher never leads to a missing page.
    kinds = {page.key: page.kind for _l, _t, _d, pages in per_language for page in pages}
    for lang, translations, data, _pages in per_language:
        for key, versions in sorted(alternates.items()):
            if kinds[key] == "announcement" and lang.code not in versions:
                stand_in = make_untranslated_page(lang, key, versions, translations.gettext)
                jobs.append((lang, translations, data, stand_in))
    for key, versions in alternates.items():
        if key.startswith("news/"):
            if kinds[key] == "announcement":
                for lang in config.languages:
                    versions.setdefault(lang.code, page_path(lang, key))
            # Tags and years exist in some languages only: the switcher then leads to that
            # language's news list.
            for code, path in alternates["news"].items():
                versions.setdefault(code, path)
    page_count = 0
    envs = {lang.code: make_environment(root, translations) for lang, translations, _d, _p in per_language}
    for lang, translations, data, page in progress(jobs, "Pages"):
        charts = {slug: info for (code, slug), info in chart_files.items() if code == lang.code}
        extra = {"release": release_paths(package["name"])}
        if (lang.code, page.key) in metas and page.kind != "untranslated":
            extra["meta"] = metas[(lang.code, page.key)]
        html = render_page(envs[lang.code], page, config, data, alternates[page.key], assets, charts,
                           csp=page_csp(page, CSP), extra=extra)
        files[page.dest_path] = html.encode("utf-8")
        page_count += 1
    files[SITEMAP] = make_sitemap(config, per_language, metas)
    files[ROBOTS] = make_robots(config)
    search_pages = [page.dest_path for _l, _t, _d, pages in per_language for page in pages if page.kind == "search"]
    files["_headers"] += make_search_headers(search_pages, CSP).encode()
    return files, page_count, len(chart_files)


def make_assets(root: Path, files: dict[str, bytes]) -> dict[str, str]:
    """Fingerprint the stylesheet, the chart script and the Vega bundle; return name -> path."""
    sources = {path.name: path.read_bytes() for path in sorted((root / ASSETS_DIR).glob("*")) if path.is_file()}
    sources["vega.js"] = vega_bundle()
    assets = {}
    for name, content in sources.items():
        stem, _dot, ext = name.rpartition(".")
        digest = hashlib.sha256(content).hexdigest()[:10]
        path = f"assets/{stem}.{digest}.{ext}"
        files[path] = content
        assets[name] = path
    return assets


@functools.lru_cache(maxsize=1)
def vega_bundle() -> bytes:
    """Vega, Vega-Lite and vega-embed from the installed vl-convert: no third-party host is ever involved."""
    key = cache.current.key("vega-bundle")
    bundle = cache.current.get(key)
    if bundle is None:
        bundle = vlc.javascript_bundle().encode("utf-8")
        cache.current.put(key, bundle)
    return bundle


def _store_chart(chart, files: dict[str, bytes]) -> dict:
    info = {"media": charts_mod.WIDE_MEDIA, "files": {}}
    for size, svg in chart.svgs.items():
        svg_path = chart.dest_path(size, "svg")
        spec_path = chart.dest_path(size, "vl.json")
        files[svg_path] = svg.encode("utf-8")
        files[spec_path] = (charts_mod.spec_json(chart.specs[size]) + "\n").encode("utf-8")
        width, height = _svg_size(svg)
        info["files"][size] = {"svg": svg_path, "spec": spec_path, "width": width, "height": height}
    return info


def _svg_size(svg: str) -> tuple[int, int]:
    match = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    return (round(float(match.group(1))), round(float(match.group(2)))) if match else (640, 400)
