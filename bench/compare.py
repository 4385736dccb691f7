"""Benchmark: this portal against Hugo + Pagefind and against its previous release, side by side in one run.

For each corpus it builds, in fresh processes and one after the other:

- this portal: a cold build (no cache), then rebuilds with nothing changed, after one article
  changes and after one CSV changes (the cache in .cache/ at work), and a warm preview rebuild
  (one long-lived process that builds after an article edit, then again after another: the
  second build is reported);
- the previous release (`--baseline COMMIT`, checked out with `git worktree add --detach` in a
  temporary folder and removed afterwards), with the same builds on its own copy of the corpus;
- Hugo (the `hugo` package of the `bench` extra), a full build of the same announcements, and
  Hugo + Pagefind: a full build, then the Pagefind CLI indexing Hugo's article pages offline, as
  one figure; Pelican as an extra row. They get the announcements only: no charts, no open data.

A corpus is POSTS/DATASETS: POSTS generated announcements of about 4 KB spread over three
languages and tagged (synthetic: no figure in them is real), with the repository's own data/ and
site.toml when DATASETS is 0, or else DATASETS synthetic datasets of monthly figures for 21
synthetic districts, each with a chart. Every ratio printed (the table, then each target as met
or NOT met) divides two figures measured in this run.

    python bench/compare.py --corpus 2000/0 2000/50 10000/500
    python bench/compare.py --posts 2000 10000 --datasets 0 50 500   # every combination
    python bench/compare.py --quick                                   # tiny corpora, a few minutes
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_TREE = Path(__file__).resolve().parent / "run_tree.py"
sys.path.insert(0, str(RUN_TREE.parent))
from run_tree import STATS_ENV, edit_article  # noqa: E402  (one definition of the edit for both trees)

BASELINE = "38fb3f1"  # the previous release
CLOCK = "2027-01-01T00:00+07:00"  # after every shipped date, revisions included
# Hugo's few seconds vary the most from run to run, and every target leans on them: median of three.
PEER_RUNS = 3
# The portal's rebuilds take a few seconds too, and vary as much: the median of three as well.
REBUILD_RUNS = PEER_RUNS
LANGS = ("vi", "en", "ar")
WORDS = ("căn cước", "định danh", "dịch vụ công", "hồ sơ", "trực tuyến", "dữ liệu", "dân cư", "Đề án 06",
         "identity", "online", "service", "record", "citizen", "district", "report", "progress")
TAGS = ("căn cước", "VNeID", "dịch vụ công", "hội nghị", "chuyển đổi số", "dữ liệu")
# The three corpora the targets speak of: shipped data, charts, and the large one.
TARGET_CORPORA = {"shipped": (2000, 0), "charts": (2000, 50), "large": (10000, 500)}
QUICK_CORPORA = {"shipped": (20, 0), "charts": (20, 1), "large": (100, 2)}
KINDS = {"cold": "cold (no cache)", "nothing": "rebuild, nothing changed", "article": "rebuild, one article changed",
         "csv": "rebuild, one CSV changed", "warm": "warm preview rebuild, one article changed", "full": "full build"}
TOOLS = {"portal": "portal", "baseline": "baseline", "hugo": "Hugo", "hugo+pagefind": "Hugo + Pagefind",
         "pelican": "Pelican"}


# --- The corpus -------------------------------------------------------------------------------

def paragraph(rng: random.Random, words: int = 60) -> str:
    """One sentence of synthetic words."""
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def article_body(rng: random.Random) -> str:
    """About 4 KB of Markdown with headings and lists."""
    parts = []
    while sum(map(len, parts)) < 3800:
        parts.append(f"## {paragraph(rng, 4)[:-1]}\n\n{paragraph(rng)}\n\n- {paragraph(rng, 8)}\n- {paragraph(rng, 8)}\n")
    return "\n".join(parts)


def make_corpus(folder: Path, posts: int, datasets: int, seed: int = 6) -> dict[str, Path]:
    """Write the corpus for every tool (datasets 0: the shipped data); return their project folders."""
    rng = random.Random(seed)
    items = []
    for index in range(posts):
        day = f"20{20 + index % 5:02d}-{1 + index % 12:02d}-{1 + index % 28:02d}"
        items.append({"slug": f"bai-{index:05d}", "date": day, "lang": LANGS[index % 3],
                      "title": f"Bản tin thử nghiệm {index}", "tags": rng.sample(TAGS, 2), "body": article_body(rng)})
    return {"portal": _portal(folder / "portal", items, datasets, rng),
            "hugo": _hugo(folder / "hugo", items), "pelican": _pelican(folder / "pelican", items)}


def _portal(root: Path, items: list[dict], datasets: int, rng: random.Random) -> Path:
    """The portal project: templates, settings, the announcements and the shipped or synthetic data."""
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copy(ROOT / "site.toml", root / "site.toml")
    news = root / "content" / "announcements"
    news.mkdir(parents=True)
    for item in items:
        front = {"title": item["title"], "date": item["date"], "summary": "Synthetic benchmark text.", "tags": item["tags"]}
        text = "---\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items())
        text = text.replace(f'date: "{item["date"]}"', f"date: {item['date']}")
        (news / f"{item['date']}-{item['slug']}.{item['lang']}.md").write_text(text + "\n---\n\n" + item["body"], encoding="utf-8")
    if datasets == 0:
        shutil.copytree(ROOT / "data", root / "data")  # the real tables, charts and rules the portal ships with
    else:
        _synthetic_data(root / "data", datasets, rng)
    return root


def _synthetic_data(data: Path, datasets: int, rng: random.Random) -> None:
    """DATASETS synthetic tables of monthly figures for 21 synthetic districts, each with a chart."""
    data.mkdir()
    codes = [str(code) for code in range(412, 433)]
    (data / "units.csv").write_text("code,name,type,parent_code\n40,Synthetic province,province,\n"
                                    + "".join(f"{c},Synthetic district {c},district,40\n" for c in codes), encoding="utf-8")
    resources = [{"name": "units", "path": "units.csv", "titles": {l: "Units" for l in LANGS},
                  "schema": {"fields": [{"name": n, "type": "string"} for n in ("code", "name", "type", "parent_code")],
                             "primaryKey": ["code"]}}]
    for index in range(datasets):
        name = f"series_{index:03d}"
        rows = ["date,unit_code,value"]
        for month in range(36):
            day = f"{2021 + month // 12}-{1 + month % 12:02d}-28"
            rows += [f"{day},{code},{rng.randint(0, 10_000)}" for code in ["40"] + codes]
        (data / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        resources.append({
            "name": name, "path": f"{name}.csv", "titles": {l: f"Synthetic series {index}" for l in LANGS},
            "schema": {"fields": [{"name": "date", "type": "date", "titles": {"en": "Date"}},
                                  {"name": "unit_code", "type": "string", "titles": {"en": "Unit"}},
                                  {"name": "value", "type": "integer", "titles": {"en": "Value"}}],
                       "primaryKey": ["date", "unit_code"],
                       "foreignKeys": [{"fields": "unit_code", "reference": {"resource": "units", "fields": "code"}}]},
            "indicator": {"slug": f"series-{index:03d}", "headline": {"value": "value"},
                          "chart": {"type": "bar", "x": "date", "y": "value"}}})
    package = {"name": "synthetic", "sources": [{"title": "Synthetic benchmark data"}],
               "licenses": [{"name": "CC-BY-4.0"}], "resources": resources}
    (data / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")


def _hugo(root: Path, items: list[dict]) -> Path:
    """A three-language Hugo site of the same announcements, with tag pages and paged lists."""
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "hugo.toml").write_text(textwrap.dedent("""\
        baseURL = "http://localhost/"
        title = "Synthetic"
        defaultContentLanguage = "vi"
        [languages.vi]
        weight = 1
        [languages.en]
        weight = 2
        [languages.ar]
        weight = 3
        languageDirection = "rtl"
        [taxonomies]
        tag = "tags"
        """), encoding="utf-8")
    page = "<!doctype html><html lang=\"{{ .Lang }}\"><head><title>{{ .Title }}</title></head><body>{{ block \"main\" . }}{{ end }}</body></html>"
    (root / "layouts" / "_default" / "baseof.html").write_text(page, encoding="utf-8")
    # data-pagefind-body: Pagefind indexes the article text, as the portal marks its searchable pages.
    (root / "layouts" / "_default" / "single.html").write_text(
        '{{ define "main" }}<main data-pagefind-body><h1>{{ .Title }}</h1>{{ .Content }}</main>{{ end }}', encoding="utf-8")
    (root / "layouts" / "_default" / "list.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}{{ end }}', encoding="utf-8")
    folder = root / "content" / "posts"
    folder.mkdir(parents=True)
    for item in items:
        front = f"---\ntitle: \"{item['title']}\"\ndate: {item['date']}\ntags: {json.dumps(item['tags'], ensure_ascii=False)}\n---\n\n"
        (folder / f"{item['slug']}.{item['lang']}.md").write_text(front + item["body"], encoding="utf-8")
    return root


def _pelican(root: Path, items: list[dict]) -> Path:
    """A Pelican site of the same announcements."""
    (root / "content").mkdir(parents=True)
    (root / "pelicanconf.py").write_text(textwrap.dedent("""\
        SITENAME = "Synthetic"
        PATH = "content"
        TIMEZONE = "Asia/Ho_Chi_Minh"
        DEFAULT_LANG = "vi"
        DEFAULT_PAGINATION = 10
        FEED_ALL_ATOM = None
        """), encoding="utf-8")
    for item in items:
        meta = f"Title: {item['title']}\nDate: {item['date']}\nTags: {', '.join(item['tags'])}\nLang: {item['lang']}\nSlug: {item['slug']}\n\n"
        (root / "content" / f"{item['slug']}.{item['lang']}.md").write_text(meta + item["body"], encoding="utf-8")
    return root


def edit_csv(project: Path) -> Path:
    """Change one figure of one indicator's CSV, keeping every rule of the data satisfied."""
    series = project / "data" / "series_000.csv"
    if series.exists():
        # One more on the first row of unit 40: an edit that can be made again and again.
        text = re.sub(r",40,(\d+)", lambda m: f",40,{int(m.group(1)) + 1}", series.read_text(encoding="utf-8"), count=1)
        series.write_text(text, encoding="utf-8")
        return series
    # Shipped data: one more card issued on the last row (cards_issued must not decrease).
    cards = project / "data" / "id_cards.csv"
    lines = cards.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("cards_issued")
    cells = lines[-1].split(",")
    cells[column] = str(int(cells[column]) + 1)
    cards.write_text("\n".join(lines[:-1] + [",".join(cells)]) + "\n", encoding="utf-8")
    return cards


