"""The live preview: serves the site, rebuilds on change, reloads pages, shows errors in the browser."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import TINY_NEWS, write_project

TINY_NEWS_TEXT = textwrap.dedent(TINY_NEWS)

ROOT = Path(__file__).resolve().parents[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def wait_for(condition, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


DRAFT = """\
    ---
    title: "Bản nháp"
    date: 2024-01-15
    summary: "Chưa xong."
    tags: []
    draft: true
    ---

    Đang viết.
"""
SCHEDULED = DRAFT.replace("2024-01-15", "2090-01-01").replace("draft: true", "draft: false")


def warm_project(tiny_site, folder: Path, files: dict | None = None) -> Path:
    """A copy of the tiny project with its cache, so the preview's first build reuses its charts."""
    root = folder / "p"
    shutil.copytree(tiny_site, root, ignore=shutil.ignore_patterns("site"))
    return write_project(root, files)


@pytest.fixture(scope="module")
def preview(tiny_site, tmp_path_factory):
    root = warm_project(tiny_site, tmp_path_factory.mktemp("preview"),
                        {"content/announcements/2024-01-15-ban-nhap.vi.md": DRAFT,
                         "content/announcements/2090-01-01-sau-nay.vi.md": SCHEDULED})
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--project", str(root), "serve", "--port", "0",
                                "--drafts"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines = []

    def read():
        for line in process.stderr:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    address = wait_for(lambda: next((m.group(1) for line in lines
                                     if (m := re.search(r"Previewing at (http://127\.0\.0\.1:\d+/)", line))), None), 90)
    yield root, address, process
    process.terminate()
    process.wait(timeout=10)


def test_edit_is_served_and_a_reload_event_sent_then_errors_shown_and_cleared(preview):
    root, address, process = preview
    page_url = address + "news/ban-tin-thu.html"
    first = parse_text(fetch(page_url))
    assert first.select_one('script[src="/__preview/reload.js"]') is not None
    events = []

    def listen():
        with urllib.request.urlopen(address + "__preview/events", timeout=60) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    events.append(line)

    threading.Thread(target=listen, daemon=True).start()
    wait_for(lambda: events)
    article = root / "content/announcements/2024-02-01-ban-tin-thu.vi.md"
    article.write_text(article.read_text(encoding="utf-8").replace("Nội dung **thử**.", "Nội dung đã sửa."), encoding="utf-8")
    wait_for(lambda: "Nội dung đã sửa." in fetch(page_url))
    wait_for(lambda: len(events) >= 2)

    article.write_text(article.read_text(encoding="utf-8").replace('title: "Bản tin thử"', "title: [broken"), encoding="utf-8")
    panel = wait_for(lambda: parse_text(fetch(page_url)).select_one(".preview-error"))
    assert "content/announcements/2024-02-01-ban-tin-thu.vi.md:2: front matter is not valid YAML" in panel.get_text()
    assert "Nội dung đã sửa." in fetch(page_url)  # the previous good page is still served

    article.write_text(article.read_text(encoding="utf-8").replace("title: [broken", 'title: "Bản tin thử"'), encoding="utf-8")
    wait_for(lambda: parse_text(fetch(page_url)).select_one(".preview-error") is None)


def test_the_preview_builds_into_its_own_folder_whose_files_carry_no_preview_code(preview):
    root, address, _process = preview
    assert not (root / "site").exists()  # drafts never reach the published folder
    pages = list((root / ".preview").rglob("*.html"))
    assert pages and all("__preview" not in page.read_text(encoding="utf-8") for page in pages)
    assert "__preview" in fetch(address)


def test_drafts_and_scheduled_items_are_marked(preview):
    _root, address, _process = preview
    draft = parse_text(fetch(address + "news/ban-nhap.html"))
    assert "a draft; the published site does not show it" in draft.select_one(".preview-unpublished").get_text()
    later = parse_text(fetch(address + "news/sau-nay.html"))
    assert "scheduled for 2090-01-01T00:00:00+07:00" in later.select_one(".preview-unpublished").get_text()
    assert parse_text(fetch(address + "news/ban-tin-thu.html")).select_one(".preview-unpublished") is None
    listed = parse_text(fetch(address + "news/index.html"))
    badges = {a["href"]: a.select_one(".preview-badge").get_text() for a in listed.select("main a")
              if a.select_one(".preview-badge")}
    assert badges == {"ban-nhap.html": "draft", "sau-nay.html": "scheduled"}


