"""Run the portal of one source tree (this one, or the previous release's worktree) on its own modules only.

    python bench/run_tree.py TREE build BUILD.PY-ARGUMENTS...
    python bench/run_tree.py TREE warm PROJECT CLOCK JOBS
    python bench/run_tree.py TREE where

`build` runs TREE/build.py with those arguments. `warm` imports TREE's build function once, then,
in this one process, edits an announcement and builds, then three more times, as the preview
server does: it prints, as JSON, the wall and CPU seconds of the median of those three warm builds,
the peak memory of this process and its workers, and that build's own stats. Where the tree's preview shows
an edit before its search index is made again (`finish_preview`), the build is timed until the
page is shown, and the search index after it apart (`search_after_seconds`). `where` prints which files `portal.site` and `portal.search`
came from and whether TREE could import a module that only another tree has.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import resource
import runpy
import sys
import time
from pathlib import Path

STATS_ENV = "P06_BUILD_STATS"  # the portal writes its timings and memory there


def pin_portal(tree: Path) -> None:
    """Make `import portal.X` find TREE/portal/X and nothing else."""
    sys.path.insert(0, str(tree))
    # The editable install of the current tree adds an import hook that maps portal.X to its own
    # folder whatever portal.__path__ says; it goes, so only TREE's files can be found.
    for finder in list(sys.meta_path):
        mapping = getattr(sys.modules.get(getattr(finder, "__module__", "")), "MAPPING", None)
        if isinstance(mapping, dict) and "portal" in mapping:
            sys.meta_path.remove(finder)
    import portal
    # `portal` has no __init__.py: as a namespace package it would also search every other portal/
    # folder on sys.path (the current tree is installed in the venv), so a module the baseline
    # lacks would silently come from the current code.
    portal.__path__ = [str(tree / "portal")]


def foreign_modules(tree: Path) -> list[str]:
    """Names of loaded portal modules that did not come from TREE (should be none)."""
    inside = str(tree / "portal") + os.sep
    return sorted(name for name, module in list(sys.modules.items())
                  if name.startswith("portal.") and not (getattr(module, "__file__", None) or inside).startswith(inside))


def build_function(tree: Path):
    """The tree's build entry point, called as build(root, output, clock=..., jobs=...)."""
    if importlib.util.find_spec("portal.build") is not None:
        from portal.build import build
        return build
    from portal.site import build_site  # releases before portal/build/
    return build_site


def edit_article(project: Path, mark: str) -> Path:
    """Append one sentence to the first announcement (by name) of PROJECT."""
    article = sorted((project / "content" / "announcements").glob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8") + f"\nOne more synthetic sentence ({mark}).\n",
                       encoding="utf-8")
    return article


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# Warm rebuilds after the warm-up, of which the median is reported: a few tenths of a second vary
# as much from one to the next as the other rebuilds do.
WARM_RUNS = 3


def preview_functions(tree: Path):
    """What the tree's preview server does for an edit: a build, until the edited page is shown, then
    what follows it (the search index, in trees whose preview shows the page first; else nothing)."""
    build = build_function(tree)
    try:
        from portal.build import finish_preview
    except ImportError:
        return build, None
    return functools.partial(build, preview=True), finish_preview


def warm(tree: Path, project: Path, clock: str, jobs: int, runs: int = WARM_RUNS) -> dict:
    """Build in this process as the preview server does, each time after one article edit: once to
    warm up, then `runs` times; the figures of the median of those (by wall time), until its page is
    shown (and, apart, until its search index is)."""
    build, after = preview_functions(tree)
    output = project / "site"
    edit_article(project, "warm-up")
    build(project, output, clock=clock, jobs=jobs)  # imports, compiled templates and caches are now warm
    if after:
        after(project, output)
    figures = []
    for n in range(runs):
        edit_article(project, f"warm {n}")
        started, cpu = time.perf_counter(), _cpu_seconds()
        build(project, output, clock=clock, jobs=jobs)
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        stats_file = os.environ.get(STATS_ENV)
        stats = json.loads(Path(stats_file).read_text(encoding="utf-8")) if stats_file and Path(stats_file).stat().st_size else {}
        if after:
            started = time.perf_counter()
            after(project, output)
            stats["search_after_seconds"] = time.perf_counter() - started
        figures.append({"wall": wall, "cpu": cpu, "stats": stats})
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    return {**sorted(figures, key=lambda figure: figure["wall"])[runs // 2], "peak": peak}


def main(argv: list[str]) -> None:
    """Pin the tree's portal package, run the command, then refuse any module from elsewhere."""
    tree, command, rest = Path(argv[0]).resolve(), argv[1], argv[2:]
    pin_portal(tree)
    try:
        if command == "build":
            sys.argv = [str(tree / "build.py"), *rest]
            try:
                runpy.run_path(str(tree / "build.py"), run_name="__main__")
            except SystemExit as exit_:
                if exit_.code:
                    raise
        elif command == "warm":
            project, clock, jobs = Path(rest[0]), rest[1], int(rest[2])
            print(json.dumps(warm(tree, project, clock, jobs)))
        elif command == "where":
            import portal.search
            import portal.site
            others = sorted(p.stem if p.suffix == ".py" else p.name for p in Path(rest[0], "portal").iterdir()
                            if not p.name.startswith("_") and not (tree / "portal" / p.name).exists())
            print(json.dumps({"site": portal.site.__file__, "search": portal.search.__file__,
                              "importable_from_other_tree": [n for n in others if importlib.util.find_spec(f"portal.{n}")]}))
        else:
            raise SystemExit(f"unknown command {command!r}")
    finally:
        stray = foreign_modules(tree)
        if stray:
            print(f"portal modules from outside {tree}: {', '.join(stray)}", file=sys.stderr)
            os._exit(3)


if __name__ == "__main__":
    main(sys.argv[1:])
