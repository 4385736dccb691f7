"""News: lists, tags, archive, related news, shortcodes, publishing rules, feeds and the `new` command."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from build import cli
from conftest import TINY_PACKAGE, parse, tree_digest, write_project
from portal.build import build

CLOCK = "2024-02-01T09:00+07:00"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PREFIX = {"vi": "", "en": "en/", "ar": "ar/"}
PACKAGE = copy.deepcopy(TINY_PACKAGE)
PACKAGE["resources"][0]["indicator"]["tags"] = ["số liệu thử"]
MARKERS = ["MARKER-DRAFT", "MARKER-FUTURE", "MARKER-TOMORROW", "MARKER-EXPIRED"]


def article(date: str, title: str, tags='["thử"]', extra: str = "", body: str = "Nội dung.") -> str:
    return f'---\ntitle: "{title}"\ndate: {date}\nsummary: "Tóm tắt {title}."\ntags: {tags}\n{extra}---\n\n{body}\n'


CHART_BODY = """Đã cấp {{ figure "counts.issued" }} thẻ.

![Ảnh trong bài](images/pic.png)

## Biểu đồ

{{ chart "counts" }}

Xem [nguồn](https://example.org/nguon) và [chỉ số](../indicators/counts.html).
"""


def newsroom_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        f"content/announcements/2023-11-{day:02d}-tin-{day:02d}.vi.md": article(f"2023-11-{day:02d}", f"Tin số {day}")
        for day in range(1, 12)
    }
    news = "content/announcements/"
    files.update({
        "content/images/pic.png": b"\x89PNG generated test picture",
        "content/images/draft.png": b"\x89PNG draft picture",
        news + "2024-01-15-bieu-do.vi.md": article("2024-01-15", "Bài có biểu đồ", '["Số liệu thử"]',
                                                   'image: pic.png\nimage_alt: "Ảnh minh hoạ"\n', CHART_BODY),
        news + "2024-01-15-bieu-do.en.md": article("2024-01-15", "Article with a chart", '["test figures"]', "",
                                                   'Issued: {{ figure "counts.issued" }}.'),
        news + "2024-01-15-bieu-do.ar.md": article("2024-01-15", "مقال مع رسم", '["أرقام"]', "",
                                                   'الصادرة: {{ figure "counts.issued" }}.'),
        news + "2024-01-20-ban-nhap.vi.md": article("2024-01-20", "MARKER-DRAFT", extra="draft: true\nimage: draft.png\n"
                                                    'image_alt: "x"\n'),
        news + "2024-02-01-sap-toi.vi.md": article("2024-02-01", "MARKER-FUTURE", extra="publish_at: 2024-02-01T10:00+07:00\n"),
        news + "2024-02-02-ngay-mai.vi.md": article("2024-02-02", "MARKER-TOMORROW"),
        news + "2024-01-10-het-han.vi.md": article("2024-01-10", "MARKER-EXPIRED", extra="expire_at: 2024-01-31T17:00+07:00\n"),
        news + "2024-01-11-con-han.vi.md": article("2024-01-11", "Còn hạn", extra="expire_at: 2024-03-01\n"),
    })
    return files


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory) -> Path:
    """A project with 14 published Vietnamese announcements and four that must not be published; built at CLOCK."""
    root = write_project(tmp_path_factory.mktemp("newsroom") / "project", newsroom_files(), PACKAGE)
    build(root, root / "site", clock=CLOCK)
    return root


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def items(page: BeautifulSoup) -> list[str]:
    return [a.get_text() for a in page.select(".news-item h2 a, .news-item h3 a")]


def every_text_and_attribute(site: Path) -> str:
    """All text and attribute values of every page and feed, as parsed."""
    parts = []
    for path in sorted(site.rglob("*.html")):
        soup = parse(path)
        parts.append(soup.get_text(" "))
        parts += [str(v) for element in soup.find_all(True) for v in element.attrs.values()]
    for path in sorted(site.rglob("feed.xml")):
        parts += [element.text or "" for element in ET.parse(path).iter()]
    return "\n".join(parts)


def test_news_list_is_paginated_ten_a_page_newest_first(newsroom):
    site = newsroom / "site"
    first, second = parse(site / "news/index.html"), parse(site / "news/page/2.html")
    assert items(first)[:3] == ["Bản tin thử", "Bài có biểu đồ", "Còn hạn"]
    assert len(items(first)) == 10 and len(items(second)) == 4 and items(second)[-1] == "Tin số 1"
    dates = [t["datetime"] for page in (first, second) for t in page.select(".news-item time")]
    assert dates == sorted(dates, reverse=True)
    assert first.select_one('.pager a[rel="next"]')["href"] == "page/2.html"
    assert second.select_one('.pager a[rel="prev"]')["href"] == "../index.html"
    assert not first.select('.pager a[rel="prev"]') and not second.select('.pager a[rel="next"]')
    assert not (site / "news/page/3.html").exists()
    assert len(items(parse(site / "en/news/index.html"))) == 1 and not parse(site / "en/news/index.html").select(".pager")


def test_tag_and_year_pages_list_their_announcements(newsroom):
    site = newsroom / "site"
    tag = parse(site / "news/tags/thu.html")
    assert tag.h1.get_text() == "Tin về “thử”" and len(items(tag)) == 13
    assert items(parse(site / "news/tags/so-lieu-thu.html")) == ["Bài có biểu đồ"]
    assert len(items(parse(site / "news/archive/2023.html"))) == 11
    assert items(parse(site / "news/archive/2024.html")) == ["Bản tin thử", "Bài có biểu đồ", "Còn hạn"]
    browse = parse(site / "news/index.html").select_one(".news-browse")
    assert [a["href"] for a in browse.select("a")] == [
        "tags/so-lieu-thu.html", "tags/thu.html", "archive/2024.html", "archive/2023.html", "feed.xml"]
    # Arabic tags get an ASCII file name of their own.
    (link,) = parse(site / "ar/news/bieu-do.html").select(".tags a")
    assert re.fullmatch(r"tags/t-[0-9a-f]{8}\.html", link["href"]) and link.get_text() == "أرقام"
    assert parse(site / "ar/news" / link["href"]).h1.get_text() == "أخبار عن «أرقام»"


def test_tag_page_language_switcher_leads_to_the_other_news_lists(newsroom):
    page = parse(newsroom / "site/news/tags/thu.html")
    links = {a["hreflang"]: a["href"] for a in page.select("nav.languages a")}
    assert links == {"vi": "thu.html", "en": "../../en/news/index.html", "ar": "../../ar/news/index.html"}


def test_announcement_has_reading_time_tags_picture_and_newer_older_links(newsroom):
    site = newsroom / "site"
    page = parse(site / "news/bieu-do.html")
    assert "Thời gian đọc: 1 phút" in page.select_one(".announcement .meta").get_text()
    assert [a["href"] for a in page.select(".tags a")] == ["tags/so-lieu-thu.html"]
    lead = page.select_one("img.lead-image")
    assert (lead["src"], lead["alt"]) == ("../images/pic.png", "Ảnh minh hoạ")
    assert page.select_one(".prose img")["src"] == "../images/pic.png"
    assert (site / "images/pic.png").read_bytes() == b"\x89PNG generated test picture"
    nav = {li.get_text(" ", strip=True).split(":")[0]: li.a["href"] for li in page.select(".article-nav li")}
    assert nav == {"Tin mới hơn": "ban-tin-thu.html", "Tin cũ hơn": "con-han.html"}
    links = {a.get_text(): a.get("rel") for a in page.select(".prose a")}
    assert links["nguồn"] == ["noopener", "noreferrer"] and links["chỉ số"] is None


def test_chart_shortcode_inserts_the_indicator_pages_figure(newsroom):
    site = newsroom / "site"
    article = parse(site / "news/bieu-do.html").select_one(".prose figure#chart-counts")
    indicator = parse(site / "indicators/counts.html").select_one("figure#chart-counts")
    assert article is not None
    # Under a "##" section the chart's title is one level lower.
    assert article.select_one("figcaption h3").get_text() == indicator.select_one("figcaption h2").get_text()
    for selector, attribute in [("picture img", "src"), ("picture img", "alt"), ("picture source", "srcset"),
                                (".chart-frame", "data-spec-wide")]:
        assert article.select_one(selector)[attribute] == indicator.select_one(selector)[attribute]
    for selector in [".chart-summary", "table.data-table", ".chart-links"]:
        assert article.select_one(selector).get_text(" ", strip=True) == indicator.select_one(selector).get_text(" ", strip=True)
    assert (site / "news" / article.select_one("picture img")["src"]).is_file()
    scripts = parse(site / "news/bieu-do.html").select("script[src]")
    assert len(scripts) == 1 and "charts." in scripts[0]["src"]
    assert not parse(site / "news/con-han.html").select('script:not([type="application/ld+json"])')


@pytest.mark.parametrize("lang, text", [("vi", "1.500"), ("en", "1,500"), ("ar", "1,500")])
def test_figure_shortcode_shows_the_latest_value_in_the_language_format(newsroom, lang, text):
    data = parse(newsroom / "site" / PREFIX[lang] / "news/bieu-do.html").select_one(".prose data")
    assert (data["value"], data.get_text()) == ("1500", text)


def test_related_news_on_indicator_pages(newsroom):
    site = newsroom / "site"
    # By the chart and figure shown in the article, and by the indicator's tags.
    assert items(parse(site / "indicators/counts.html").select_one("section[aria-labelledby=related-news]")) == [
        "Bài có biểu đồ"]
    assert items(parse(site / "en/indicators/counts.html")) == ["Article with a chart"]


def test_drafts_future_and_expired_items_appear_nowhere(newsroom):
    site = newsroom / "site"
    seen = every_text_and_attribute(site)
    for marker in MARKERS:
        assert marker not in seen
    for slug in ("ban-nhap", "sap-toi", "ngay-mai", "het-han"):
        assert not list(site.rglob(f"{slug}.html")) and slug not in seen
    assert not (site / "images/draft.png").exists()


def test_drafts_and_future_flags_and_the_clock(newsroom, tmp_path):
    both = tmp_path / "both"
    build(newsroom, both, clock=CLOCK, drafts=True, future=True)
    seen = every_text_and_attribute(both)
    assert all(marker in seen for marker in MARKERS[:3]) and "MARKER-EXPIRED" not in seen
    assert (both / "images/draft.png").exists()
    later = tmp_path / "later"
    result = run("--project", str(newsroom), "build", "--output", str(later), "--clock", "2024-02-01T10:00+07:00")
    assert result.exit_code == 0, result.output
    assert items(parse(later / "news/index.html"))[0] == "MARKER-FUTURE"
    after_expiry = tmp_path / "march"
    build(newsroom, after_expiry, clock="2024-03-01T00:00+07:00")
    assert "Còn hạn" not in every_text_and_attribute(after_expiry)


def test_output_depends_on_the_clock_only_through_what_is_published(newsroom, tmp_path):
    build(newsroom, tmp_path / "again", clock="2024-02-01T09:59+07:00")
    assert tree_digest(tmp_path / "again") == tree_digest(newsroom / "site")


@pytest.mark.parametrize("clock, expected", [
    ("2024-02-01T09:00+07:00", ["2024-02-01T10:00:00+07:00 appears content/announcements/2024-02-01-sap-toi.vi.md"]),
    ("2024-02-01T10:00+07:00", ["2024-02-02T00:00:00+07:00 appears content/announcements/2024-02-02-ngay-mai.vi.md"]),
    ("2024-02-02T00:00+07:00", ["2024-03-01T00:00:00+07:00 expires content/announcements/2024-01-11-con-han.vi.md"]),
    ("2024-03-01T00:00+07:00", ["nothing scheduled"]),
])
def test_next_change_prints_when_the_site_next_changes(newsroom, clock, expected):
    result = run("--project", str(newsroom), "next-change", "--clock", clock)
    assert result.exit_code == 0 and result.output.splitlines() == expected


def check_atom(path: Path) -> ET.Element:
    """Check the Atom rules (RFC 4287) a reader relies on; return the parsed feed."""
    feed = ET.parse(path).getroot()
    assert feed.tag == ATOM + "feed"
    for name in ("id", "title", "updated", "author"):
        assert len(feed.findall(ATOM + name)) == 1, name
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    assert [link.get("rel") for link in feed.findall(ATOM + "link")] == ["self", "alternate"]
    ids = [feed.findtext(ATOM + "id")]
    stamps = [feed.findtext(ATOM + "updated")]
    for entry in feed.findall(ATOM + "entry"):
        for name in ("id", "title", "updated", "published", "summary", "content"):
            assert len(entry.findall(ATOM + name)) == 1, name
        (alternate,) = [link for link in entry.findall(ATOM + "link") if link.get("rel") == "alternate"]
        assert alternate.get("type") == "text/html" and alternate.get("href")
        assert entry.find(ATOM + "content").get("type") == "html"
        BeautifulSoup(entry.findtext(ATOM + "content"), "html.parser")
        ids.append(entry.findtext(ATOM + "id"))
        stamps += [entry.findtext(ATOM + "updated"), entry.findtext(ATOM + "published")]
    assert len(ids) == len(set(ids)) and all(urlsplit(i).scheme for i in ids)
    assert all(RFC3339.match(stamp) for stamp in stamps)
    return feed


@pytest.mark.parametrize("lang", PREFIX)
def test_feed_is_valid_atom_with_the_published_items(newsroom, lang):
    site = newsroom / "site"
    feed_path = site / PREFIX[lang] / "news/feed.xml"
    feed = check_atom(feed_path)
    entries = feed.findall(ATOM + "entry")
    titles = [e.findtext(ATOM + "title") for e in entries]
    assert not set(MARKERS) & set(titles)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    # The newest entry's date, never the build's clock.
    assert feed.findtext(ATOM + "updated") == max(e.findtext(ATOM + "updated") for e in entries)
    for entry in entries:
        href = entry.find(ATOM + "link").get("href")
        assert (feed_path.parent / href).is_file()


def test_feed_content_fills_figures_and_links_charts(newsroom):
    feed = ET.parse(newsroom / "site/news/feed.xml").getroot()
    entry = next(e for e in feed.findall(ATOM + "entry") if e.findtext(ATOM + "title") == "Bài có biểu đồ")
    content = BeautifulSoup(entry.findtext(ATOM + "content"), "html.parser")
    assert content.data.get_text() == "1.500" and not content.select("figure, script")
    assert content.find("a", string="Biểu đồ: Số đếm thử")["href"] == "../indicators/counts.html"
    assert [c.get("term") for c in entry.findall(ATOM + "category")] == ["Số liệu thử"]


def test_feed_uses_absolute_addresses_with_a_base_url(newsroom, tmp_path):
    build(newsroom, tmp_path / "out", base_url="https://p06.example/portal", clock=CLOCK)
    feed = check_atom(tmp_path / "out/en/news/feed.xml")
    assert feed.find(ATOM + "link").get("href") == "https://p06.example/portal/en/news/feed.xml"
    entry = feed.find(ATOM + "entry")
    assert entry.find(ATOM + "link").get("href") == "https://p06.example/portal/en/news/bieu-do.html"
    assert entry.find(ATOM + "content").get("{http://www.w3.org/XML/1998/namespace}base") == entry.find(ATOM + "link").get("href")


def test_every_page_links_its_languages_feed_in_the_head(newsroom):
    site = newsroom / "site"
    for path in site.rglob("*.html"):
        lang = parse(path).html["lang"]
        (link,) = parse(path).head.select('link[type="application/atom+xml"]')
        assert link["rel"] == ["alternate"] and link["hreflang"] == lang
        # 404 pages link from the site root: servers show them at any address.
        base = site if link["href"].startswith("/") else path.parent
        assert (base / link["href"].lstrip("/")).resolve() == (site / PREFIX[lang] / "news/feed.xml").resolve()


def test_nothing_is_written_outside_the_output_folder(newsroom, tmp_path):
    output = tmp_path / "out"
    build(newsroom, output, clock=CLOCK)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert all(p.resolve().is_relative_to(output.resolve()) for p in output.rglob("*"))


def test_new_writes_a_draft_with_todays_date_and_prints_its_path(tmp_path):
    root = write_project(tmp_path / "p")
    result = run("--project", str(root), "new", "Căn cước gắn chip: “bước tiến” mới", "--lang", "vi",
                 "--clock", "2024-03-05T23:30+07:00")
    assert result.exit_code == 0, result.output
    assert result.output == "content/announcements/2024-03-05-can-cuoc-gan-chip-buoc-tien-moi.vi.md\n"
    path = root / result.output.strip()
    text = path.read_text(encoding="utf-8")
    assert 'title: "Căn cước gắn chip: “bước tiến” mới"' in text and "date: 2024-03-05\n" in text and "draft: true" in text
    # Until the summary is written the file does not pass.
    failed = run("--project", str(root), "check", "--clock", "2024-03-06T00:00+07:00")
    assert failed.exit_code == 1 and f"{result.output.strip()}:4: `summary` is empty" in failed.output


def test_an_article_started_with_new_is_published_everywhere_and_as_a_draft_nowhere(tmp_path):
    root = write_project(tmp_path / "p")
    clock = ["--clock", "2024-03-06T00:00+07:00"]
    path = root / run("--project", str(root), "new", "Căn cước gắn chip", *clock).output.strip()
    text = path.read_text(encoding="utf-8").replace('summary: ""', 'summary: "Tóm tắt."').replace(
        "tags: []", 'tags: ["căn cước"]') + '\nĐã cấp {{ figure "counts.issued" }} thẻ.\n\n{{ chart "counts" }}\n'
    path.write_text(text, encoding="utf-8")
    assert run("--project", str(root), "build", *clock).exit_code == 0
    assert "Căn cước gắn chip" not in every_text_and_attribute(root / "site")
    path.write_text(text.replace("draft: true\n", ""), encoding="utf-8")
    assert run("--project", str(root), "build", *clock).exit_code == 0
    site = root / "site"
    for listing in ("news/index.html", "news/tags/can-cuoc.html", "news/archive/2024.html"):
        assert "Căn cước gắn chip" in items(parse(site / listing)), listing
    article = parse(site / "news/can-cuoc-gan-chip.html")
    assert article.select_one(".prose data").get_text() == "1.500" and article.select_one(".prose figure#chart-counts")
    feed = check_atom(site / "news/feed.xml")
    assert "Căn cước gắn chip" in [e.findtext(ATOM + "title") for e in feed.findall(ATOM + "entry")]


@pytest.mark.parametrize("args, message", [
    (["Bản tin thử", "--lang", "vi"], "slug 'ban-tin-thu' is already used in this language"),
    (["مرحبا", "--lang", "ar"], "cannot make a short title in Latin letters from 'مرحبا'; give one with --slug"),
    (["Hello", "--lang", "fr"], "language 'fr' is not one of vi, en, ar"),
    (["Hello", "--slug", "../../evil"], "--slug '../../evil' must be lowercase ASCII letters, digits and hyphens"),
    (["Hello", "--slug", "index"], "--slug 'index' must be lowercase ASCII letters"),
    (["   "], "the title is empty"),
])
def test_new_refuses_what_it_cannot_write(tmp_path, args, message):
    root = write_project(tmp_path / "p")
    before = tree_digest(root)
    result = run("--project", str(root), "new", *args, "--clock", CLOCK)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert tree_digest(root) == before


def test_new_with_a_slug_for_an_arabic_title(tmp_path):
    root = write_project(tmp_path / "p")
    result = run("--project", str(root), "new", "مرحبا", "--lang", "ar", "--slug", "marhaba", "--clock", CLOCK)
    assert result.output == "content/announcements/2024-02-01-marhaba.ar.md\n"
