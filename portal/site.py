"""The build: load config, data and content, make charts, render pages, then write atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


from . import cache
from .cache import open_cache
from .config import PORTAL_TZ, Config, load_config
from .errors import BuildError, Problem
from .content import Announcement, load_announcements, load_images
from .data import Dataset, load_datasets
from .i18n import Formatter, check_catalogues, load_translations
from .indicators import Indicator, make_indicator
from .feed import make_feed
from .news import Publishing, make_names, make_news_pages, make_published, make_related
from .render import (TEMPLATES_DIR, SiteData, feed_path, make_environment, make_pages, make_untranslated_page,
                     page_path, render_page)
from .chart_files import place_charts
from .charts import prepare_measure_fonts
from .workers import early_pool, map_ordered
from .write import Staging, check_output
from .metadata import make_metas
from .release import load_package, make_release, make_tables, release_paths
from .search import SEARCH_INPUT, make_search_headers, page_csp, search_part, write_search_index
from .sitemap import ROBOTS, SITEMAP, make_robots, make_sitemap
from .embed import EMBED_KIND, make_embed_headers, make_embed_pages
from .catalog import make_catalog
from .api import make_api, make_dataset_feeds

ASSETS_DIR = Path("templates") / "assets"
# Names a file that receives the timings and peak memory of each build (see bench/compare.py).
STATS_ENV = "P06_BUILD_STATS"
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


def load_inputs(root: Path, base_url: str | None = None, clock: str | None = None, strict: bool = False,
                jobs: int = 1) -> Inputs:
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
                                    urlsplit(config.base_url).hostname, backlinks, jobs))
    if strict and warnings:
        raise BuildError([dataclasses.replace(w, severity="error", message=f"{w.message} [--strict]") for w in warnings])
    return Inputs(config, datasets, news, tuple(warnings), moment, load_images(root, news))


def build_site(root: Path, output: Path, base_url: str | None = None, progress=None,
               clock: str | None = None, strict: bool = False, drafts: bool = False, future: bool = False,
               jobs: int = 1) -> Summary:
    """Build the whole site from `root` into `output`; nothing is replaced unless every step succeeds.

    `drafts` and `future` also publish drafts and announcements scheduled after the clock; `jobs`
    is how many processes share the slow steps (the output is the same for any number).
    """
    started = time.perf_counter()
    check_output(output, root)
    open_cache(root)
    # The chart workers are forked before the announcements are read, so each stays small.
    with early_pool(jobs) as chart_pool:
        if chart_pool is not None:
            chart_pool.apply_async(prepare_measure_fonts)  # a few seconds the first time, overlapping the reading
        inputs = load_inputs(root, base_url, clock, strict, jobs)
        loaded = time.perf_counter()
        publishing = Publishing(inputs.clock, drafts, future)
        # What the site now in `output` was made from: unchanged files are linked from it, not rewritten.
        manifest_key = cache.current.key("output", str(output.resolve()))
        with Staging(output, cache.current.get_object(manifest_key)) as staging:
            pages, chart_count, searchable = make_site(root, inputs, progress or _no_progress, publishing, staging,
                                                       jobs, chart_pool)
            made, made_peak = time.perf_counter(), _peak_mib()
            staging.swap(before_swap=lambda _folder: write_search_index(staging, searchable))
            cache.current.put_object(manifest_key, staging.manifest)
    cache.current.prune()
    finished = time.perf_counter()
    _write_stats({"load_seconds": loaded - started, "make_seconds": made - loaded,
                  "search_and_swap_seconds": finished - made, "portal_peak_mib": made_peak,
                  "search_peak_mib": _peak_mib(children_only=True)})
    return Summary(pages, chart_count, len(inputs.datasets), finished - started, inputs.warnings)


def _peak_mib(children_only: bool = False) -> float:
    """Peak resident memory so far of this process and its workers (or of its children alone), in MiB."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    own = 0 if children_only else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, children) / 1024


