"""Announcements: every front matter and text problem reported with file and line, Markdown rendered safely."""

import datetime as dt
import os
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal import content
from portal.config import PORTAL_TZ
from portal.content import load_announcements, render_markdown, slugify
from portal.errors import BuildError
from portal.markup import Names, make_markup

LANGS = ("vi", "en", "ar")
NAMES = Names(charts=("counts", "rates"), figures=("counts.issued", "rates.rate_pct"))
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
FILE = "content/announcements/2024-01-19-a.vi.md"


def load(tmp_path: Path, files: dict[str, str], names: Names = NAMES):
    folder = tmp_path / "content" / "announcements"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return load_announcements(tmp_path, LANGS, names)


def problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(BuildError) as caught:
        load(tmp_path, files)
    return [p.format() for p in caught.value.problems]


def one_problem(tmp_path: Path, text: str) -> str:
    (found,) = problems(tmp_path, {"2024-01-19-a.vi.md": text})
    return found


def with_body(body: str) -> str:
    """GOOD with another text; its first line is line 8 of the file."""
    return GOOD.replace("    # Tiêu đề\n\n    Đoạn văn.\n", textwrap.indent(body, "    "))


def test_good_file_loads_with_language_slug_and_shifted_headings(tmp_path):
    (item,) = load(tmp_path, {"2024-01-19-can-cuoc.vi.md": GOOD})
    assert (item.lang, item.slug, str(item.date), item.tags) == ("vi", "can-cuoc", "2024-01-19", ("căn cước",))
    assert item.moment == dt.datetime(2024, 1, 19, tzinfo=PORTAL_TZ) and not item.has_time
    assert (item.draft, item.publish_at, item.expire_at, item.image) == (False, None, None, None)
    html = BeautifulSoup(item.body_html, "html.parser")
    assert not html.select("h1") and html.select_one("h2").get_text() == "Tiêu đề"
    assert item.reading_minutes == 1


def test_an_unchanged_file_is_not_parsed_again_and_an_edited_one_is(tmp_path, monkeypatch):
    from portal.build.executor import Executor
    from portal.build.inputs import load_news
    from portal.build.memo import Memo
    from portal.content import Rules

    folder = tmp_path / "content" / "announcements"
    folder.mkdir(parents=True)
    path = folder / FILE.rsplit("/", 1)[1]
    path.write_text(GOOD, encoding="utf-8")
    parsed: list[str] = []
    real = content.load_announcement
    monkeypatch.setattr(content, "load_announcement", lambda *args: parsed.append(args[-1].name) or real(*args))

    def news(rules=Rules(LANGS)):
        memo = Memo(tmp_path)
        (item,) = load_news(tmp_path, rules, memo, Executor(1))
        return item, memo.fingerprint(item)

    first, first_print = news()
    assert parsed == [path.name]
    again, again_print = news()  # read back from the memo
    assert parsed == [path.name] and again == first and again.src_path == path and again_print == first_print
    path.write_text(GOOD.replace("Đoạn văn.", "Đoạn khác."), encoding="utf-8")
    edited, edited_print = news()
    assert parsed == [path.name] * 2 and edited_print != first_print and edited.body_html != first.body_html
    _other, other_print = news(Rules(LANGS, site_host="example.org"))
    assert parsed == [path.name] * 3 and other_print not in (first_print, edited_print)


def test_every_optional_key_is_read(tmp_path):
    (tmp_path / "content" / "images").mkdir(parents=True)
    (tmp_path / "content" / "images" / "hoi-nghi.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    text = GOOD.replace('tags: ["căn cước"]', """tags: ["căn cước", "VNeID", "căn  cước"]
    draft: true
    publish_at: 2024-01-20T08:00+07:00
    expire_at: 2024-03-01
    image: hoi-nghi.jpg
    image_alt: "Hội nghị sơ kết"
    author: "Công an tỉnh\"""")
    (item,) = load(tmp_path, {"2024-01-19-can-cuoc.vi.md": text})
    assert item.tags == ("căn cước", "VNeID")
    assert item.draft and item.author == "Công an tỉnh"
    assert item.publish_at == dt.datetime(2024, 1, 20, 8, tzinfo=PORTAL_TZ) == item.appears_at
    assert item.expire_at == dt.datetime(2024, 3, 1, tzinfo=PORTAL_TZ)
    assert (item.image, item.image_alt, item.images) == ("hoi-nghi.jpg", "Hội nghị sơ kết", ("hoi-nghi.jpg",))


