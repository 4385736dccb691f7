"""Charts stage: each indicator chart's SVGs, specs and preview image, put into the new site.

A chart is made once per language by a worker (vl-convert is slow), its files are written as soon
as it arrives, and only a small description of them stays in memory for the pages. When nothing a
chart depends on has changed, its files are linked from the current site and only that
description is read from the memo.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .. import charts as charts_mod
from .. import fonts
from ..config import Config, Language
from ..i18n import Formatter, load_translations
from ..chart_images import image_paths, make_chart_images
from ..metadata import make_chart_og_image
from ..write import Destination, Staging
from . import executor as executor_mod
from .memo import Cache, Memo

VEGA_BUNDLE_KEY = "vega-bundle"


@dataclass
class PlacedCharts:
    """What the pages need of the charts: the Vega bundle, each chart's files and each page's preview image."""

    bundle: bytes = b""
    files: dict = field(default_factory=dict)  # language code -> slug -> files (see _chart_info)
    og_images: dict = field(default_factory=dict)  # (language code, page key) -> image description

    def take(self, info: tuple) -> None:
        """Add one chart's description: (language code, slug, files, preview image)."""
        lang, slug, files, og_info = info
        self.files.setdefault(lang, {})[slug] = files
        self.og_images[(lang, f"indicators/{slug}")] = og_info


def start_charts(config: Config, editions, staging: Staging, memo: Memo, executor) -> "ChartWork":
    """Put the files of every unchanged indicator chart into `staging`, and start the early workers
    on the changed ones; ChartWork.place() waits for them."""
    work = ChartWork(PlacedCharts(files={edition.lang.code: {} for edition in editions}), staging, memo)
    placed = work.placed
    placed.bundle = memo.shared.get(memo.shared.key(VEGA_BUNDLE_KEY)) or b""
    to_make = [] if placed.bundle else [(None, None)]
    settings = memo.fingerprint(config)
    # The fonts are an input too: another font installed or updated makes every chart again.
    settings = f"{settings};fonts={fonts.fingerprint(charts_mod.MEASURE_FONTS)}" if settings else None
    for edition in editions:
        for indicator in edition.data.indicators:
            dataset = indicator.dataset
            if not indicator.views:
                continue  # a single figure gets no chart: its headline says more than one bar would
            described = memo.fingerprint(dataset, config.province_code, edition.lang, edition.translations)
            key = memo.key("chart", described, settings) if described and settings else None
            info = memo.get_object(memo.key("chart-info", key)) if key else None
            if isinstance(info, tuple) and all(staging.reuse(name, key) for name in info[-1]):
                placed.take(info[:-1])
            else:
                to_make.append(((edition.lang, dataset), key))  # a worker reads the catalogue itself
    # Only the charts to make go to workers, always at least one: this process never starts
    # vl-convert itself, so it can still fork the page workers afterwards.
    work.keys = [key for _job, key in to_make]
    work.results = executor.map_early(
        partial(make_chart, config, memo.folder, memo.shared.folder, staging.destination), to_make)
    return work


@dataclass
class ChartWork:
    """Charts being made by the early workers, while this process goes on with other steps."""

    placed: PlacedCharts
    staging: Staging
    memo: Memo
    keys: list = field(default_factory=list)  # the memo key of each chart being made, in order
    results: object = None  # their results, as the workers finish them

    def place(self, progress) -> PlacedCharts:
        """Wait for each chart being made and write its files; return what the pages need of every chart."""
        placed, staging, memo = self.placed, self.staging, self.memo
        for key, result in zip(self.keys, progress(self.results, "Charts", len(self.keys))):
            if isinstance(result, bytes):
                placed.bundle = result
                continue
            info, written = result  # the worker wrote the files; their names and digests came back
            for name, digest in written.items():
                staging.record(name, key or digest)
            if key:
                memo.put_object(memo.key("chart-info", key), (*info, tuple(written)))
            placed.take(info)
        # In one order whatever came from the memo and what was made: equal charts give equal page keys.
        placed.files = {lang: dict(sorted(files.items())) for lang, files in placed.files.items()}
        placed.og_images = dict(sorted(placed.og_images.items()))
        return placed


