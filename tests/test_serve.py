"""The live preview: serves the site, rebuilds on change, reloads pages, shows errors in the browser."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import write_project

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


@pytest.fixture
def preview(tmp_path):
    root = write_project(tmp_path / "p")
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--project", str(root), "serve", "--port", "0"],
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
    assert "content/announcements/2024-02-01-ban-tin-thu.vi.md:3: front matter is not valid YAML" in panel.get_text()
    assert "Nội dung đã sửa." in fetch(page_url)  # the previous good page is still served

    article.write_text(article.read_text(encoding="utf-8").replace("title: [broken", 'title: "Bản tin thử"'), encoding="utf-8")
    wait_for(lambda: parse_text(fetch(page_url)).select_one(".preview-error") is None)


def test_published_build_carries_no_preview_code(preview):
    root, _address, _process = preview
    for page in (root / "site").rglob("*.html"):
        assert "__preview" not in page.read_text(encoding="utf-8")


def test_stopping_leaves_no_process_behind(tmp_path):
    root = write_project(tmp_path / "p")
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--project", str(root), "serve", "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in process.stderr:
        if "Previewing at" in line:
            break
    process.send_signal(2)  # Ctrl+C
    assert process.wait(timeout=15) == 0
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout
    assert children == ""


def parse_text(text: str):
    from bs4 import BeautifulSoup
    return BeautifulSoup(text, "html.parser")