@pytest.mark.parametrize("value, moment", [
    ("2024-01-19T08:30", dt.datetime(2024, 1, 19, 8, 30, tzinfo=PORTAL_TZ)),
    ('"2024-01-19 08:30:15"', dt.datetime(2024, 1, 19, 8, 30, 15, tzinfo=PORTAL_TZ)),
    ("2024-01-19T01:30:00Z", dt.datetime(2024, 1, 19, 8, 30, tzinfo=PORTAL_TZ)),
    ("2024-01-18T20:00:00-05:00", dt.datetime(2024, 1, 19, 8, tzinfo=PORTAL_TZ)),
])
def test_date_with_a_time_and_a_zone(tmp_path, value, moment):
    (item,) = load(tmp_path, {"2024-01-19-a.vi.md": GOOD.replace("date: 2024-01-19", f"date: {value}")})
    assert item.moment == moment and item.has_time and item.date == dt.date(2024, 1, 19)


def test_every_front_matter_problem_in_every_file_is_listed(tmp_path):
    bad_date = GOOD.replace("date: 2024-01-19", "date: 19/01/2024")
    unknown = GOOD.replace('tags: ["căn cước"]', 'tags: ["căn cước"]\n    tilte: "x"')
    no_title = GOOD.replace('    title: "Căn cước gắn chip"\n', "")
    found = problems(tmp_path, {
        "2024-01-19-a.vi.md": bad_date, "2024-01-19-b.vi.md": unknown, "2024-01-19-c.vi.md": no_title,
    })
    assert found == [
        "content/announcements/2024-01-19-a.vi.md:3: `date` must be a date written YYYY-MM-DD, or a date and "
        "time such as 2024-01-19T08:00+07:00, not '19/01/2024'",
        "content/announcements/2024-01-19-b.vi.md:6: unknown key `tilte`; did you mean `title`?",
        "content/announcements/2024-01-19-c.vi.md:1: front matter is missing `title`",
    ]


def test_every_problem_of_one_file_is_listed_at_once(tmp_path):
    text = with_body('{{ chart "nope" }}\n').replace('    title: "Căn cước gắn chip"\n', "").replace(
        "date: 2024-01-19", "date: 2024-01-18").replace('tags: ["căn cước"]', 'tags: []\n    image: pic.jpg\n    colour: red')
    assert problems(tmp_path, {"2024-01-19-a.vi.md": text}) == [
        f"{FILE}:1: front matter is missing `title`",
        f"{FILE}:2: date 2024-01-18 differs from the date in the file name (2024-01-19), in Asia/Ho_Chi_Minh time",
        f"{FILE}:5: `image_alt` is needed with `image`: describe the picture for readers who cannot see it",
        f"{FILE}:5: picture 'pic.jpg' not found in content/images/",
        f"{FILE}:6: unknown key `colour`; known keys: title, date, summary, tags, draft, publish_at, expire_at, "
        "image, image_alt, author",
        f"{FILE}:9: unknown chart 'nope'; known charts: counts, rates",
    ]


@pytest.mark.parametrize("key", ["title", "date", "summary", "tags"])
def test_each_required_key_when_missing(tmp_path, key):
    text = "\n".join(line for line in GOOD.splitlines() if not line.strip().startswith(f"{key}:")) + "\n"
    assert one_problem(tmp_path, text) == f"{FILE}:1: front matter is missing `{key}`"


