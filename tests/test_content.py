"""Announcements: front matter checked with file and line, Markdown rendered safely."""

import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal.content import load_announcements, render_markdown
from portal.errors import BuildError

LANGS = ("vi", "en", "ar")
GOOD = """\
    ---
    title: "Căn cước gắn chip"
    date: 2024-01-19
    summary: "Tóm tắt."
    tags: ["căn cước"]
    ---

    # Tiêu đề

    Đoạn văn.
"""


def load(tmp_path: Path, files: dict[str, str]):
    folder = tmp_path / "content" / "announcements"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return load_announcements(tmp_path, LANGS)


def problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(BuildError) as caught:
        load(tmp_path, files)
    return [p.format() for p in caught.value.problems]


def test_good_file_loads_with_language_slug_and_shifted_headings(tmp_path):
    (item,) = load(tmp_path, {"2024-01-19-can-cuoc.vi.md": GOOD})
    assert (item.lang, item.slug, str(item.date), item.tags) == ("vi", "can-cuoc", "2024-01-19", ("căn cước",))
    html = BeautifulSoup(item.body_html, "html.parser")
    assert not html.select("h1") and html.select_one("h2").get_text() == "Tiêu đề"


def test_every_front_matter_problem_in_every_file_is_listed(tmp_path):
    bad_date = GOOD.replace("date: 2024-01-19", "date: 19/01/2024")
    unknown = GOOD.replace('tags: ["căn cước"]', 'tags: ["căn cước"]\n    tilte: "x"')
    no_title = GOOD.replace('    title: "Căn cước gắn chip"\n', "")
    found = problems(tmp_path, {
        "2024-01-19-a.vi.md": bad_date, "2024-01-19-b.vi.md": unknown, "2024-01-19-c.vi.md": no_title,
    })
    assert found == [
        "content/announcements/2024-01-19-a.vi.md:3: `date` must be a date written YYYY-MM-DD, not '19/01/2024'",
        "content/announcements/2024-01-19-b.vi.md:6: unknown key `tilte`; did you mean `title`?",
        "content/announcements/2024-01-19-c.vi.md:1: front matter is missing `title`",
    ]


def test_yaml_syntax_error_names_the_line(tmp_path):
    found = problems(tmp_path, {"2024-01-19-a.vi.md": GOOD.replace('summary: "Tóm tắt."', 'summary: "Tóm tắt.')})
    assert found[0].startswith("content/announcements/2024-01-19-a.vi.md:")
    assert "front matter is not valid YAML" in found[0]


@pytest.mark.parametrize("name, message", [
    ("ban-tin.vi.md", "file name must look like YYYY-MM-DD-short-title.LANG.md"),
    ("2024-01-19-Căn-Cước.vi.md", "file name must look like"),
    ("2024-01-19-tin.fr.md", "language 'fr' is not one of vi, en, ar"),
])
def test_bad_file_names(tmp_path, name, message):
    assert message in problems(tmp_path, {name: GOOD})[0]


def test_date_must_match_the_file_name(tmp_path):
    assert "differs from the date in the file name" in problems(tmp_path, {"2024-01-20-a.vi.md": GOOD})[0]


def test_missing_front_matter(tmp_path):
    assert problems(tmp_path, {"2024-01-19-a.vi.md": "Chỉ có nội dung.\n"}) == [
        "content/announcements/2024-01-19-a.vi.md:1: the file must start with front matter between two lines of ---"]


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '[click](javascript:alert(1))',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<iframe src="https://example.org"></iframe>',
    '<svg><script>alert(1)</script></svg>',
    '<p style="display:none">hidden</p>',
    '<div title="a"b" onclick="x">malformed</div>',
    '<object data="x.swf"></object><embed src="x">',
    '<form action="https://example.org"><input name="q"></form>',
]


@pytest.mark.parametrize("snippet", HOSTILE)
def test_hostile_markup_leaves_nothing_executable(snippet):
    html = BeautifulSoup(render_markdown(f"Text\n\n{snippet}\n"), "html.parser")
    for element in html.find_all(True):
        assert element.name not in {"script", "iframe", "svg", "object", "embed", "form", "input", "style"}
        for attribute, value in element.attrs.items():
            assert not attribute.startswith("on") and attribute != "style"
            if attribute in ("href", "src"):
                assert not str(value).strip().lower().startswith(("javascript:", "data:"))


def test_external_links_get_noopener():
    html = BeautifulSoup(render_markdown("[site](https://example.org)"), "html.parser")
    assert set(html.a["rel"]) == {"noopener", "noreferrer"}


def test_markdown_tables_and_footnotes():
    html = BeautifulSoup(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1]\n\n[^1]: Note.\n"), "html.parser")
    assert html.select("table td") and html.select(".footnote")
