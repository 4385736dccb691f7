"""Parallel and incremental builds: the same bytes as a serial build from nothing, whatever the cache holds."""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import TINY_PACKAGE, parse, tree_digest, write_project
from portal import search
from portal.build import executor, memo
from portal.errors import BuildError, Problem
from portal.write import Staging
from portal.build import build

CLOCK = "2024-06-01T00:00+07:00"
BUILD = Path(__file__).resolve().parents[1] / "build.py"
LANGS = ("vi", "en", "ar")


def _package() -> dict:
    """The tiny package with three indicators (generated test data), so charts go to the workers too."""
    package = copy.deepcopy(TINY_PACKAGE)
    counts = package["resources"][0]
    for number in (2, 3):
        twin = copy.deepcopy(counts)
        twin["name"], twin["path"] = f"counts{number}", f"counts{number}.csv"
        twin["indicator"]["slug"] = f"counts-{number}"
        package["resources"].append(twin)
    return package


def _article(day: int, lang: str, tags: list[str], words: str = "Nội dung thử") -> str:
    # Some articles quote a figure from the data, so a CSV change reaches them and no others.
    figure = ', with {{ figure "counts.issued" }} issued' if day % 4 == 0 else ""
    return textwrap.dedent(f"""\
        ---
        title: "Bản tin thử {day} {lang}"
        date: 2024-03-{day:02d}
        summary: "Tóm tắt thử {day}."
        tags: {tags!r}
        ---

        {words} {day}{figure}.
        """).replace("'", '"')


def make_newsroom(root: Path) -> Path:
    """A scratch project with generated data and twenty announcements in three languages."""
    files = {f"data/counts{n}.csv": "date,unit_code,issued\n2023-06-30,40,100\n2023-12-31,40,150\n" for n in (2, 3)}
    for day in range(1, 21):
        lang = LANGS[day % 3]
        files[f"content/announcements/2024-03-{day:02d}-tin-{day}.{lang}.md"] = _article(day, lang, ["thử", f"nhóm {day % 4}"])
    # One from the year before: each year's announcements have a search bundle of their own.
    files["content/announcements/2023-11-05-tin-cu.en.md"] = _article(5, "en", ["thử"]).replace("2024-03-05", "2023-11-05")
    return write_project(root, files, _package())


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory) -> Path:
    """The newsroom built once in parallel, its cache warm."""
    root = make_newsroom(tmp_path_factory.mktemp("newsroom") / "project")
    build(root, root / "site", clock=CLOCK, jobs=2)
    return root


def _clean_build(root: Path, output: Path, jobs: int = 2) -> dict[str, str]:
    """Build with no cache at all; return the digest of every file."""
    shutil.rmtree(root / memo.CACHE_DIR, ignore_errors=True)
    build(root, output, clock=CLOCK, jobs=jobs)
    shutil.rmtree(root / memo.CACHE_DIR, ignore_errors=True)
    return tree_digest(output)


def test_map_ordered_uses_several_processes_and_keeps_order(monkeypatch):
    # Earlier tests may have started vl-convert here; these workers never touch it.
    monkeypatch.setattr(executor, "fork_unsafe", False)
    results = list(executor.map_ordered(_pid_and_square, list(range(40)), jobs=2))
    assert [square for _pid, square in results] == [n * n for n in range(40)]
    assert len({pid for pid, _square in results}) == 2
    assert os.getpid() not in {pid for pid, _square in results}


def _pid_and_square(number: int) -> tuple[int, int]:
    time.sleep(0.02)  # long enough that both workers get a share
    return os.getpid(), number * number


def test_a_process_that_started_vl_convert_works_alone(monkeypatch):
    monkeypatch.setattr(executor, "fork_unsafe", True)
    assert {pid for pid, _square in executor.map_ordered(_pid_and_square, list(range(40)), jobs=2)} == {os.getpid()}