@pytest.mark.parametrize("old, new, message", [
    ('title: "Căn cước gắn chip"', "title: 2024", "2: `title` must be text, such as title: \"…\""),
    ('title: "Căn cước gắn chip"', 'title: ""', "2: `title` is empty: write it between the quotes"),
    ('summary: "Tóm tắt."', "summary: [a, b]", "4: `summary` must be text"),
    ("date: 2024-01-19", "date: 2024-13-01", "3: `date` must be a date written YYYY-MM-DD"),
    ("date: 2024-01-19", "date: 2024-1-19", "3: `date` must be a date written YYYY-MM-DD"),
    ("date: 2024-01-19", "date: 20240119", "3: `date` must be a date written YYYY-MM-DD, or a date and time"),
    ("date: 2024-01-19", "date: 2024-01-19T25:00", "3: `date` must be a date written YYYY-MM-DD"),
    ("date: 2024-01-19", "date: 2024-01-20", "3: date 2024-01-20 differs from the date in the file name (2024-01-19)"),
    ("date: 2024-01-19", "date: 2024-01-19T20:00:00-05:00", "3: date 2024-01-19T20:00:00-05:00 differs from the date"),
    ('tags: ["căn cước"]', "tags: căn cước", "5: `tags` must be a list of words"),
    ('tags: ["căn cước"]', 'tags: ["căn cước", 6]', "5: `tags` must be a list of words"),
    ('tags: ["căn cước"]', 'tags: ["căn cước", ""]', "5: `tags` must be a list of words"),
    ('tags: ["căn cước"]', 'tags: []\n    draft: "no"', "6: `draft` must be true or false, not 'no'"),
    ('tags: ["căn cước"]', 'tags: []\n    author: ""', "6: `author` is empty"),
    ('tags: ["căn cước"]', 'tags: []\n    author: [x]', "6: `author` must be text"),
    ('tags: ["căn cước"]', "tags: []\n    publish_at: soon", "6: `publish_at` must be a date written YYYY-MM-DD"),
    ('tags: ["căn cước"]', "tags: []\n    expire_at: 2024-02-30", "6: `expire_at` must be a date written YYYY-MM-DD"),
    ('tags: ["căn cước"]', "tags: []\n    expire_at: 2024-01-19", "6: `expire_at` (2024-01-19T00:00:00+07:00) must be later "
     "than the moment the announcement appears (2024-01-19T00:00:00+07:00)"),
    ('tags: ["căn cước"]', "tags: []\n    publish_at: 2024-02-01\n    expire_at: 2024-01-31T23:59+07:00",
     "7: `expire_at` (2024-01-31T23:59:00+07:00) must be later than the moment the announcement appears (2024-02-01"),
    ('tags: ["căn cước"]', 'tags: []\n    image: ../../etc/passwd\n    image_alt: "x"', "6: `image` must be the name of a picture"),
    ('tags: ["căn cước"]', 'tags: []\n    image: /tmp/x.jpg\n    image_alt: "x"', "6: `image` must be the name of a picture"),
    ('tags: ["căn cước"]', 'tags: []\n    image: Hoi-Nghi.JPG\n    image_alt: "x"', "6: `image` must be the name of a picture"),
    ('tags: ["căn cước"]', 'tags: []\n    image: drawing.svg\n    image_alt: "x"', "6: `image` must be the name of a picture"),
    ('tags: ["căn cước"]', 'tags: []\n    image: missing.jpg\n    image_alt: "x"', "6: picture 'missing.jpg' not found in content/images/"),
    ('tags: ["căn cước"]', "tags: []\n    image: missing.jpg", "6: `image_alt` is needed with `image`"),
    ('tags: ["căn cước"]', 'tags: []\n    image_alt: "Ảnh"', "6: `image_alt` describes a picture, but `image` is missing"),
    ('tags: ["căn cước"]', 'tags: []\n    publish: 2024-02-01', "6: unknown key `publish`; did you mean `publish_at`?"),
    ('tags: ["căn cước"]', 'tags: []\n    colour: red', "6: unknown key `colour`; known keys: title, date, summary, tags, "
     "draft, publish_at, expire_at, image, image_alt, author"),
    ('tags: ["căn cước"]', 'tags: []\n    title: "Lần hai"', "6: `title` is given twice (first on line 2)"),
    ('summary: "Tóm tắt."', 'summary: "Tóm tắt.', "4: front matter is not valid YAML"),  # the unclosed quote's line
    ('summary: "Tóm tắt."', "summary: !!python/object:os.system x", "4: front matter is not valid YAML"),
])
def test_each_front_matter_problem_names_its_line(tmp_path, old, new, message):
    assert old in GOOD
    assert problems(tmp_path, {"2024-01-19-a.vi.md": GOOD.replace(old, new)})[0].startswith(f"{FILE}:{message}")


