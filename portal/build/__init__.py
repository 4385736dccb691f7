"""The build: read every input, plan each language's pages, make charts, assets and pages, then swap the site in.

This package alone owns the memo (what earlier builds made, by the inputs it was made from) and
the executor (the worker pools); every module outside it is a plain function of plain data.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import json
import os
import resource
import time
from functools import partial
from pathlib import Path

from ..config import PORTAL_TZ, parse_clock
from ..write import Staging, check_output, remove_leftovers
from .executor import Executor, default_jobs
from .memo import Memo
from .record import Record, Summary, load_record, sources_digest, write_record

__all__ = ["Summary", "build", "default_jobs", "finish_preview", "parse_clock"]

# Names a file that receives the timings and peak memory of each build (see bench/compare.py).
STATS_ENV = "P06_BUILD_STATS"


def _sparing_the_collector(function):
    """Objects alive when a build starts (the modules; in a preview server, what it kept of the last
    build) are left out of the garbage collections during it: scanning them again and again took a
    tenth of a preview rebuild. They are collected as usual once it is over."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        gc.freeze()
        try:
            return function(*args, **kwargs)
        finally:
            gc.unfreeze()

    return wrapper


@_sparing_the_collector
def build(root: Path, output: Path, base_url: str | None = None, progress=None, clock: str | None = None,
          strict: bool = False, drafts: bool = False, future: bool = False, jobs: int = 1,
          preview: bool = False) -> "Summary":
    """Build the whole site from `root` into `output`; nothing is replaced unless every step succeeds.

    `drafts` and `future` also publish drafts and announcements scheduled after the clock; `jobs`
    is how many processes share the slow steps (the output is the same for any number).
    `preview` puts the new site in place as soon as its pages are: search bundles whose pages
    changed keep their earlier index and the old site is deleted later, both by finish_preview.
    """
    check_output(output, root)
    memo, progress, timer, moment = Memo(root), progress or _no_progress, _Timer(), parse_clock(clock)
    sources = sources_digest(root, (base_url, strict, drafts, future), moment.astimezone(PORTAL_TZ).date())
    if (last := load_record(memo, output)) and last.describes(output, sources, moment):  # nothing to do
        remove_leftovers(output.resolve())  # of builds killed since, which a build with work does first
        memo.prune()
        return timer.finish(last.summary)
    from . import stages  # with pandas, Altair and vl-convert: only for a build with work to do
    drawing_likely = last is None or last.changed(sources, stages.CHART_SOURCES)
    # The early workers' head start on the charts overlaps the reading of the inputs; without
    # charts likely to be made, none are forked (a chart to make after all gets fresh workers).
    with Executor(jobs, partial(stages.prepare_charts, memo.shared.folder), early=drawing_likely) as executor:
        inputs = timer.lap("load", stages.load_inputs(root, base_url, clock, strict, jobs, memo, executor))
        editions = stages.plan_editions(inputs, drafts, future, memo)
        # Unchanged files are linked from the current site; the workers that write charts into
        # the staging folder are stopped before it is removed after a failure.
        with Staging(output, last.manifest if last else None) as staging, executor.ending_early():
            drawing = stages.start_charts(inputs.config, editions, staging, memo, executor)  # by the early workers
            release = stages.write_release(inputs, editions, staging, memo)  # meanwhile
            charts = drawing.place(progress)
            executor.close_early()  # the pages need none of its memory, and are made by fresh workers
            assets = stages.write_assets(root, charts.bundle, staging)
            heads = stages.make_head_facts(inputs.config, editions, charts.og_images, inputs.package)
            pages = stages.render_pages(root, inputs.config, editions, assets, charts, heads, release, staging,
                                        memo, executor, progress)
            stages.write_indexes(inputs.config, editions, pages.listed, staging)
            timer.lap("make")
            pending = stages.write_search_index(staging, pages.searchable, memo, later=preview)
            staging.swap(remove_later=preview)
    summary = stages.make_summary(inputs, editions, charts, unpublished=drafts or future)
    write_record(memo, output, Record(sources, inputs.next_change, staging.manifest, summary, pending))
    memo.prune()
    return timer.finish(summary)


def finish_preview(root: Path, output: Path) -> bool:
    """What a build with `preview` left for later: index the search bundles it left as they were
    and swap them in, and delete the old site; return whether the search index changed (not when
    none waited, nor when the site was changed since)."""
    memo = Memo(root)
    remove_leftovers(output.resolve())
    last = load_record(memo, output)
    if last is None or not last.pending:
        return False
    from ..search import BUNDLE_DIR  # when needed
    from .output import write_search_index

    waiting = tuple(f"{BUNDLE_DIR}/{bundle}/" for bundle in last.pending)
    with Staging(output, last.manifest) as staging:
        for name, (key, *_facts) in sorted(last.manifest.items()):
            if not name.startswith(waiting) and not staging.reuse(name, key):
                return False  # edited since: the next build, which the record asks for, makes it whole
        write_search_index(staging, last.pending, memo)
        staging.swap()
    write_record(memo, output, dataclasses.replace(last, manifest=staging.manifest, pending=None))
    return True


class _Timer:
    """Where a build's time and memory went, for the benchmark (the file STATS_ENV names)."""

    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.stats: dict[str, float] = {}

    def lap(self, name: str, value=None):
        now = time.perf_counter()
        self.stats[f"{name}_seconds"], self.last = now - self.last, now
        if name == "make":
            self.stats["portal_peak_mib"] = _peak_mib()
        return value

    def finish(self, summary: Summary) -> Summary:
        self.lap("search_and_swap")
        self.stats["search_peak_mib"] = _peak_mib(children_only=True)
        path = os.environ.get(STATS_ENV)
        if path:
            Path(path).write_text(json.dumps(self.stats, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return dataclasses.replace(summary, seconds=time.perf_counter() - self.started)


def _peak_mib(children_only: bool = False) -> float:
    """Peak resident memory so far of this process and its workers (or of its children alone), in MiB."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    own = 0 if children_only else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, children) / 1024


def _no_progress(items, label, length=None):
    return items