# --- Measuring --------------------------------------------------------------------------------

@dataclass
class Measure:
    """Wall and CPU seconds and peak MiB of one build, with the portal's own stats when it wrote them."""
    wall: float
    cpu: float
    peak: float
    stats: dict = field(default_factory=dict)


# Runs the commands (a JSON list) one after the other and prints the peak memory of the largest,
# so every measurement has its own maximum.
RUSAGE_WRAPPER = """
import json, resource, subprocess, sys
for command in json.loads(sys.argv[1]):
    code = subprocess.run(command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL).returncode
    if code:
        sys.exit(code)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, file=sys.stderr)
"""


def stats_path() -> Path:
    """An empty scratch file for a build to write its stats (STATS_ENV) into."""
    handle, path = tempfile.mkstemp(prefix="p06-stats-", suffix=".json")
    os.close(handle)
    return Path(path)


def run(commands: list[list[str]], cwd: Path, env: dict | None = None) -> Measure:
    """Measure commands run one after the other in fresh processes, as one figure."""
    stats_file = stats_path()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", RUSAGE_WRAPPER, json.dumps(commands)], cwd=cwd, capture_output=True,
                            text=True, env={**os.environ, **(env or {}), STATS_ENV: str(stats_file)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = stats_file.read_text(encoding="utf-8")
    stats_file.unlink()
    if result.returncode:
        raise SystemExit(f"{' '.join(commands[-1])} failed:\n{result.stderr[-3000:]}")
    peak = float(result.stderr.strip().splitlines()[-1])
    return Measure(wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), peak,
                   json.loads(text) if text else {})