def test_every_yaml_mistake_of_a_front_matter_is_named_at_once(tmp_path):
    text = GOOD.replace('title: "', 'title: [').replace('summary: "Tóm tắt."', 'summary: "Tóm tắt.')
    found = problems(tmp_path, {"2024-01-19-a.vi.md": text})
    assert [line.split(": front matter is not valid YAML")[0] for line in found] == [f"{FILE}:2", f"{FILE}:4"]


def test_front_matter_must_be_key_value_lines(tmp_path):
    text = "---\n- a\n- b\n---\nText.\n"
    assert one_problem(tmp_path, text) == f"{FILE}:2: front matter must be a list of `key: value` lines"


def test_front_matter_must_be_closed(tmp_path):
    assert one_problem(tmp_path, GOOD.replace("    ---\n\n", "\n")).endswith("front matter is not closed by a line of ---")


def test_missing_front_matter(tmp_path):
    assert problems(tmp_path, {"2024-01-19-a.vi.md": "Chỉ có nội dung.\n"}) == [
        f"{FILE}:1: the file must start with front matter between two lines of ---"]


def test_not_utf8_names_the_line(tmp_path):
    folder = tmp_path / "content" / "announcements"
    folder.mkdir(parents=True)
    (folder / "2024-01-19-a.vi.md").write_bytes(b"---\ntitle: \"C\xe2n\"\n---\n")
    with pytest.raises(BuildError) as caught:
        load_announcements(tmp_path, LANGS)
    assert caught.value.problems[0].format() == f"{FILE}:2: not valid UTF-8; save the file as UTF-8"


@pytest.mark.parametrize("name, message", [
    ("ban-tin.vi.md", "file name must look like YYYY-MM-DD-short-title.LANG.md"),
    ("2024-01-19-Căn-Cước.vi.md", "file name must look like"),
    ("2024-01-19-tin.fr.md", "language 'fr' is not one of vi, en, ar"),
    ("2024-01-19-a_b.vi.md", "file name must look like"),
    ("2024-01-19-index.vi.md", "the short title 'index' is reserved"),
    ("2024-01-19-tags.vi.md", "the short title 'tags' is reserved"),
    ("2024-01-19-con.vi.md", "the short title 'con' is reserved"),
    ("2024-01-19-lpt1.vi.md", "the short title 'lpt1' is reserved"),
])
def test_bad_file_names(tmp_path, name, message):
    assert message in problems(tmp_path, {name: GOOD})[0]


def test_duplicate_slug_in_one_language(tmp_path):
    other = GOOD.replace("2024-01-19", "2024-02-02")
    found = problems(tmp_path, {"2024-01-19-tin.vi.md": GOOD, "2024-02-02-tin.vi.md": other})
    assert found == ["content/announcements/2024-02-02-tin.vi.md:1: slug 'tin' is already used by "
                     "content/announcements/2024-01-19-tin.vi.md in the same language"]
    assert len(load(tmp_path / "ok", {"2024-01-19-tin.vi.md": GOOD, "2024-01-19-tin.en.md": GOOD})) == 2


def test_a_picture_link_cannot_reach_outside_the_images_folder(tmp_path):
    (tmp_path / "content" / "images").mkdir(parents=True)
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    os.symlink(tmp_path / "secret.jpg", tmp_path / "content" / "images" / "link.jpg")
    found = one_problem(tmp_path, GOOD.replace('tags: ["căn cước"]', 'tags: []\n    image: link.jpg\n    image_alt: "x"'))
    assert found == f"{FILE}:6: picture 'link.jpg' not found in content/images/"


# --- Shortcodes and pictures in the text: the file's first text line is line 8.