def test_workers_forked_early_stay_small_keep_order_and_report_problems(monkeypatch):
    monkeypatch.setattr(executor, "fork_unsafe", False)
    with executor.early_pool(2) as pool:
        # The build grows after the fork (it reads the announcements); its early workers do not.
        ballast = bytearray(b"x" * (160 * 1024 * 1024))
        results = list(executor.map_ordered(_pid_rss_and_square, list(range(12)), jobs=2, min_items=1, pool=pool))
        with pytest.raises(BuildError) as caught:
            list(executor.map_ordered(_fail_on_three, list(range(6)), jobs=2, min_items=1, pool=pool))
    assert [square for _pid, _rss, square in results] == [n * n for n in range(12)]
    assert os.getpid() not in {pid for pid, _rss, _square in results}
    assert max(rss for _pid, rss, _square in results) < _rss_mib() - 120
    assert [p.message for p in caught.value.problems] == ["three is not allowed"]
    del ballast


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def _pid_rss_and_square(number: int) -> tuple[int, float, int]:
    time.sleep(0.02)
    return os.getpid(), _rss_mib(), number * number


def _fail_on_three(number: int) -> int:
    if number == 3:
        raise BuildError([Problem("x.csv", 1, None, "three is not allowed")])
    return number


def _build_in_new_process(root: Path, output: Path, jobs: int) -> subprocess.CompletedProcess:
    # A fresh process: one that has run vl-convert (earlier tests) would not fork executor.
    command = [sys.executable, str(BUILD), "--project", str(root), "build", "--output", str(output),
               "--clock", CLOCK, "--jobs", str(jobs)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_a_build_error_in_a_worker_reaches_the_caller_with_its_problems(tmp_path):
    root = make_newsroom(tmp_path / "project")
    broken = root / "content/announcements/2024-03-04-tin-4.en.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("summary:", "summry:"), encoding="utf-8")
    result = _build_in_new_process(root, root / "site", jobs=2)
    assert result.returncode == 1
    assert "content/announcements/2024-03-04-tin-4.en.md:4: unknown key `summry`; did you mean `summary`?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "site").exists()


def test_parallel_build_is_byte_identical_to_a_serial_one(tmp_path):
    root = make_newsroom(tmp_path / "project")
    serial = _clean_build(root, tmp_path / "serial", jobs=1)
    result = _build_in_new_process(root, tmp_path / "parallel", jobs=2)
    assert result.returncode == 0, result.stderr
    shutil.rmtree(root / memo.CACHE_DIR)
    parallel = tree_digest(tmp_path / "parallel")
    assert parallel == serial
    assert len([p for p in serial if p.endswith(".html")]) > 60


def _edit_article(root: Path) -> None:
    path = root / "content/announcements/2024-03-07-tin-7.en.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Nội dung thử", "Changed text"), encoding="utf-8")


def _retitle_article(root: Path) -> None:
    path = root / "content/announcements/2024-03-20-tin-20.ar.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Bản tin thử 20", "New title"), encoding="utf-8")


def _edit_csv(root: Path) -> None:
    path = root / "data/counts.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",1500", ",1750"), encoding="utf-8")


def _remove_article(root: Path) -> None:
    (root / "content/announcements/2024-03-18-tin-18.vi.md").unlink()


def _add_article(root: Path) -> None:
    (root / "content/announcements/2024-03-25-tin-25.ar.md").write_text(_article(25, "ar", ["جديد"]), encoding="utf-8")


def _edit_template(root: Path) -> None:
    path = root / "templates/announcement.html"
    path.write_text(path.read_text(encoding="utf-8").replace("</article>", "<!-- edited --></article>", 1),
                    encoding="utf-8")


def _edit_config(root: Path) -> None:
    path = root / "site.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('title = "Minh bạch Đề án 06 tỉnh Nghệ An"', 'title = "Cổng thử"'), encoding="utf-8")


def _name_publisher(root: Path) -> None:
    # Only the heads of most pages show it (their JSON-LD), which are made for the pages to render alone.
    path = root / "data/datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    package["contributors"] = [{"title": "Generated test publisher", "role": "publisher"}]
    path.write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")


CHANGES = {"article text": _edit_article, "article title": _retitle_article, "csv": _edit_csv,
           "article removed": _remove_article, "article added": _add_article, "template": _edit_template, "config": _edit_config,
           "publisher": _name_publisher}