def tree_env(tree: Path) -> dict:
    """Environment for running TREE's portal: its own folder first on the module path."""
    return {"PYTHONPATH": str(tree)}


def build_command(tree: Path, project: Path, jobs: int | None) -> list[str]:
    """The command that builds PROJECT with TREE's build.py, through run_tree.py (TREE's modules only)."""
    command = [sys.executable, str(RUN_TREE), str(tree), "build", "--project", str(project), "build", "--clock", CLOCK]
    return command + (["--jobs", str(jobs)] if jobs else [])


def warm_rebuild(tree: Path, project: Path, jobs: int | None) -> Measure:
    """The warm preview rebuild: the second of two builds in one process, each after one article edit."""
    stats_file = stats_path()
    jobs = jobs or max(1, len(os.sched_getaffinity(0)))
    result = subprocess.run([sys.executable, str(RUN_TREE), str(tree), "warm", str(project), CLOCK, str(jobs)],
                            cwd=tree, capture_output=True, text=True,
                            env={**os.environ, **tree_env(tree), STATS_ENV: str(stats_file)})
    stats_file.unlink()
    if result.returncode:
        raise SystemExit(f"warm preview rebuild with {tree} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return Measure(figures["wall"], figures["cpu"], figures["peak"], figures["stats"])


def portal_builds(tree: Path, project: Path, jobs: int | None) -> Iterator[tuple[str, Measure]]:
    """Every build of the portal on PROJECT, in order, with its kind; each rebuild the median of
    REBUILD_RUNS, every one after an edit of its own."""
    build = build_command(tree, project, jobs)
    env = tree_env(tree)
    yield "cold", run([build], tree, env)
    edits = {"nothing": lambda n: None, "article": lambda n: edit_article(project, f"rebuild {n}"),
             "csv": lambda n: edit_csv(project)}
    for kind, edit in edits.items():
        figures = []
        for n in range(REBUILD_RUNS):
            edit(n)
            figures.append(run([build], tree, env))
        yield kind, sorted(figures, key=lambda figure: figure.wall)[REBUILD_RUNS // 2]
    yield "warm", warm_rebuild(tree, project, jobs)


def tool_path(package: str, relative: str, script: str) -> Path | None:
    """A tool's binary inside its Python package (no Python launcher to time), else its venv script."""
    spec = importlib.util.find_spec(package)
    if spec and spec.origin:
        binary = Path(spec.origin).parent / relative
        if binary.is_file():
            return binary
    fallback = Path(sys.executable).parent / script
    return fallback if fallback.exists() else None


def indexed_pages(bundle: Path) -> int:
    """How many pages a Pagefind bundle holds, over all its languages."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())


def median_of(times: int, commands: list[list[str]], cwd: Path, output: Path) -> Measure:
    """The run of median wall time among TIMES runs of COMMANDS, each into an emptied OUTPUT folder."""
    figures = []
    for _ in range(times):
        shutil.rmtree(output, ignore_errors=True)
        figures.append(run(commands, cwd))
    return sorted(figures, key=lambda figure: figure.wall)[times // 2]


def peer_builds(corpus: dict[str, Path]) -> Iterator[tuple[str, Measure]]:
    """Hugo, Hugo + Pagefind and Pelican on the same announcements, each with its tool."""
    hugo = tool_path("hugo", "binaries/hugo", "hugo")
    pagefind = tool_path("pagefind_bin_extended", "pagefind_extended", "pagefind")
    site, public = corpus["hugo"], corpus["hugo"] / "public"
    hugo_build = [str(hugo), "--quiet", "-s", str(site), "-d", str(public)]
    if hugo:
        yield "hugo", median_of(PEER_RUNS, [hugo_build], site, public)
        if pagefind:
            # The articles only (not lists, tag pages or pagers), as the portal indexes its own searchable pages.
            index = [str(pagefind), "--site", str(public), "--output-path", str(public / "pagefind"),
                     "--glob", "**/posts/*/index.html", "--exclude-selectors", "nav", "--keep-index-url", "--silent"]
            figure = median_of(PEER_RUNS, [hugo_build, index], site, public)
            indexed = indexed_pages(public / "pagefind")
            if indexed != len(list((site / "content" / "posts").glob("*.md"))):
                raise SystemExit(f"Pagefind indexed {indexed} of Hugo's pages, not one per article")
            yield "hugo+pagefind", figure
    pelican = Path(sys.executable).parent / "pelican"
    if pelican.exists():
        yield "pelican", run([[str(pelican), "content", "-o", "output", "-s", "pelicanconf.py", "-q"]], corpus["pelican"])


def measure(posts: int, datasets: int, baseline: Path | None, jobs: int | None) -> tuple[dict, int]:
    """Every build of one corpus, as {(tool, kind): Measure}, and the number of pages the portal made."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="p06-bench-") as scratch:
        corpus = make_corpus(Path(scratch), posts, datasets)
        for tool, figure in peer_builds(corpus):
            results[tool, "full"] = figure
        # Each tree builds its own copy, so neither reads the other's .cache/ or site/. The
        # baseline gets its own templates (and, for the shipped data, its own data/ and settings):
        # they belong to the code they were written for.
        ours = corpus["portal"]
        builds = {"portal": portal_builds(ROOT, ours, jobs)}
        if baseline:
            theirs = Path(scratch) / "baseline"
            shutil.copytree(ours, theirs)
            shutil.rmtree(theirs / "templates")
            shutil.copytree(baseline / "templates", theirs / "templates")
            if datasets == 0:
                shutil.rmtree(theirs / "data")
                shutil.copytree(baseline / "data", theirs / "data")
                shutil.copy(baseline / "site.toml", theirs / "site.toml")
            builds["baseline"] = portal_builds(baseline, theirs, jobs)
        pages = 0
        # One build of each tree in turn, so slow drift of the machine hits both alike.
        for steps in itertools.zip_longest(*builds.values()):
            for tool, step in zip(builds, steps):
                kind, figure = step
                results[tool, kind] = figure
                if tool == "portal" and kind == "cold":
                    pages = sum(1 for _ in (ours / "site").rglob("*.html"))
    return results, pages


@contextlib.contextmanager
def baseline_tree(commit: str):
    """A detached worktree of COMMIT in a temporary folder, checked to import only its own portal modules."""
    scratch = Path(tempfile.mkdtemp(prefix="p06-baseline-"))
    tree = scratch / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--quiet", "--detach", str(tree), commit], check=True)
    try:
        check_baseline(tree)
        yield tree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=False)


def check_baseline(tree: Path) -> None:
    """Stop unless the baseline's portal modules come from its worktree (not from this tree, installed in the venv)."""
    if not (tree / "portal" / "site.py").is_file():
        raise SystemExit(f"{tree} has no portal/site.py: not a release of this portal")
    result = subprocess.run([sys.executable, str(RUN_TREE), str(tree), "where", str(ROOT)], cwd=tree,
                            capture_output=True, text=True, env={**os.environ, **tree_env(tree)})
    if result.returncode:
        raise SystemExit(f"the baseline's portal cannot be imported:\n{result.stderr[-3000:]}")
    where = json.loads(result.stdout)
    inside = str(tree / "portal") + os.sep
    if not (where["site"].startswith(inside) and where["search"].startswith(inside)) or where["importable_from_other_tree"]:
        raise SystemExit(f"the baseline would run code from outside its worktree: {where}")


# --- Reporting --------------------------------------------------------------------------------

def label(tool: str, kind: str, commit: str = BASELINE) -> str:
    """The build column of the table."""
    if tool == "hugo+pagefind":
        return "Hugo + Pagefind, full build, then the search index of its articles"
    name = f"baseline {commit}" if tool == "baseline" else TOOLS[tool]
    return f"{name}, {KINDS[kind]}"


def charts(count: int) -> str:
    """1 chart, 50 charts."""
    return f"{count:,} chart" + ("s" if count != 1 else "")


def corpus_label(posts: int, datasets: int, pages: int) -> str:
    """The corpus column of the table."""
    data = "shipped data" if datasets == 0 else f"synthetic {charts(datasets)}"
    return f"{posts} posts, {data} ({pages} pages)"


def ratio(value: float | None, reference: float | None) -> str:
    """VALUE / REFERENCE to two places, or a dash when either is missing."""
    return f"{value / reference:.2f}" if value is not None and reference else "–"


HEADER = ("| corpus | build | wall | CPU | peak memory | of which search index + swap | peak without the search indexer "
          "| × Hugo | × (Hugo + Pagefind) | × baseline |\n|---|---|---|---|---|---|---|---|---|---|")


def table_rows(corpus: str, results: dict, commit: str = BASELINE) -> list[str]:
    """Markdown rows for one corpus: each build's figures and its wall time as a ratio of the peers'."""
    hugo = results.get(("hugo", "full"))
    hugo_pagefind = results.get(("hugo+pagefind", "full"))
    rows = []
    for (tool, kind), m in sorted(results.items(), key=lambda item: (list(TOOLS).index(item[0][0]), list(KINDS).index(item[0][1]))):
        same_for_baseline = results.get(("baseline", kind)) if tool == "portal" else None
        search = f"{m.stats['search_and_swap_seconds']:.2f} s" if "search_and_swap_seconds" in m.stats else "–"
        if "search_after_seconds" in m.stats:  # a preview that shows the page first, its search index then
            search += f", then {m.stats['search_after_seconds']:.2f} s for the search index once the page is shown"
        own = f"{m.stats['portal_peak_mib']:.0f} MiB" if "portal_peak_mib" in m.stats else "–"
        rows.append(f"| {corpus} | {label(tool, kind, commit)} | {m.wall:.2f} s | {m.cpu:.2f} s | {m.peak:.0f} MiB | "
                    f"{search} | {own} | {ratio(m.wall, hugo and hugo.wall)} | "
                    f"{ratio(m.wall, hugo_pagefind and hugo_pagefind.wall)} | "
                    f"{ratio(m.wall, same_for_baseline and same_for_baseline.wall)} |")
    return rows


@dataclass
class Verdict:
    """One target: what is compared, the measured value (None when not measured), the limit and its unit."""
    target: str
    value: float | None
    limit: float
    unit: str = "×"

    def line(self) -> str:
        """The target as a Markdown table row, with met / NOT met."""
        if self.value is None:
            return f"| {self.target} | – | not measured in this run |"
        shown = f"{self.value:.0f} MiB" if self.unit == "MiB" else f"{self.value:.2f} {self.unit}"
        return f"| {self.target} | {shown} | {'met' if self.value <= self.limit else 'NOT met'} |"


def _wall(results: dict, corpus: tuple[int, int], tool: str, kind: str) -> float | None:
    """Wall seconds of one build of one corpus, None when it was not measured."""
    figure = results.get(corpus, {}).get((tool, kind))
    return figure.wall if figure else None


def _over(value: float | None, reference: float | None) -> float | None:
    """VALUE / REFERENCE, None when either is missing."""
    return value / reference if value is not None and reference else None


def verdicts(results: dict, corpora: dict = TARGET_CORPORA) -> list[Verdict]:
    """Every target, each a ratio of two figures of this run (or seconds, or MiB), against its limit."""
    shipped, charted, large = corpora["shipped"], corpora["charts"], corpora["large"]

    def name(corpus, text):
        """The target's text, prefixed with its corpus."""
        data = "shipped data" if corpus[1] == 0 else charts(corpus[1])
        return f"{corpus[0]:,} posts, {data}: {text}"

    hugo = _wall(results, shipped, "hugo", "full")
    warm = _wall(results, shipped, "portal", "warm")
    growth = 1.1 * large[0] / charted[0]  # linear in the announcements, with a tenth to spare
    large_builds = [m for (tool, _), m in results.get(large, {}).items() if tool == "portal"]
    return [
        Verdict(name(shipped, "cold ≤ 3.5 × (Hugo + Pagefind)"),
                _over(_wall(results, shipped, "portal", "cold"), _wall(results, shipped, "hugo+pagefind", "full")), 3.5),
        Verdict(name(shipped, "one-article rebuild ≤ 1 × Hugo's full build"),
                _over(_wall(results, shipped, "portal", "article"), hugo), 1.0),
        Verdict(name(shipped, "nothing-changed rebuild ≤ 0.7 × Hugo's full build"),
                _over(_wall(results, shipped, "portal", "nothing"), hugo), 0.7),
        Verdict(name(shipped, "warm preview one-article rebuild ≤ 0.5 s"), warm, 0.5, "s"),
        Verdict(name(charted, "cold ≤ 0.8 × the baseline's cold build"),
                _over(_wall(results, charted, "portal", "cold"), _wall(results, charted, "baseline", "cold")), 0.8),
        Verdict(name(charted, "one-CSV rebuild ≤ 2 × Hugo's full build"),
                _over(_wall(results, charted, "portal", "csv"), _wall(results, charted, "hugo", "full")), 2.0),
        Verdict(name(large, f"cold ≤ {growth:.1f} × the cold build of {charted[0]:,} posts, {charts(charted[1])}"),
                _over(_wall(results, large, "portal", "cold"), _wall(results, charted, "portal", "cold")), growth),
        Verdict(name(large, "peak memory ≤ 500 MiB (largest process of any portal build, search indexer included)"),
                max((m.peak for m in large_builds), default=None), 500.0, "MiB"),
    ]


def verdict_table(items: list[Verdict]) -> list[str]:
    """The targets as a Markdown table."""
    return ["| target | measured | result |", "|---|---|---|"] + [item.line() for item in items]


def _version(command: list[str]) -> str:
    """The last line a tool prints about its version, or ? when it cannot say."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out[-1] if out else "?"


def machine() -> str:
    """Cores, processor and memory of this machine, for the record."""
    model = "unknown processor"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        memory = f"{int(memory) / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        memory = "unknown memory"
    return f"{os.cpu_count()} cores ({model}), {memory}, Python {sys.version.split()[0]}"


def first_line(commit: str | None) -> str:
    """Date, machine, tool versions and the two trees compared."""
    hugo = tool_path("hugo", "binaries/hugo", "hugo")
    pagefind = tool_path("pagefind_bin_extended", "pagefind_extended", "pagefind")
    current = _version(["git", "-C", str(ROOT), "describe", "--always", "--dirty"])
    versions = [f"Hugo {_version([str(hugo), 'version']).split()[1].split('-')[0] if hugo else 'absent'}",
                f"Pagefind {_version([str(pagefind), '--version']).split()[-1] if pagefind else 'absent'}",
                f"Pelican {_version([str(Path(sys.executable).parent / 'pelican'), '--version'])}"]
    against = f", baseline {commit}" if commit else ", no baseline"
    return (f"{time.strftime('%Y-%m-%d')}, {machine()}, {', '.join(versions)}; code {current}{against}. "
            "Synthetic announcements: no figure in them is real.")


def code_digest(tree: Path) -> str:
    """A digest of the code and templates a tree builds with: the run is void if they change under it."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("portal", "templates"):
        for path in sorted((tree / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(tree).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def parse_corpus(text: str) -> tuple[int, int]:
    """POSTS/DATASETS, such as 2000/50 (0 datasets: the shipped data)."""
    posts, _, datasets = text.partition("/")
    return int(posts), int(datasets or 0)


def main() -> None:
    """Measure every corpus asked for, print the table, then the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=parse_corpus, nargs="+", metavar="POSTS/DATASETS",
                        help="exact corpora, such as 2000/0 2000/50 10000/500 (overrides --posts and --datasets)")
    parser.add_argument("--posts", type=int, nargs="+", default=[2000])
    parser.add_argument("--datasets", type=int, nargs="+", default=[0, 50], help="0: the shipped data/ and site.toml")
    parser.add_argument("--baseline", default=BASELINE, metavar="COMMIT",
                        help=f"previous release built in the same run (default {BASELINE}; 'none' to skip)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: the three target corpora shrunk to {' '.join(f'{p}/{d}' for p, d in QUICK_CORPORA.values())}")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes for the portal (default: one per core)")
    args = parser.parse_args()
    # As for anyone who builds twice, each tree's modules are compiled once and read back after: an
    # environment that forbids writing bytecode would charge every build for compiling them again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    targets = QUICK_CORPORA if args.quick else TARGET_CORPORA
    corpora = list(targets.values()) if args.quick else args.corpus or list(itertools.product(args.posts, args.datasets))
    commit = None if args.baseline.lower() == "none" else args.baseline
    results = {}
    # The memo keys cover the code: an edit during the run would make the next build start over.
    code = code_digest(ROOT)
    with baseline_tree(commit) if commit else contextlib.nullcontext() as baseline:
        print(first_line(commit))
        print()
        print(HEADER, flush=True)
        for posts, datasets in corpora:
            results[posts, datasets], pages = measure(posts, datasets, baseline, args.jobs)
            print("\n".join(table_rows(corpus_label(posts, datasets, pages), results[posts, datasets], commit)), flush=True)
    print()
    if args.quick:
        print("Quick run on tiny corpora: the verdicts only show that the figures are put together; they say nothing about speed.")
        print()
    print("\n".join(verdict_table(verdicts(results, targets))))
    if code_digest(ROOT) != code:
        raise SystemExit(f"The code in {ROOT} changed during the run: these figures do not compare. "
                         "Run the benchmark from a checkout nobody edits (git worktree add).")


if __name__ == "__main__":
    main()