@pytest.mark.parametrize("body, message", [
    ('{{ chart "count" }}\n', "8: unknown chart 'count'; did you mean 'counts'? Known charts: counts, rates"),
    ('Intro.\n\n{{ chart "nothing-like-it" }}\n', "10: unknown chart 'nothing-like-it'; known charts: counts, rates"),
    ('Issued: {{ figure "counts.isued" }}.\n', "8: unknown figure 'counts.isued'; did you mean 'counts.issued'? "
     "Known figures: counts.issued, rates.rate_pct"),
    ('A\n\nB {{ figure "counts" }}\n', "10: unknown figure 'counts'"),
    ('Text {{ chart "counts" }} inside a sentence.\n', '8: {{ chart "counts" }} must be on a line of its own'),
    ('{{ chrat "counts" }}\n', '8: unknown shortcode {{ chrat "counts" }}; did you mean `chart`?'),
    ('{{ table "counts" }}\n', '8: unknown shortcode {{ table "counts" }}; use {{ chart "SLUG" }} or'),
    ("{{ figure counts.issued }}\n", '8: write the name in double quotes, as in {{ figure "counts.issued" }}'),
    ('{{ chart "counts" }}\n\n{{ chart "counts" }}\n', "10: chart 'counts' is already in this article"),
    ("![Ảnh](https://evil.example/x.png)\n", "8: picture 'https://evil.example/x.png' is on another host"),
    ("A\n\n<img src=\"//evil.example/x.png\" alt=\"x\">\n", "10: picture '//evil.example/x.png' is on another host"),
    ("![Ảnh](../../secret.png)\n", "8: picture '../../secret.png' is not in content/images/"),
    ("![Ảnh](images/missing.png)\n", "8: picture 'missing.png' not found in content/images/"),
])
def test_each_text_problem_names_its_line(tmp_path, body, message):
    assert one_problem(tmp_path, with_body(body)).startswith(f"{FILE}:{message}")


def test_shortcodes_in_code_stay_text(tmp_path):
    (item,) = load(tmp_path, {"2024-01-19-a.vi.md": with_body('`{{ chart "x" }}`\n\n    {{ chart "y" }}\n')})
    html = BeautifulSoup(item.body_html, "html.parser")
    assert [c.get_text().strip() for c in html.select("code")] == ['{{ chart "x" }}', '{{ chart "y" }}']
    assert item.charts == ()


def test_shortcodes_are_recorded_for_the_pages(tmp_path):
    body = 'Issued {{ figure "counts.issued" }} and {{ figure "rates.rate_pct" }}.\n\n{{ chart "rates" }}\n'
    (item,) = load(tmp_path, {"2024-01-19-a.vi.md": with_body(body)})
    assert item.charts == ("rates",) and item.figures == ("counts.issued", "rates.rate_pct")


def test_text_cannot_forge_a_shortcode_token():
    # The private-use characters that mark tokens are removed from what authors write.
    markup = make_markup("\ue000chart:counts\ue001 and <a href=\"\ue000image:x.png\ue001\">x</a>", names=NAMES)
    assert "\ue000" not in markup.html and markup.charts == () and markup.images == ()


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="images/x.png" onerror="alert(1)">',
    '[click](javascript:alert(1))',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="https://example.org"></iframe>',
    '<svg><script>alert(1)</script></svg>',
    '<svg onload="alert(1)"><a xlink:href="javascript:alert(1)">x</a></svg>',
    '<p style="display:none">hidden</p>',
    '<p class="skip-link">moved off the screen</p>',
    '<div title="a"b" onclick="x">malformed</div>',
    """<div title='x" onmouseover="alert(1)'>nested quotes</div>""",
    '<object data="x.swf"></object><embed src="x">',
    '<form action="https://example.org"><input name="q"><button formaction="javascript:alert(1)">go</button></form>',
    '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>body{display:none}</style>",
    "<details open ontoggle=alert(1)>x</details>",
    'Text{: onclick="alert(1)" style="display:none" }',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
]
UNSAFE_TAGS = {"script", "iframe", "frame", "svg", "math", "object", "embed", "form", "input", "button", "style",
               "base", "meta", "link", "noscript", "template", "textarea"}