def test_a_file_that_breaks_the_build_never_stops_the_preview(preview):
    root, address, _process = preview
    page_url = address + "news/ban-tin-thu.html"
    bad = root / "content/announcements/2024-02-30-ngay-sai.vi.md"
    bad.write_text(TINY_NEWS_TEXT, encoding="utf-8")
    panel = wait_for(lambda: parse_text(fetch(page_url)).select_one(".preview-error"))
    assert "2024-02-30-ngay-sai.vi.md: the date in the file name, 2024-02-30, is not a real date" in panel.get_text()
    bad.unlink()
    wait_for(lambda: parse_text(fetch(page_url)).select_one(".preview-error") is None)
    article = root / "content/announcements/2024-02-01-ban-tin-thu.vi.md"
    article.write_text(TINY_NEWS_TEXT.replace("Nội dung **thử**.", "Sửa sau lỗi."), encoding="utf-8")
    wait_for(lambda: "Sửa sau lỗi." in fetch(page_url))


def test_a_bug_in_a_rebuild_is_shown_and_the_next_rebuild_still_runs(capsys):
    from portal.serve import Preview

    outcomes = iter([ZeroDivisionError("a bug"), {}])

    def build():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    preview = Preview(build)
    preview.rebuild()
    assert "ZeroDivisionError: a bug" in preview.error and "please report it" in preview.error
    preview.rebuild()
    assert preview.error is None and preview.generation == 2
    assert "Traceback" in capsys.readouterr().err


def test_what_follows_a_build_runs_once_it_is_shown_and_reloads_search_pages_only(capsys):
    from portal.errors import BuildError
    from portal.serve import Preview

    steps = []
    outcomes = iter([True, BuildError.single("pagefind", "the search index could not be built")])

    def after():
        steps.append(("after", preview.generation))
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    preview = Preview(lambda: steps.append(("build", preview.generation)) or {}, after)
    preview.rebuild()
    # The pages were shown (generation 1) before the search index was brought up to date (2).
    assert steps == [("build", 0), ("after", 1)]
    assert (preview.generation, preview.built, preview.error) == (2, 1, None)
    preview.rebuild()
    assert "pagefind: the search index could not be built" in preview.error
    assert preview.built == preview.generation == 4  # a problem is shown on every page
    assert "Traceback" not in capsys.readouterr().err


def test_a_search_event_follows_the_reload_event_of_an_edit(preview):
    root, address, _process = preview
    lines = []

    def listen():
        with urllib.request.urlopen(address + "__preview/events", timeout=60) as stream:
            for raw in stream:
                lines.append(raw.decode().strip())

    threading.Thread(target=listen, daemon=True).start()
    wait_for(lambda: any(line.startswith("data:") for line in lines))

    def quiet() -> bool:  # what an earlier test's edit still sends has arrived
        seen = len(lines)
        time.sleep(2)
        return len(lines) == seen

    wait_for(quiet, 60)
    before = len(lines)
    article = root / "content/announcements/2024-02-01-ban-tin-thu.vi.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nMột câu nữa.\n", encoding="utf-8")
    wait_for(lambda: "event: search" in lines[before:])
    sent = [line for line in lines[before:] if line]
    # The reload of every page, then the search index's event (its data line is its generation).
    assert sent[0].startswith("data:") and sent[1] == "event: search", sent
    assert "Một câu nữa." in fetch(address + "news/ban-tin-thu.html")


def test_a_port_in_use_is_one_line_with_a_free_port_to_try(tmp_path):
    root = write_project(tmp_path / "p")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(root), "serve", "--port",
                                 str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert re.fullmatch(rf"Error: port {port} on 127\.0\.0\.1 is in use by another program; "
                        r"the next free one is (\d+): use --port \1", line), line
    assert not (root / "site").exists() and not (root / ".preview").exists()


def test_the_preview_refuses_the_published_folder(tmp_path):
    root = write_project(tmp_path / "p")
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(root), "serve", "--output",
                             str(root / "site")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "never builds into site/" in result.stderr


def _ignore_ctrl_c():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("started, stop", [
    (None, signal.SIGINT),  # Ctrl+C in a terminal
    (_ignore_ctrl_c, signal.SIGINT),  # a background job of a shell without job control
    (None, signal.SIGTERM),  # kill
], ids=["ctrl-c", "ctrl-c-in-a-background-job", "kill"])
def test_stopping_leaves_no_process_behind(tiny_site, tmp_path, started, stop):
    root = warm_project(tiny_site, tmp_path)
    # With faulthandler on, SIGABRT makes a preview that does not stop print where each thread is.
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--project", str(root), "serve", "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONFAULTHANDLER": "1"}, preexec_fn=started)
    for line in process.stderr:
        if "Previewing at" in line:
            break
    process.send_signal(stop)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        _out, told = process.communicate(timeout=30)
        pytest.fail(f"the preview did not stop within 30 s of {stop.name}; its threads:\n{told[-6000:]}")
    assert code == 0
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout
    assert children == ""


def parse_text(text: str):
    from bs4 import BeautifulSoup
    return BeautifulSoup(text, "html.parser")