@pytest.mark.parametrize("change", CHANGES)
def test_incremental_build_is_byte_identical_to_a_clean_build(newsroom, tmp_path, change):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    build(root, root / "site", clock=CLOCK, jobs=2)  # nothing changed: the site in this copy is described
    before = _inodes(root / "site")
    CHANGES[change](root)
    build(root, root / "site", clock=CLOCK, jobs=2)
    incremental = tree_digest(root / "site")
    rendered = {name for name, inode in _inodes(root / "site").items() if name.endswith(".html") and before.get(name) != inode}
    assert incremental == _clean_build(root, tmp_path / "clean")
    pages = [p for p in incremental if p.endswith(".html")]
    if change in ("template", "config", "publisher"):
        assert len(rendered) >= 20  # every announcement page in every language
    else:
        # Only the pages that show what changed are made again; the rest come from the cache.
        assert 0 < len(rendered) < len(pages) / 3, (len(rendered), len(pages))
    if change == "article removed":
        assert "news/tin-18.html" not in incremental
        assert "en/news/tin-18.html" not in incremental


def _inodes(site: Path) -> dict[str, int]:
    """Each file of a built site and its inode: a file linked from the previous site keeps its inode."""
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*") if p.is_file()}


def _record_indexing(monkeypatch) -> list[str]:
    """Let Pagefind run as usual, noting each bundle ("en/news/2024", ...) it indexes in the returned list."""
    indexed: list[str] = []
    real = search.run_pagefind

    def recording(source, bundle):
        indexed.append(source.as_posix().split(f"/{search.SEARCH_INPUT}/", 1)[1])
        real(source, bundle)

    monkeypatch.setattr(search, "run_pagefind", recording)
    return indexed