def _write_stats(stats: dict) -> None:
    """For the benchmark: where the time and memory of a build went, in the file STATS_ENV names."""
    path = os.environ.get(STATS_ENV)
    if path:
        Path(path).write_text(json.dumps(stats, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _no_progress(items, label, length=None):
    return items


def make_site(root: Path, inputs: Inputs, progress, publishing: Publishing, staging: Staging,
              jobs: int = 1, chart_pool=None) -> tuple[int, int, dict]:
    """Make every output file into `staging`; return the page and chart counts, and the searchable pages by bundle.

    Charts (on `chart_pool`'s workers when given), then pages, are made on `jobs` processes; pages
    come from the cache when nothing they show has changed.
    """
    config = inputs.config
    published = make_published(inputs.news, publishing)
    files: dict[str, bytes] = {"_headers": HEADERS.encode()}
    package = load_package(root)
    indicator_sets = [d for d in inputs.datasets if d.indicator]

    per_language = []
    memo: dict = {}
    for lang in config.languages:
        translations = load_translations(lang, root)
        _ = translations.gettext
        fmt = Formatter(lang)
        indicators = tuple(_make_indicator(d, config, fmt, translations, memo) for d in indicator_sets)
        news = tuple(a for a in published if a.lang == lang.code)
        data = SiteData(lang, fmt, indicators, inputs.datasets, news, _, config.province_code,
                        make_related(indicators, news))
        per_language.append((lang, translations, data, make_pages(config, data, _) + make_news_pages(data, _)
                             + make_embed_pages(data)))  # issue 20: a bare page per chart, for other sites to frame
        files[feed_path(lang)] = make_feed(config, data)
    for name in sorted({name for item in published for name in item.images}):
        files[f"images/{name}"] = inputs.images[name]

    bundle, chart_files, og_images = place_charts(config, [(lang, d, translations) for lang, translations, _d, _p
                                                           in per_language for d in indicator_sets], staging, progress,
                                                  jobs, chart_pool)
    if chart_pool is not None:
        chart_pool.terminate()  # the pages need none of its memory, and are made by fresh workers
    assets = make_assets(root, files, bundle)
    # Written at once: the open-data files are not held in memory while the pages are made.
    release = _release(root, package, inputs.datasets, config, {lg.code: t.gettext for lg, t, _d, _p in per_language})
    _write_files(staging, release)
    # Issue 20: the DCAT-AP catalogue of those downloads, for open-data portals to harvest.
    _write_files(staging, make_catalog(config, package, inputs.datasets, release))
    del release
    # Issue 20: the static API (values by indicator and by unit) and an Atom feed per dataset.
    _write_files(staging, _remembered("api", root, (package, inputs.datasets, config, [(lg, t) for lg, t, _d, _p in per_language]),
                                      lambda: make_api(config, package, inputs.datasets)
                                      | make_dataset_feeds(config, [(lg, d) for lg, _t, d, _p in per_language])))
    metas = make_metas(config, per_language, og_images, package)

    alternates: dict[str, dict[str, str]] = {}
    for lang, _t, _d, pages in per_language:
        for page in pages:
            alternates.setdefault(page.key, {})[lang.code] = page.dest_path
    jobs_list = [(lang, data, page) for lang, _t, data, pages in per_language for page in pages]
    # An announcement missing in a language gets a page there that says so and links the versions
    # that exist, so the language switcher never leads to a missing page.
    kinds = {page.key: page.kind for _l, _t, _d, pages in per_language for page in pages}
    for lang, translations, data, _pages in per_language:
        for key, versions in sorted(alternates.items()):
            if kinds[key] == "announcement" and lang.code not in versions:
                stand_in = make_untranslated_page(lang, key, versions, translations.gettext)
                jobs_list.append((lang, data, stand_in))
    for key, versions in alternates.items():
        if key.startswith("news/"):
            if kinds[key] == "announcement":
                for lang in config.languages:
                    versions.setdefault(lang.code, page_path(lang, key))
            # Tags and years exist in some languages only: the switcher then leads to that
            # language's news list.
            for code, path in alternates["news"].items():
                versions.setdefault(code, path)
    envs = {lang.code: make_environment(root, translations) for lang, translations, _d, _p in per_language}
    for env in envs.values():
        # Compiled before the workers fork, so each of them need not compile the templates again.
        for kind in sorted({page.kind for _l, _d, page in jobs_list}):
            env.get_template(f"{kind}.html")
    renderer = PageRenderer(root, config, envs, {lg.code: t for lg, t, _d, _p in per_language}, assets,
                            chart_files, metas, alternates, release_paths(package["name"]), staging)
    searchable: dict[str, list[tuple[str, str]]] = {}
    for (lang, _d, page), (entry, search_key) in zip(jobs_list, progress(map_ordered(renderer, jobs_list, jobs), "Pages",
                                                                         len(jobs_list))):
        staging.manifest[page.dest_path] = entry  # a worker records into its own copy of `staging`
        if search_key is not None:
            searchable.setdefault(f"{lang.code}/{search_part(page)}", []).append((page.dest_path, search_key))
    files[SITEMAP] = make_sitemap(config, per_language, metas)
    files[ROBOTS] = make_robots(config)
    search_pages = [page.dest_path for _l, _t, _d, pages in per_language for page in pages if page.kind == "search"]
    files["_headers"] += make_search_headers(search_pages, CSP).encode()
    # Issue 20: embed pages (and only they) may be framed by other sites.
    files["_headers"] += make_embed_headers([p.dest_path for *_x, ps in per_language for p in ps if p.kind == EMBED_KIND],
                                            CSP).encode()
    _write_files(staging, files)
    return len(jobs_list), sum(len(c) for c in chart_files.values()), searchable


def _write_files(staging: Staging, files: dict[str, bytes]) -> None:
    """Put `files` into `staging`, linking each one whose content the current site already has."""
    for name in sorted(files):
        digest = "sha256:" + hashlib.sha256(files[name]).hexdigest()
        if not staging.reuse(name, digest):
            staging.write(name, files[name], digest)


def _make_indicator(dataset: Dataset, config: Config, fmt: Formatter, translations, memo: dict):
    """make_indicator, from the cache when neither the dataset nor the language's texts changed."""
    try:
        key = cache.current.key("indicator", cache.fingerprint((dataset, fmt, translations), memo, config.root),
                                config.province_code)
    except TypeError:
        key = None
    def make():
        made = make_indicator(dataset, config.province_code, fmt, translations.gettext)
        return made.slug, made.title, made.headline, made.summary  # the dataset itself is not stored again

    slug, title, headline, summary = cache.current.remember(key, make, tuple)
    return Indicator(slug, dataset, title, headline, summary)


class PageRenderer:
    """Renders one page into the staging folder, or copies it from the cache when its inputs are unchanged.

    A page's cache key is a fingerprint of everything its template receives, plus the templates
    and translation catalogues themselves.
    """

    def __init__(self, root: Path, config: Config, envs: dict, translations: dict, assets: dict,
                 charts: dict, metas: dict, alternates: dict, release: dict, staging: Staging):
        self.root, self.config, self.envs, self.assets, self.charts = root, config, envs, assets, charts
        self.metas, self.alternates, self.release, self.staging = metas, alternates, release, staging
        self.catalogues = {code: getattr(t, "fingerprint", "none") for code, t in translations.items()}
        self.templates = _folder_digest(root / TEMPLATES_DIR)
        self.memo: dict = {}

    def __call__(self, job) -> tuple[tuple, str | None]:
        """Make one page; return its manifest entry and, for an indexed page, what it was made from."""
        lang, data, page = job
        extra = {"release": self.release}
        if (lang.code, page.key) in self.metas and page.kind != "untranslated":
            extra["meta"] = self.metas[(lang.code, page.key)]
        alternates, charts, csp = self.alternates[page.key], self.charts[lang.code], page_csp(page, CSP)
        try:
            parts = [cache.fingerprint(value, self.memo, self.root) for value in
                     (page, self.config, data.lang, data.fmt, alternates, self.assets, charts, csp, extra)]
            key = cache.current.key("page", self.templates, self.catalogues[lang.code], *parts)
        except TypeError:
            key = None  # something the fingerprint cannot follow: always render
        if not self.staging.reuse(page.dest_path, key):
            html = cache.current.remember(key, lambda: render_page(
                self.envs[lang.code], page, self.config, data, alternates, self.assets, charts, csp=csp, extra=extra,
            ).encode("utf-8"), bytes)
            self.staging.write(page.dest_path, html, key or "sha256:" + hashlib.sha256(html).hexdigest())
        entry = self.staging.manifest[page.dest_path]
        if extra.get("meta") is not None and extra["meta"].search:
            self.staging.link(page.dest_path, f"{SEARCH_INPUT}/{lang.code}/{search_part(page)}")
            return entry, entry[0]
        return entry, None


def _release(root: Path, package: dict, datasets, config: Config, gettexts: dict) -> dict[str, bytes]:
    """The open-data files, from the cache when no dataset, setting or catalogue changed."""
    try:
        key = cache.current.key("release", cache.fingerprint((package, datasets, config, gettexts), {}, root))
    except TypeError:
        key = None
    memo: dict = {}

    def tables(dataset: Dataset, names: tuple) -> tuple[bytes, ...]:
        # One changed CSV remakes its own downloads; the others come from the cache.
        try:
            table_key = cache.current.key("release-tables", cache.fingerprint((dataset, names), memo, root))
        except TypeError:
            table_key = None
        return cache.current.remember(table_key, lambda: make_tables(dataset, names), tuple)

    return cache.current.remember(key, lambda: make_release(package, datasets, config, gettexts, tables), dict)


def _remembered(kind: str, root: Path, inputs, make) -> dict[str, bytes]:
    """make()'s files, from the cache when nothing reachable from `inputs` changed."""
    try:
        key = cache.current.key(kind, cache.fingerprint(inputs, {}, root))
    except TypeError:
        key = None
    return cache.current.remember(key, make, dict)


def _folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def make_assets(root: Path, files: dict[str, bytes], bundle: bytes) -> dict[str, str]:
    """Fingerprint the stylesheet, the scripts and the Vega `bundle`; return name -> path."""
    sources = {path.name: path.read_bytes() for path in sorted((root / ASSETS_DIR).glob("*")) if path.is_file()}
    sources["vega.js"] = bundle
    assets = {}
    for name, content in sources.items():
        stem, _dot, ext = name.rpartition(".")
        digest = hashlib.sha256(content).hexdigest()[:10]
        path = f"assets/{stem}.{digest}.{ext}"
        files[path] = content
        assets[name] = path
    return assets