@pytest.mark.parametrize("snippet", HOSTILE)
def test_hostile_markup_leaves_nothing_executable(snippet):
    html = BeautifulSoup(render_markdown(f"Text\n\n{snippet}\n"), "html.parser")
    for element in html.find_all(True):
        assert element.name not in UNSAFE_TAGS
        for attribute, value in element.attrs.items():
            assert not attribute.startswith("on") and attribute not in ("style", "formaction", "srcdoc")
            if attribute in ("href", "src", "xlink:href"):
                assert not "".join(str(value).split()).lower().startswith(("javascript:", "data:", "vbscript:"))
            if attribute == "class":
                assert set(value) <= {"footnote", "footnote-ref", "footnote-backref", "toc"}


def test_external_links_get_noopener_and_internal_ones_do_not():
    html = BeautifulSoup(render_markdown("[site](https://example.org) [proto](//example.org/x) "
                                         "[here](../indicators/tasks.html) [top](#a) [mail](mailto:a@b.vn)"), "html.parser")
    rels = [a.get("rel") for a in html.select("a")]
    assert rels == [["noopener", "noreferrer"], ["noopener", "noreferrer"], None, None, None]
    own = BeautifulSoup(make_markup("[own](https://p06.example/x)", site_host="p06.example").html, "html.parser")
    assert own.a.get("rel") is None


@pytest.mark.parametrize("lang, quoted", [("vi", "“Đề án 06”"), ("en", "“Đề án 06”"), ("ar", "«Đề án 06»")])
def test_smart_quotes_in_the_style_of_each_language(lang, quoted):
    html = BeautifulSoup(render_markdown('Theo "Đề án 06" -- 2022...', lang), "html.parser")
    assert html.p.get_text() == f"Theo {quoted} – 2022…"


def test_markdown_tables_footnotes_and_heading_ids():
    html = BeautifulSoup(render_markdown("## Biểu đồ căn cước\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\nText[^1]\n\n[^1]: Note.\n"),
                         "html.parser")
    assert html.select("table td") and html.select(".footnote")
    assert [td.get("align") for td in html.select("td")] == ["left", "right"]
    assert html.h2["id"] == "bieu-do-can-cuoc"


@pytest.mark.parametrize("title, slug", [
    ("Căn cước", "can-cuoc"),
    ("Nghệ An hoàn thành cấp căn cước gắn chip", "nghe-an-hoan-thanh-cap-can-cuoc-gan-chip"),
    ("ĐỊNH DANH ĐIỆN TỬ: 1.234.567 tài khoản!", "dinh-danh-dien-tu-1-234-567-tai-khoan"),
    ("Thủ tục “một cửa” — dịch vụ công", "thu-tuc-mot-cua-dich-vu-cong"),
    ("مرحبا", ""),
    ("  ../../etc/passwd  ", "etc-passwd"),
])
def test_slugify_transliterates_vietnamese(title, slug):
    assert slugify(title) == slug


def test_long_titles_are_cut_at_a_word():
    slug = slugify("Ủy ban nhân dân tỉnh Nghệ An tổ chức hội nghị trực tuyến sơ kết hai năm thực hiện Đề án 06")
    assert len(slug) <= 60 and not slug.endswith("-") and slug.startswith("uy-ban-nhan-dan")


@pytest.mark.parametrize("kind", ["quotes", "lists"])
def test_lists_and_quotes_nested_past_the_limit_are_refused_whatever_markdown_makes_of_them(kind):
    from portal.markup import MAX_NESTING, NestedTooDeeply

    def text(levels: int) -> str:
        if kind == "quotes":
            return "".join(">" * n + " x\n" for n in range(1, levels + 1))
        return "".join("    " * n + "- x\n" for n in range(levels))

    shown = BeautifulSoup(make_markup(text(MAX_NESTING - 4)).html, "html.parser")
    tag = "blockquote" if kind == "quotes" else "ul"
    assert len(shown.find_all(tag)) >= MAX_NESTING - 8
    with pytest.raises((NestedTooDeeply, RecursionError)):
        make_markup(text(MAX_NESTING * 2))