def test_an_edited_announcement_re_indexes_its_own_language_and_year_only(newsroom, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    indexed = _record_indexing(monkeypatch)
    _edit_article(root)  # an English announcement
    build(root, root / "site", clock=CLOCK, jobs=2)
    assert indexed == ["en/news/2024"]
    assert (root / "site/pagefind/en/news/2023/pagefind-entry.json").is_file()
    assert tree_digest(root / "site") == _clean_build(root, tmp_path / "clean")


def test_a_preview_build_shows_the_edit_first_and_its_search_index_follows(newsroom, tmp_path, monkeypatch):
    from portal.build import finish_preview

    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    site = root / "site"
    bundle = "pagefind/en/news/2024/"  # the edited English announcement's bundle
    index_before = {name: digest for name, digest in tree_digest(site).items() if name.startswith(bundle)}
    indexed = _record_indexing(monkeypatch)
    _edit_article(root)
    build(root, site, clock=CLOCK, jobs=2, preview=True)
    assert indexed == []  # the pages are in place before Pagefind runs
    shown = tree_digest(site)
    assert {name: digest for name, digest in shown.items() if name.startswith(bundle)} == index_before
    assert [name for name in os.listdir(root) if name.startswith(("site.retired-", "site.tmp-"))]  # the old site, left for later

    assert finish_preview(root, site) is True
    assert indexed == ["en/news/2024"]
    assert not [name for name in os.listdir(root) if name.startswith(("site.retired-", "site.tmp-"))]
    clean = _clean_build(root, tmp_path / "clean")
    assert tree_digest(site) == clean
    # Every file but that bundle's was already the final one.
    assert {name: digest for name, digest in shown.items() if not name.startswith(bundle)} == \
        {name: digest for name, digest in clean.items() if not name.startswith(bundle)}
    assert finish_preview(root, site) is False  # nothing waits any more


def test_a_build_after_a_preview_build_brings_the_search_index_up_to_date(newsroom, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    _edit_article(root)
    build(root, root / "site", clock=CLOCK, jobs=2, preview=True)
    indexed = _record_indexing(monkeypatch)
    build(root, root / "site", clock=CLOCK, jobs=2)  # no finish_preview: the preview was stopped first
    assert indexed == ["en/news/2024"]
    assert not [name for name in os.listdir(root) if name.startswith(("site.retired-", "site.tmp-"))]
    assert tree_digest(root / "site") == _clean_build(root, tmp_path / "clean")


def test_a_preview_site_edited_by_hand_is_not_indexed_but_built_again(newsroom, tmp_path):
    from portal.build import finish_preview

    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    _edit_article(root)
    build(root, root / "site", clock=CLOCK, jobs=2, preview=True)
    (root / "site/index.html").write_text("defaced", encoding="utf-8")
    assert finish_preview(root, root / "site") is False
    assert (root / "site/index.html").read_text(encoding="utf-8") == "defaced"
    build(root, root / "site", clock=CLOCK, jobs=2)
    assert tree_digest(root / "site") == _clean_build(root, tmp_path / "clean")


def test_an_edited_csv_re_indexes_the_data_pages_only(newsroom, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    indexed = _record_indexing(monkeypatch)
    path = root / "data/counts2.csv"  # a dataset no announcement quotes
    path.write_text(path.read_text(encoding="utf-8").replace(",150", ",175"), encoding="utf-8")
    build(root, root / "site", clock=CLOCK, jobs=2)
    assert indexed == ["ar/data", "en/data", "vi/data"]
    assert tree_digest(root / "site") == _clean_build(root, tmp_path / "clean")


def test_unchanged_files_are_linked_from_the_current_site_and_touched_ones_made_again(newsroom, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    build(root, root / "site", clock=CLOCK, jobs=2)  # the cache now describes this site
    inodes = {p.relative_to(root / "site").as_posix(): p.stat().st_ino for p in (root / "site").rglob("*") if p.is_file()}
    (root / "site/index.html").write_text("defaced", encoding="utf-8")  # edited by hand since
    _edit_article(root)
    build(root, root / "site", clock=CLOCK, jobs=2)
    after = {p.relative_to(root / "site").as_posix(): p.stat().st_ino for p in (root / "site").rglob("*") if p.is_file()}
    linked = {name for name, inode in after.items() if inodes.get(name) == inode}
    assert len(linked) > 0.8 * len(after), (len(linked), len(after))
    assert {"index.html", "en/news/tin-7.html"} <= set(after) - linked
    # The English announcements are indexed again; every other bundle is the very same files.
    assert not any(name.startswith("pagefind/en/news/2024/") for name in linked)
    assert {name for name in after if name.startswith(("pagefind/vi/", "pagefind/ar/", "pagefind/en/data/", "pagefind/en/news/2023/"))} <= linked
    assert tree_digest(root / "site") == _clean_build(root, tmp_path / "clean")


@pytest.mark.parametrize("settled", [False, True], ids=["just-written", "long-since-written"])
def test_an_edit_that_keeps_size_and_modification_time_is_seen_by_the_same_process(tmp_path, settled):
    # A preview server builds again in the process that read the files before: an edit of the
    # same length, with its modification time put back (as some tools do), must still show.
    root = write_project(tmp_path / "project")
    article = root / "content/announcements/2024-02-01-ban-tin-thu.vi.md"
    template = root / "templates/base.html"
    if settled:  # written well before the first build read them
        for path in (article, template):
            os.utime(path, ns=(time.time_ns() - 10**10,) * 2)
    build(root, root / "site", clock=CLOCK, jobs=1)
    for path, old, new in ((article, "Nội dung", "Nội-dung"), (template, 'charset="utf-8"', 'charset="UTF-8"')):
        stat = path.stat()
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert path.stat().st_size == stat.st_size
    build(root, root / "site", clock=CLOCK, jobs=1)
    page = parse(root / "site/news/ban-tin-thu.html")
    assert "Nội-dung" in page.find("main").get_text()
    assert page.find("meta", charset=True)["charset"] == "UTF-8"


def test_rebuild_with_nothing_changed_renders_nothing_and_reuses_the_search_index(newsroom, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    build(root, root / "site", clock=CLOCK, jobs=2)  # the site in this copy is now described
    before = _inodes(root / "site")

    def no_indexing(*args):
        raise AssertionError("Pagefind ran although no searchable page changed")

    monkeypatch.setattr(search, "run_pagefind", no_indexing)
    folder = (root / "site").stat().st_ino
    summary = build(root, root / "site", clock=CLOCK, jobs=2)
    assert _inodes(root / "site") == before and (root / "site").stat().st_ino == folder  # left exactly as it was
    assert summary.pages == len([name for name in before if name.endswith(".html")])
    assert tree_digest(root / "site") == tree_digest(newsroom / "site")


def test_damaged_cache_is_ignored(newsroom, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    entries = [p for p in (root / memo.CACHE_DIR).rglob("*") if p.is_file()]
    assert len(entries) > 50
    for number, path in enumerate(entries):
        data = path.read_bytes()
        # Truncated, flipped or emptied, as a full disk or an interrupted copy would leave them.
        path.write_bytes(data[: len(data) // 2] if number % 3 == 0 else data[:-1] + b"x" if number % 3 == 1 else b"")
    build(root, root / "site", clock=CLOCK, jobs=2)
    assert tree_digest(root / "site") == tree_digest(newsroom / "site")


def test_cache_of_another_version_is_never_read(newsroom, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    old = [p for p in (root / memo.CACHE_DIR).rglob("*") if p.is_file() and p.name != memo.PRUNE_MARK]
    yesterday = time.time() - 86400
    for path in old:
        os.utime(path, (yesterday, yesterday))
    monkeypatch.setattr(memo, "VERSIONS", memo.VERSIONS + ";another")
    build(root, root / "site", clock=CLOCK, jobs=1)
    assert [p for p in old if p.stat().st_mtime != yesterday] == []  # a read would have touched it
    assert tree_digest(root / "site") == tree_digest(newsroom / "site")


def test_unread_entries_are_pruned(newsroom, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    stale = root / memo.CACHE_DIR / "page" / ("0" * 64)
    stale.write_bytes(b"left by an old build")
    old = 30 * 86400
    os.utime(stale, (stale.stat().st_atime - old, stale.stat().st_mtime - old))
    mark = root / memo.CACHE_DIR / memo.PRUNE_MARK
    mark.unlink(missing_ok=True)
    build(root, root / "site", clock=CLOCK, jobs=2)
    assert not stale.exists()
    assert len(os.listdir(root / memo.CACHE_DIR / "page")) > 60  # what this build read stays
    # Pruned at most once a day: the next build leaves an old entry for tomorrow's.
    stale.write_bytes(b"left by an old build")
    os.utime(stale, (stale.stat().st_atime - old, stale.stat().st_mtime - old))
    build(root, root / "site", clock=CLOCK, jobs=1)
    assert stale.exists()
    os.utime(mark, (time.time() - 2 * 86400,) * 2)
    build(root, root / "site", clock=CLOCK, jobs=1)
    assert not stale.exists()


def test_unread_entries_of_the_shared_folder_are_pruned_and_nothing_else(newsroom, tmp_path, monkeypatch):
    # The folder every project shares (the Vega bundle, the measurement fonts): a bundle of an
    # earlier version goes; the fonts, their lock and the bundle in use stay.
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    shared = tmp_path / "user" / "p06-portal"
    stale, in_use = shared / "vega-bundle" / ("0" * 64), shared / "vega-bundle" / ("1" * 64)
    lock, font = shared / "fonts" / ".lock", shared / "fonts" / "abc" / "system-ui-Regular.ttf"
    for path in (stale, in_use, lock, font):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    old = time.time() - 30 * 86400
    for path in (stale, lock, font, font.parent):
        os.utime(path, (old, old))
    build(root, root / "site", clock=CLOCK, jobs=1)  # nothing changed: it prunes all the same
    assert not stale.exists()
    assert in_use.exists() and lock.exists() and font.exists()


def test_no_cache_folder_is_committed():
    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text(encoding="utf-8").split()
    assert "/.cache/" in ignored


@pytest.mark.parametrize("name", ["../outside.html", "/etc/outside.html", "a/../../outside.html", "", "./."])
def test_staging_refuses_names_outside_the_site(tmp_path, name):
    with Staging(tmp_path / "site") as staging:
        with pytest.raises(ValueError, match="outside the output folder"):
            staging.write(name, b"x")
    assert not (tmp_path / "outside.html").exists()


def test_staging_writes_links_and_records_nested_names(tmp_path):
    with Staging(tmp_path / "site") as staging:
        staging.write("a/b//c.html", b"one", key="k1")
        staging.link("a/b/c.html", "_index")
        staging.swap()
    assert (tmp_path / "site" / "a" / "b" / "c.html").read_bytes() == b"one"
    assert (tmp_path / "site" / "_index" / "a" / "b" / "c.html").read_bytes() == b"one"
    assert staging.manifest["a/b//c.html"][:2] == ("k1", 3)


def test_compiled_templates_are_read_back_from_the_memo_by_the_next_build(tmp_path):
    root = write_project(tmp_path / "p")
    build(root, root / "site")
    # A new process, as the next build is: it compiles no template, and builds the same site.
    script = textwrap.dedent(f"""
        import jinja2, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        def no_compiling(*args, **kwargs):
            raise AssertionError("compiled again")
        jinja2.Environment.compile = no_compiling
        from portal.build import build
        build(Path({str(root)!r}), Path({str(tmp_path / "again")!r}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert tree_digest(tmp_path / "again") == tree_digest(root / "site")


def test_a_rebuild_after_an_article_edit_loads_no_data_library(newsroom, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    _retitle_article(root)
    build(root, root / "site", clock=CLOCK, jobs=2)  # in its new place, the datasets are remembered as read from it
    _edit_article(root)
    # The next build is a new process: its datasets come back from the memo with their rows
    # still pickled, and none of its pages, charts or downloads needs them.
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from portal.build import build
        build(Path({str(root)!r}), Path({str(root / "site")!r}), clock={CLOCK!r}, jobs=2)
        print(json.dumps(sorted(m for m in ("pandas", "numpy", "altair", "vl_convert", "frictionless") if m in sys.modules)))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert tree_digest(root / "site") == _clean_build(root, tmp_path / "clean")


def test_fingerprint_of_a_frame_with_a_source_digest_column_is_of_its_rows():
    import pandas as pd

    one = pd.DataFrame({"source_digest": ["a", "b"]})
    two = pd.DataFrame({"source_digest": ["a", "c"]})
    assert memo.Memo(None).fingerprint(one) != memo.Memo(None).fingerprint(two)


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: object = None


def test_fingerprints_tell_apart_what_differs_and_agree_on_what_does_not():
    from pathlib import PurePosixPath

    values = [Colour, Colour.RED, Colour.BLUE, Point(1), Point(2), Point(1, Colour.RED), Point(1, (2, 3)),
              Path("a"), Path("b"), PurePosixPath("a"), complex(1, 2), complex(1, 3), frozenset({1}), len, max]
    prints = [memo.Memo(None).fingerprint(value) for value in values]
    assert None not in prints
    assert len(set(prints)) == len(values)
    assert prints == [memo.Memo(None).fingerprint(value) for value in values]


def test_unchanged_charts_are_linked_without_reading_their_files_from_the_cache(newsroom, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    build(root, root / "site", clock=CLOCK, jobs=1)  # the cache now describes this site
    charts = sorted(p.relative_to(root / "site").as_posix() for p in (root / "site/charts").iterdir())
    assert charts and any(name.endswith(".og.png") for name in charts)
    # One chart's preview edited by hand: its other files are linked first, then the chart is
    # made again, and the current site's copies (the same files, through the links) stay as they were.
    png = next(name for name in charts if name.endswith(".og.png"))
    siblings = [name for name in charts if name.startswith(png.removesuffix("og.png")) and name != png]
    (root / "site" / png).write_bytes(b"edited by hand")
    held = {name: (root / "site" / name).open("rb") for name in siblings}
    before = {name: (root / "site" / name).read_bytes() for name in siblings}
    read: list[str] = []
    real_get_object = memo.Cache.get_object

    def spy(self, key):
        read.append(key)
        return real_get_object(self, key)

    monkeypatch.setattr(memo.Cache, "get_object", spy)
    inodes = {name: (root / "site" / name).stat().st_ino for name in charts}
    build(root, root / "site", clock=CLOCK, jobs=1)
    for name, handle in held.items():
        assert handle.read() == before[name]
        handle.close()
    remade = {name for name in charts if (root / "site" / name).stat().st_ino != inodes[name]}
    assert remade == {png, *siblings}
    assert sum(key.startswith("chart/") for key in read) == 1  # the whole entry of the remade chart only
    assert tree_digest(root / "site") == _clean_build(root, tmp_path / "clean")


@pytest.mark.parametrize("tamper", ["edited", "removed", "added"])
def test_a_site_changed_by_hand_is_built_again_even_when_its_inputs_are_not(newsroom, tmp_path, tamper):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    build(root, root / "site", clock=CLOCK, jobs=1)  # the site in this copy is now described
    page = root / "site" / "en" / "news" / "tin-7.html"
    if tamper == "edited":
        page.write_text("defaced", encoding="utf-8")
    elif tamper == "removed":
        page.unlink()
    else:
        (root / "site" / "extra.html").write_text("left by hand", encoding="utf-8")
    build(root, root / "site", clock=CLOCK, jobs=1)
    assert tree_digest(root / "site") == tree_digest(newsroom / "site")


def test_a_rebuild_after_a_scheduled_moment_publishes_what_became_due(tmp_path):
    scheduled = """\
        ---
        title: "Sắp tới"
        date: 2024-02-01
        summary: "Tóm tắt."
        tags: []
        publish_at: 2024-02-01T10:00+07:00
        ---

        Nội dung.
    """
    root = write_project(tmp_path / "p", {"content/announcements/2024-02-01-sap-toi.vi.md": scheduled})
    build(root, root / "site", clock="2024-02-01T09:00+07:00")
    assert not (root / "site/news/sap-toi.html").exists()
    build(root, root / "site", clock="2024-02-01T09:30+07:00")  # nothing due yet: the same site
    assert not (root / "site/news/sap-toi.html").exists()
    build(root, root / "site", clock="2024-02-01T10:00+07:00")
    assert (root / "site/news/sap-toi.html").exists()


def test_chart_workers_start_vl_convert_early_only_when_charts_are_likely_to_be_drawn(newsroom, tmp_path):
    # The head start costs each early worker about a second of CPU: worth it after a CSV edit,
    # wasted after an article edit, whose charts all come from the memo. In a fresh process: one
    # that has drawn a chart itself (as earlier tests here do) never forks early workers.
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    marks = tmp_path / "started"
    marks.mkdir()
    script = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        from portal import charts
        from portal.build import build
        from test_incremental import _edit_article, _edit_csv
        charts.start_runtime = lambda: (Path({str(marks)!r}) / f"{{sys.argv[1]}}-{{os.getpid()}}").touch()
        root = Path({str(root)!r})
        (_edit_article if sys.argv[1] == "article" else _edit_csv)(root)
        build(root, root / "site", clock={CLOCK!r}, jobs=2)
    """)
    for change in ("article", "csv"):
        result = subprocess.run([sys.executable, "-c", script, change], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    started = sorted(path.name.split("-")[0] for path in marks.iterdir())
    assert started == ["csv", "csv"]  # each early worker, and only after the CSV edit


def test_a_release_file_removed_by_hand_is_written_again_and_the_rest_stays_linked(newsroom, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(newsroom, root)
    build(root, root / "site", clock=CLOCK, jobs=1)  # the site in this copy is now described
    release = {p.relative_to(root / "site").as_posix(): p.stat().st_ino
               for p in (root / "site" / "data").rglob("*") if p.is_file()}
    (root / "site/data/counts2.xlsx").unlink()
    _edit_article(root)  # the data did not change: the release is the same files
    build(root, root / "site", clock=CLOCK, jobs=1)
    assert (root / "site/data/counts2.xlsx").is_file()
    relinked = {name for name, inode in release.items() if (root / "site" / name).stat().st_ino == inode}
    zip_name = next(name for name in release if name.endswith(".zip"))
    # The zip (its bytes the same) is written anew with the release; every download is linked.
    assert set(release) - relinked <= {"data/counts2.xlsx", zip_name}, set(release) - relinked
    assert tree_digest(root / "site") == _clean_build(root, tmp_path / "clean")


def test_a_build_failing_while_charts_are_drawn_leaves_the_previous_site_and_no_staging_folder(tmp_path, monkeypatch):
    root = make_newsroom(tmp_path / "project")
    build(root, root / "site", clock=CLOCK, jobs=2)
    before = tree_digest(root / "site")
    (root / "data/counts2.csv").write_text("date,unit_code,issued\n2023-06-30,40,120\n2023-12-31,40,170\n",
                                          encoding="utf-8")  # its charts are drawn again by the workers
    from portal.build import output

    def broken_catalog(*args):  # fails while the workers are still drawing
        raise BuildError([Problem("data/datapackage.json", None, None, "the catalogue could not be made")])

    monkeypatch.setattr(output, "make_catalog", broken_catalog)
    with pytest.raises(BuildError):
        build(root, root / "site", clock=CLOCK, jobs=2)
    time.sleep(0.5)  # a worker left running would write into the staging folder meanwhile
    assert tree_digest(root / "site") == before
    assert not [name for name in os.listdir(root) if name.startswith("site.tmp")]