def make_chart(config: Config, folder: Path | None, shared: Path | None, destination: Destination, job_and_key: tuple):
    """One indicator chart, for job (language, dataset), with its preview image, kept under its
    key in the memo folder `folder` and written into `destination`; return its description for the
    pages and {file name: digest}. For job None, the Vega bundle, kept in the `shared` folder (where
    the measurement fonts are too)."""
    # vl-convert's threads would not survive a fork: this process now works alone.
    executor_mod.fork_unsafe = True
    job, key = job_and_key
    if job is None:
        bundle = charts_mod.convert("javascript_bundle").encode("utf-8")
        Cache(shared).put(Cache(shared).key(VEGA_BUNDLE_KEY), bundle)
        return bundle
    lang, dataset = job
    _use_fonts(shared)
    store = Cache(folder)

    def make():
        fmt = Formatter(lang, _translations(lang))
        chart = charts_mod.render_chart(dataset, config.province_code, fmt)
        og_png, og_info = make_chart_og_image(chart, fmt, config)
        # The SVG and PNG for articles and slides, with the chart's credits drawn in.
        images = make_chart_images(chart, dataset, fmt, config)
        return chart, {size: charts_mod.spec_json(spec) for size, spec in chart.specs.items()}, og_png, og_info, images

    # Everything one chart gives the site in one entry, for a build whose current site lacks its files.
    chart, spec_texts, og_png, og_info, images = store.remember(key, make, tuple)
    # Written here, not sent back: a build that makes many charts while it writes the open data
    # would otherwise hold every finished chart's files in memory until it takes them.
    written = {}
    for name, content in (_chart_outputs(chart, spec_texts, og_png) | images).items():
        destination.write(name, content)
        written[name] = "sha256:" + hashlib.sha256(content).hexdigest()
    return (chart.lang, chart.slug, _chart_info(chart), og_info), written


# What charts are made from, among the parts of a build's sources (see record.sources_digest):
# while none of them changed since the last build, no chart is likely to be made.
CHART_SOURCES = ("options", "site.toml", "data", "locales")


def prepare_charts(folder: Path | None) -> None:
    """Make the measurement fonts (if missing) and start the chart libraries ahead of the first chart:
    an early worker does it while the build reads its inputs, when charts are likely to be made."""
    try:
        executor_mod.fork_unsafe = True  # vl-convert's threads would not survive a fork
        _use_fonts(folder)
        charts_mod.start_runtime()
    except Exception:  # noqa: BLE001 - a head start that fails only costs time; the chart itself reports
        pass


def _use_fonts(folder: Path | None) -> None:
    # Looked for at every chart: the memo folder (and its fonts) may have been emptied since the last.
    charts_mod.use_fonts(fonts.load_measure_fonts(folder, charts_mod.MEASURE_FONTS) if folder is not None else None)


@functools.lru_cache(maxsize=None)
def _translations(lang: Language):
    return load_translations(lang)


def _chart_outputs(chart, spec_texts: dict[str, str], og_png: bytes) -> dict[str, bytes]:
    outputs = {}
    for size, svg in chart.svgs.items():
        outputs[chart.dest_path(size, "svg")] = svg.encode("utf-8")
        outputs[chart.dest_path(size, "vl.json")] = (spec_texts[size] + "\n").encode("utf-8")
    outputs[chart.dest_path("og", "png")] = og_png
    return outputs


def _chart_info(chart) -> dict:
    """What the pages need to know of a chart's files: paths and sizes."""
    info = {"media": charts_mod.WIDE_MEDIA, "files": {}, "images": image_paths(chart.slug, chart.lang)}
    for size, svg in chart.svgs.items():
        width, height = _svg_size(svg)
        info["files"][size] = {"svg": chart.dest_path(size, "svg"), "spec": chart.dest_path(size, "vl.json"),
                               "width": width, "height": height}
    return info


def _svg_size(svg: str) -> tuple[int, int]:
    match = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    return (round(float(match.group(1))), round(float(match.group(2)))) if match else (640, 400)
