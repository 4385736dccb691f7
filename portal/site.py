"""The build: load config, data and content, make charts, render pages, then write atomically."""

from __future__ import annotations

import csv
import dataclasses
import functools
import datetime as dt
import hashlib
import os
import io
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import vl_convert as vlc

from . import charts as charts_mod
from .config import Config, load_config
from .errors import BuildError, Problem
from .content import Announcement, load_announcements
from .data import Dataset, load_datasets
from .i18n import Formatter, load_translations
from .indicators import make_indicator
from .render import SiteData, make_environment, make_pages, render_page
from .write import check_output, write_site

ASSETS_DIR = Path("templates") / "assets"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")
# For hosts that read a _headers file: the same policy as the pages' meta tag, plus what a meta
# tag cannot say; fingerprinted assets never change, so browsers may keep them for a year.
HEADERS = (f"/*\n  Content-Security-Policy: {CSP}; frame-ancestors 'none'\n  X-Content-Type-Options: nosniff\n"
           "  Referrer-Policy: no-referrer\n/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The province's time zone decides what "today" and "the future" mean for dates in the data.
PORTAL_TZ = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Inputs:
    """Everything read from disk and checked, before anything is made."""

    config: Config
    datasets: tuple[Dataset, ...]
    news: tuple[Announcement, ...]
    warnings: tuple[Problem, ...] = ()


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
    today = parse_clock(clock).astimezone(PORTAL_TZ).date()
    config = load_config(root, base_url)
    warnings: list[Problem] = []
    datasets = tuple(load_datasets(root, today, warnings))
    news = tuple(load_announcements(root, tuple(lang.code for lang in config.languages)))
    if strict and warnings:
        raise BuildError([dataclasses.replace(w, severity="error", message=f"{w.message} [--strict]") for w in warnings])
    return Inputs(config, datasets, news, tuple(warnings))


def build_site(root: Path, output: Path, base_url: str | None = None, progress=None,
               clock: str | None = None, strict: bool = False) -> Summary:
    """Build the whole site from `root` into `output`; nothing is written unless every step succeeds."""
    started = time.perf_counter()
    check_output(output, root)
    inputs = load_inputs(root, base_url, clock, strict)
    files, pages, chart_count = make_site(root, inputs, progress or (lambda items, label: items))
    write_site(files, output)
    return Summary(pages, chart_count, len(inputs.datasets), time.perf_counter() - started, inputs.warnings)


def make_site(root: Path, inputs: Inputs, progress) -> tuple[dict[str, bytes], int, int]:
    """Make every output file in memory: {path: bytes}, plus page and chart counts."""
    config = inputs.config
    files: dict[str, bytes] = {}
    assets = make_assets(root, files)
    files["_headers"] = HEADERS.encode()
    files.update(make_downloads(root, inputs.datasets))
    indicator_sets = [d for d in inputs.datasets if d.indicator]

    per_language = []
    for lang in config.languages:
        translations = load_translations(lang, root)
        _ = translations.gettext
        fmt = Formatter(lang)
        indicators = tuple(make_indicator(d, config.province_code, fmt, _) for d in indicator_sets)
        news = tuple(a for a in inputs.news if a.lang == lang.code and not a.draft)
        data = SiteData(lang, fmt, indicators, inputs.datasets, news, _)
        per_language.append((lang, translations, data, make_pages(config, data, _)))

    chart_jobs = [(data, d, translations) for _l, translations, data, _p in per_language for d in indicator_sets]
    chart_files: dict[tuple[str, str], dict] = {}
    for data, dataset, translations in progress(chart_jobs, "Charts"):
        chart = charts_mod.render_chart(dataset, config.province_code, data.fmt, translations.gettext)
        chart_files[(data.lang.code, chart.slug)] = _store_chart(chart, files)

    alternates: dict[str, dict[str, str]] = {}
    for lang, _t, _d, pages in per_language:
        for page in pages:
            alternates.setdefault(page.key, {})[lang.code] = page.dest_path
    page_count = 0
    jobs = [(lang, translations, data, page) for lang, translations, data, pages in per_language for page in pages]
    envs = {lang.code: make_environment(root, translations) for lang, translations, _d, _p in per_language}
    for lang, translations, data, page in progress(jobs, "Pages"):
        charts = {slug: info for (code, slug), info in chart_files.items() if code == lang.code}
        html = render_page(envs[lang.code], page, config, data, alternates[page.key], assets, charts, csp=CSP)
        files[page.dest_path] = html.encode("utf-8")
        page_count += 1
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
    return vlc.javascript_bundle().encode("utf-8")


def make_downloads(root: Path, datasets) -> dict[str, bytes]:
    """CSV and JSON of every dataset, and the data package that describes them."""
    files = {}
    package = json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))
    by_name = {d.name: d for d in datasets}
    for dataset in datasets:
        names = [f.name for f in dataset.fields]
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        records = dataset.records()
        for row in records:
            writer.writerow([_csv_cell(row[n]) for n in names])
        files[f"data/{dataset.name}.csv"] = buffer.getvalue().encode("utf-8")
        document = {
            "name": dataset.name,
            "titles": dataset.titles,
            "sources": [source.get("en") or source[""] for source in dataset.sources],
            "licence": dataset.licence,
            "as_of": dataset.as_of.isoformat() if dataset.as_of else None,
            "fields": [{"name": f.name, "type": f.type, "titles": f.titles, "unit": f.unit} for f in dataset.fields],
            "data": records,
        }
        files[f"data/{dataset.name}.json"] = (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()
    for resource in package["resources"]:
        published = files[f"data/{resource['name']}.csv"]
        dataset = by_name[resource["name"]]
        # Standard Frictionless properties next to the portal's own, so generic tools can read it.
        resource.update({
            "title": dataset.titles.get("en", dataset.name),
            "description": dataset.descriptions.get("en", ""),
            "mediatype": "text/csv",
            "bytes": len(published),
            "hash": "sha256:" + hashlib.sha256(published).hexdigest(),
        })
        if dataset.as_of:
            resource["asOf"] = dataset.as_of.isoformat()
    package["title"] = package.get("titles", {}).get("en", package.get("name", ""))
    files["data/datapackage.json"] = (json.dumps(package, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()
    return files


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    # A leading sign or "=" would make a spreadsheet run the cell as a formula.
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


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
