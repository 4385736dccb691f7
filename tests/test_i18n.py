"""Formats through Babel, and catalogues that are complete and in step with the code."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal.config import load_config
from portal.i18n import Formatter, LOCALES_DIR

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config(ROOT)


# Arbitrary numbers, not figures of the shipped data: a count past a million, a measure and a percentage.
@pytest.mark.parametrize("lang, number, decimal, percent, date, locale", [
    ("vi", "1.234.567", "1.234,56", "12,5\u00a0%", "31/12/2023", {"decimal": ",", "thousands": ".", "percent": "\u00a0%"}),
    ("en", "1,234,567", "1,234.56", "12.5%", "31 December 2023", {"decimal": ".", "thousands": ",", "percent": "%"}),
    ("ar", "1,234,567", "1,234.56", "12.5%", "31 ديسمبر 2023", {"decimal": ".", "thousands": ",", "percent": "%"}),
])
def test_formats_per_language(lang, number, decimal, percent, date, locale):
    fmt = Formatter(CONFIG.language(lang))
    assert fmt.number(1234567) == number
    assert fmt.number(1234.56) == decimal
    assert fmt.percent(12.5) == percent
    assert fmt.date("2023-12-31") == date
    assert fmt.period(2023) == "2023"
    assert locale.items() <= fmt.d3_format_locale().items()


def test_arabic_indic_digits_when_configured():
    from dataclasses import replace
    fmt = Formatter(replace(CONFIG.language("ar"), numbering_system="arab"))
    assert fmt.number(1234567) == "١٬٢٣٤٬٥٦٧"
    assert fmt.number(1234.56) == "١٬٢٣٤٫٥٦"
    assert fmt.d3_format_locale()["numerals"][:3] == ["٠", "١", "٢"]


def messages(path: Path) -> dict:
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_catalogue_template_is_in_step_with_code_and_templates(tmp_path):
    out = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "portal/locales/babel.cfg",
                    "-o", str(out), "--no-location", "--omit-header", "--no-wrap", "portal", "templates"],
                   cwd=ROOT, check=True, capture_output=True)
    assert set(messages(out)) == set(messages(LOCALES_DIR / "messages.pot")), "run `make translations`"


@pytest.mark.parametrize("lang", ["vi", "ar"])
def test_every_interface_string_is_translated(lang):
    template = messages(LOCALES_DIR / "messages.pot")
    catalogue = messages(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po")
    missing = [m for m in template if not catalogue.get(m)]
    assert not missing, f"untranslated in {lang}: {missing}"


def test_latin_runs_are_isolated_on_right_to_left_pages_only():
    from portal.i18n import isolate_latin
    ar, en = {"lang": CONFIG.language("ar")}, {"lang": CONFIG.language("en")}
    text = "القرار 422/QĐ-TTg المؤرخ 4 أبريل <2022>"
    assert str(isolate_latin(ar, text)) == \
        "القرار <bdi>422/QĐ-TTg</bdi> المؤرخ 4 أبريل &lt;2022&gt;"
    assert str(isolate_latin(en, "Decision 422/QĐ-TTg")) == "Decision 422/QĐ-TTg"


def test_untranslated_strings_are_reported_as_warnings(tmp_path):
    from portal.i18n import check_catalogues
    (tmp_path / "messages.pot").write_text('msgid "Home"\nmsgstr ""\n\nmsgid "News"\nmsgstr ""\n', encoding="utf-8")
    for code, news in (("vi", "Tin tức"), ("ar", "")):
        folder = tmp_path / code / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "messages.po").write_text(f'msgid "Home"\nmsgstr "x"\n\nmsgid "News"\nmsgstr "{news}"\n', encoding="utf-8")
    warnings = check_catalogues(CONFIG.languages, tmp_path, locales=tmp_path)
    assert [w.format() for w in warnings] == ['ar/LC_MESSAGES/messages.po: warning: no ar translation for "News"']


def test_a_missing_translation_is_named_in_the_switcher_without_a_stand_in_page(tmp_path):
    from conftest import parse, write_project
    from portal.build import build
    root = write_project(tmp_path / "p")  # its one announcement is in Vietnamese only
    build(root, root / "site")
    article = parse(root / "site/news/ban-tin-thu.html")
    assert {a["hreflang"] for a in article.select("nav.languages a")} == {"vi"}
    assert {link["hreflang"] for link in article.select('link[rel="alternate"][hreflang]')} == {"vi"}
    missing = {span.select_one("[lang]")["lang"]: span.get_text(" ", strip=True)
               for span in article.select("nav.languages .unavailable")}
    assert set(missing) == {"en", "ar"} and all("(" in text for text in missing.values())
    assert not (root / "site/en/news/ban-tin-thu.html").exists()
    assert not (root / "site/ar/news/ban-tin-thu.html").exists()
    # The news lists of the other languages still exist, and the switcher of a list page leads there.
    news = parse(root / "site/news/index.html")
    assert {a["hreflang"] for a in news.select("nav.languages a")} == {"vi", "en", "ar"}
    sitemap = (root / "site/sitemap.xml").read_text(encoding="utf-8")
    assert "en/news/ban-tin-thu.html" not in sitemap


def test_switcher_and_hreflang_links_resolve_both_ways(shipped_site):
    from conftest import parse
    for page in ("index.html", "indicators/tasks.html", "news/so-ket-hai-nam-de-an-06.html", "data/index.html"):
        for prefix in ("", "en/", "ar/"):
            path = shipped_site / prefix / page
            here = parse(path)
            for link in here.select('link[rel="alternate"][hreflang]:not([type])'):
                target = (path.parent / link["href"]).resolve()
                back = parse(target).select_one(f'link[rel="alternate"][hreflang="{here.html["lang"]}"]:not([type])')
                assert (target.parent / back["href"]).resolve() == path.resolve()


@pytest.mark.parametrize("lang, long_form", [("vi", "19 tháng 1, 2024"), ("en", "19 January 2024"), ("ar", "19 يناير 2024")])
def test_announcements_show_the_long_date_and_lists_the_short_one(shipped_site, lang, long_form):
    from conftest import parse
    prefix = {"vi": "", "en": "en/", "ar": "ar/"}[lang]
    article = parse(shipped_site / prefix / "news/so-ket-hai-nam-de-an-06.html")
    assert article.select_one("article header .meta time").get_text() == long_form
    listing = parse(shipped_site / prefix / "news/index.html")
    short = Formatter(CONFIG.language(lang)).date("2024-01-19")
    assert listing.select_one(".news-item time").get_text() == short
