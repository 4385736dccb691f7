"""Chart files: each indicator chart's SVGs, specs and preview image, put into the new site.

A chart is made once per language by a worker (vl-convert is slow), its files are written as soon
as it arrives, and only a small description of them stays in memory for the pages. When nothing a
chart depends on has changed, its files are linked from the current site and only that
description is read from the cache.
"""

from __future__ import annotations

import functools
import hashlib
import re
from functools import partial

from . import cache, fonts
from . import charts as charts_mod
from .config import Config, Language
from .i18n import Formatter, load_translations
from .metadata import make_chart_og_image
from .workers import map_ordered
from .write import Staging

VEGA_BUNDLE_KEY = "vega-bundle"


def place_charts(config: Config, chart_jobs: list, staging: Staging, progress, jobs: int,
                 pool=None) -> tuple[bytes, dict, dict]:
    """Put the files of every chart job (language, dataset, translations) into `staging`.

    Charts to make go to `pool`'s workers when there is one. Return the Vega bundle, each chart's
    files by language and slug, and each indicator page's preview image by (language, page key).
    """
    chart_files: dict[str, dict] = {lang.code: {} for lang in config.languages}
    og_images: dict[tuple[str, str], dict] = {}

    def take(info: tuple) -> None:
        lang, slug, files, og_info = info
        chart_files[lang][slug] = files
        og_images[(lang, f"indicators/{slug}")] = og_info

    bundle = vega_bundle_cached()
    to_make = [] if bundle is not None else [(None, None)]
    settings = _settings_digest(config)
    for job in chart_jobs:
        key = chart_key(config, job, settings)
        info = cache.current.get_object(cache.current.key("chart-info", key)) if key else None
        if isinstance(info, tuple) and all(staging.reuse(name, key) for name in info[-1]):
            take(info[:-1])
        else:
            lang, dataset, _translations = job
            to_make.append(((lang, dataset), key))  # a worker reads the catalogue itself
    # Only the charts to make go to workers, always at least one: this process never starts
    # vl-convert itself, so it can still fork the page workers afterwards.
    results = map_ordered(partial(make_chart, config), to_make, jobs, min_items=1, pool=pool)
    for (_job, key), result in zip(to_make, progress(results, "Charts", len(to_make))):
        if isinstance(result, bytes):
            bundle = result
            continue
        chart, spec_texts, og_png, og_info = result
        outputs = _chart_outputs(chart, spec_texts, og_png)
        for name, content in outputs.items():
            staging.write(name, content, key or "sha256:" + hashlib.sha256(content).hexdigest())
        info = (chart.lang, chart.slug, _chart_info(chart), og_info)
        if key:
            cache.current.put_object(cache.current.key("chart-info", key), (*info, tuple(outputs)))
        take(info)
    return bundle, chart_files, og_images


def chart_key(config: Config, job, settings: str | None) -> str | None:
    """The cache key of a chart job: everything its files depend on, `settings` being
    _settings_digest(config) (None: not cacheable)."""
    lang, dataset, translations = job
    described = charts_mod.chart_key(dataset, config.province_code, Formatter(lang), translations.gettext)
    return cache.current.key("chart", described, settings) if described and settings else None


def _settings_digest(config: Config) -> str | None:
    try:
        settings = cache.fingerprint(config, {}, config.root)
    except TypeError:
        return None
    # The fonts are an input too: another font installed or updated makes every chart again.
    return f"{settings};fonts={fonts.fingerprint(charts_mod.MEASURE_FONTS)}"


def make_chart(config: Config, job_and_key: tuple):
    """One indicator chart, for job (language, dataset), with its preview image, stored under its
    cache key; for job None, the Vega bundle."""
    job, key = job_and_key
    if job is None:
        return vega_bundle()
    lang, dataset = job
    _ = _translations(lang).gettext

    def make():
        chart = charts_mod.render_chart(dataset, config.province_code, Formatter(lang), _)
        og_png, og_info = make_chart_og_image(chart, lang, _, config)
        return chart, {size: charts_mod.spec_json(spec) for size, spec in chart.specs.items()}, og_png, og_info

    # Everything one chart gives the site in one entry, for a build whose current site lacks its files.
    return cache.current.remember(key, make, tuple)


@functools.lru_cache(maxsize=None)
def _translations(lang: Language):
    return load_translations(lang)


def vega_bundle_cached() -> bytes | None:
    """The Vega bundle from the cache, or None."""
    return cache.current.get(cache.current.key(VEGA_BUNDLE_KEY))


@functools.lru_cache(maxsize=1)
def vega_bundle() -> bytes:
    """Vega, Vega-Lite and vega-embed from the installed vl-convert: no third-party host is ever involved."""
    bundle = vega_bundle_cached()
    if bundle is None:
        bundle = charts_mod.convert("javascript_bundle").encode("utf-8")
        cache.current.put(cache.current.key(VEGA_BUNDLE_KEY), bundle)
    return bundle


def _chart_outputs(chart, spec_texts: dict[str, str], og_png: bytes) -> dict[str, bytes]:
    outputs = {}
    for size, svg in chart.svgs.items():
        outputs[chart.dest_path(size, "svg")] = svg.encode("utf-8")
        outputs[chart.dest_path(size, "vl.json")] = (spec_texts[size] + "\n").encode("utf-8")
    outputs[chart.dest_path("og", "png")] = og_png
    return outputs


def _chart_info(chart) -> dict:
    """What the pages need to know of a chart's files: paths and sizes."""
    info = {"media": charts_mod.WIDE_MEDIA, "files": {}}
    for size, svg in chart.svgs.items():
        width, height = _svg_size(svg)
        info["files"][size] = {"svg": chart.dest_path(size, "svg"), "spec": chart.dest_path(size, "vl.json"),
                               "width": width, "height": height}
    return info


def _svg_size(svg: str) -> tuple[int, int]:
    match = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    return (round(float(match.group(1))), round(float(match.group(2)))) if match else (640, 400)
