"""The benchmark's corpus generator and its table and verdicts, on tiny inputs (nothing is timed or built)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("bench_compare", ROOT / "bench" / "compare.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_shipped_corpus_copies_the_real_data_and_gives_every_tool_the_same_announcements(compare, tmp_path):
    corpus = compare.make_corpus(tmp_path, posts=6, datasets=0)
    portal = corpus["portal"]
    for path in (ROOT / "data").iterdir():
        assert (portal / "data" / path.name).read_bytes() == path.read_bytes()
    assert (portal / "site.toml").read_bytes() == (ROOT / "site.toml").read_bytes()
    articles = sorted((portal / "content" / "announcements").glob("*.md"))
    assert len(articles) == 6 and {a.name.split(".")[-2] for a in articles} == {"vi", "en", "ar"}
    assert "Synthetic benchmark text." in articles[0].read_text(encoding="utf-8")
    assert len(list((corpus["hugo"] / "content" / "posts").glob("*.md"))) == 6
    assert len(list((corpus["pelican"] / "content").glob("*.md"))) == 6
    assert "data-pagefind-body" in (corpus["hugo"] / "layouts" / "_default" / "single.html").read_text()


def test_synthetic_corpus_and_the_edits_it_is_rebuilt_after(compare, tmp_path):
    portal = compare.make_corpus(tmp_path, posts=3, datasets=2)["portal"]
    package = json.loads((portal / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in package["resources"]] == ["units", "series_000", "series_001"]
    before = (portal / "data" / "series_000.csv").read_text(encoding="utf-8")
    assert compare.edit_csv(portal).name == "series_000.csv"
    assert (portal / "data" / "series_000.csv").read_text(encoding="utf-8") != before
    article = compare.edit_article(portal, "test")
    assert article.read_text(encoding="utf-8").endswith("One more synthetic sentence (test).\n")


def test_shipped_csv_edit_raises_one_count_and_keeps_the_header(compare, tmp_path):
    portal = compare.make_corpus(tmp_path, posts=1, datasets=0)["portal"]
    before = (portal / "data" / "id_cards.csv").read_text(encoding="utf-8").splitlines()
    compare.edit_csv(portal)
    after = (portal / "data" / "id_cards.csv").read_text(encoding="utf-8").splitlines()
    column = before[0].split(",").index("cards_issued")
    assert after[0] == before[0] and after[:-1] == before[:-1]
    assert int(after[-1].split(",")[column]) == int(before[-1].split(",")[column]) + 1


def _results(compare, scale: float = 1.0) -> dict:
    m = compare.Measure
    stats = {"search_and_swap_seconds": 0.5, "portal_peak_mib": 200.0}
    return {("hugo", "full"): m(2.0, 3.0, 270.0), ("hugo+pagefind", "full"): m(4.0, 5.0, 270.0),
            ("portal", "cold"): m(10.0 * scale, 20.0, 300.0, stats), ("portal", "nothing"): m(1.0, 1.0, 150.0, stats),
            ("portal", "article"): m(1.5, 2.0, 160.0, stats), ("portal", "csv"): m(3.0, 4.0, 190.0, stats),
            ("portal", "warm"): m(0.4, 0.4, 180.0, {**stats, "search_after_seconds": 0.3}),
            ("baseline", "cold"): m(20.0, 30.0, 310.0)}


def test_each_rebuild_is_the_median_of_its_runs_each_after_an_edit_of_its_own(compare, tmp_path, monkeypatch):
    project = compare.make_corpus(tmp_path, posts=3, datasets=2)["portal"]
    article = sorted((project / "content" / "announcements").glob("*.md"))[0]
    walls = iter([30.0, 1.0, 3.0, 2.0, 9.0, 5.0, 4.0, 8.0, 6.0, 7.0])  # cold, then three of each rebuild
    seen = []

    def fake_run(commands, cwd, env=None):  # what each build would have found changed
        seen.append((article.read_text(encoding="utf-8"), (project / "data" / "series_000.csv").read_text(encoding="utf-8")))
        return compare.Measure(next(walls), 0.0, 0.0, {})

    monkeypatch.setattr(compare, "run", fake_run)
    monkeypatch.setattr(compare, "warm_rebuild", lambda tree, project, jobs: compare.Measure(0.5, 0.0, 0.0, {}))
    figures = dict(compare.portal_builds(ROOT, project, None))
    assert {kind: figures[kind].wall for kind in ("cold", "nothing", "article", "csv")} == \
        {"cold": 30.0, "nothing": 2.0, "article": 5.0, "csv": 7.0}
    articles, tables = [a for a, _t in seen], [t for _a, t in seen]
    assert articles[1] == articles[2] == articles[3] and tables[1] == tables[6]  # nothing changed
    assert len(set(articles[3:7])) == 4 and len(set(tables[6:10])) == 4  # a new edit before each run


def test_the_warm_preview_figure_is_the_median_of_three_warm_builds_each_after_an_edit(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_run_tree", ROOT / "bench" / "run_tree.py")
    run_tree = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_tree)
    news = tmp_path / "content" / "announcements"
    news.mkdir(parents=True)
    article = news / "2024-01-01-a.vi.md"
    article.write_text("---\ntitle: A\ndate: 2024-01-01\n---\n\nText.\n", encoding="utf-8")
    built, indexed = [], []
    # The clock as each step reads it: wall 3, 1 and 2 s for the three warm builds, each search index a tenth of it.
    ticks = iter([0, 3, 3, 3.3, 10, 11, 11, 11.1, 20, 22, 22, 22.2])
    monkeypatch.setattr(run_tree, "time", type("Clock", (), {"perf_counter": staticmethod(lambda: next(ticks))}))
    monkeypatch.setattr(run_tree, "preview_functions", lambda tree: (
        lambda root, output, clock, jobs: built.append(article.read_text(encoding="utf-8")),
        lambda root, output: indexed.append(len(built))))
    figures = run_tree.warm(ROOT, tmp_path, "2027-01-01T00:00+07:00", 1)
    assert figures["wall"] == 2 and round(figures["stats"]["search_after_seconds"], 6) == 0.2
    assert len(built) == 4 and len(set(built)) == 4  # the warm-up, then three builds, each after an edit
    assert indexed == [1, 2, 3, 4]  # the search index after each, as the preview server makes it


def test_table_rows_give_each_build_as_a_ratio_of_hugo_of_hugo_and_pagefind_and_of_the_baseline(compare):
    rows = compare.table_rows("6 posts, shipped data (40 pages)", _results(compare))
    cold = next(row for row in rows if "portal, cold" in row)
    assert cold.split(" | ")[-3:] == ["5.00", "2.50", "0.50 |"]
    assert rows[0] == cold  # the portal first, then the baseline, then the peers
    assert all(row.count("|") == compare.HEADER.splitlines()[0].count("|") for row in rows)
    assert any("baseline 38fb3f1, cold (no cache)" in row for row in rows)
    warm = next(row for row in rows if "portal, warm preview" in row)
    assert "0.50 s, then 0.30 s for the search index once the page is shown" in warm.split(" | ")


def test_verdicts_are_met_or_not_met_and_missing_corpora_are_said_so(compare):
    corpora = compare.QUICK_CORPORA
    results = {corpora["shipped"]: _results(compare), corpora["charts"]: _results(compare)}
    lines = {v.target.split(": ", 1)[1]: v.line() for v in compare.verdicts(results, corpora)}
    assert lines["cold ≤ 3.5 × (Hugo + Pagefind)"].endswith("| 2.50 × | met |")
    assert lines["one-article rebuild ≤ 1 × Hugo's full build"].endswith("| 0.75 × | met |")
    assert lines["nothing-changed rebuild ≤ 0.7 × Hugo's full build"].endswith("| 0.50 × | met |")
    assert lines["warm preview one-article rebuild ≤ 0.5 s"].endswith("| 0.40 s | met |")
    assert lines["cold ≤ 0.8 × the baseline's cold build"].endswith("| 0.50 × | met |")
    assert lines["one-CSV rebuild ≤ 2 × Hugo's full build"].endswith("| 1.50 × | met |")
    growth = f"cold ≤ 5.5 × the cold build of {corpora['charts'][0]} posts, {compare.charts(corpora['charts'][1])}"
    assert "not measured in this run" in lines[growth]

    results[corpora["large"]] = _results(compare, scale=6.0)
    large = {v.target.split(": ", 1)[1]: v.line() for v in compare.verdicts(results, corpora)}
    assert large[growth].endswith("| 6.00 × | NOT met |")
    assert "| 300 MiB | met |" in large[next(k for k in large if k.startswith("peak memory"))]
    table = compare.verdict_table(compare.verdicts(results, corpora))
    assert table[:2] == ["| target | measured | result |", "|---|---|---|"]


def test_corpus_argument(compare):
    assert compare.parse_corpus("2000/0") == (2000, 0)
    assert compare.parse_corpus("10000/500") == (10000, 500)


def test_a_change_to_the_code_or_templates_during_a_run_is_noticed(compare, tmp_path):
    for folder, name in (("portal", "build.py"), ("templates", "base.html")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text("one", encoding="utf-8")
    before = compare.code_digest(tmp_path)
    (tmp_path / "templates/base.html").write_text("two", encoding="utf-8")
    assert compare.code_digest(tmp_path) != before
    (tmp_path / "templates/base.html").write_text("one", encoding="utf-8")
    (tmp_path / "portal/__pycache__").mkdir()
    (tmp_path / "portal/__pycache__/build.pyc").write_bytes(b"compiled")
    assert compare.code_digest(tmp_path) == before


def test_chart_parts_benchmark_times_every_part_of_every_chart_in_every_language(tmp_path):
    # In a child process: vl-convert's threads must not be started in the one that later forks page workers.
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "chart_parts.py"), "--datasets", "1"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    parts = {cells[0].strip(): cells[1:] for cells in rows[1:]}
    assert {"specs (Altair)", "SVG wide", "SVG wide, built-in font", "preview image (PNG)",
            "framed image (SVG + PNG)"} <= parts.keys()
    for made, total, mean in parts.values():
        assert int(made) == 3  # one chart, three languages
        assert float(total.strip().removesuffix(" s")) >= 0 and mean.strip().endswith("ms")
    assert "synthetic" in done.stdout
