"""Pages: which pages the site has, and their HTML from the Jinja2 templates."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .config import Config, Language
from .content import Announcement
from .data import Dataset
from .errors import BuildError
from .i18n import Formatter
from .indicators import Indicator, category_title, field_title, format_value, scope_rows

TEMPLATES_DIR = "templates"
NEWS_ON_HOME = 3


@dataclass(frozen=True)
class Page:
    """One HTML page of the site in one language."""

    key: str  # the same for every language version of a page
    kind: str  # template name without .html
    lang: str
    dest_path: str  # relative to the output folder, forward slashes
    title: str
    context: dict = field(default_factory=dict, compare=False)

    @property
    def url(self) -> str:
        """The page's address below the base URL."""
        return self.dest_path.removesuffix("index.html")


@dataclass(frozen=True)
class SiteData:
    """Everything the pages of one language draw on."""

    lang: Language
    fmt: Formatter
    indicators: tuple[Indicator, ...]
    datasets: tuple[Dataset, ...]
    news: tuple[Announcement, ...]


def page_path(lang: Language, key: str) -> str:
    """The output path of the page `key` ("home", "news/SLUG", ...) in `lang`."""
    if key == "home":
        return f"{lang.prefix}index.html"
    if "/" in key:
        return f"{lang.prefix}{key}.html"
    return f"{lang.prefix}{key}/index.html"


def make_pages(config: Config, data: SiteData, _) -> list[Page]:
    """List the pages of one language with what each template needs."""
    lang = data.lang
    pages = [
        Page("home", "home", lang.code, page_path(lang, "home"), lang.title,
             {"indicators": data.indicators, "news": data.news[:NEWS_ON_HOME]}),
        Page("indicators", "indicators", lang.code, page_path(lang, "indicators"), _("Indicators"),
             {"indicators": data.indicators}),
        Page("news", "news_list", lang.code, page_path(lang, "news"), _("News"), {"news": data.news}),
        Page("data", "catalogue", lang.code, page_path(lang, "data"), _("Open data"),
             {"datasets": data.datasets}),
    ]
    for indicator in data.indicators:
        key = f"indicators/{indicator.slug}"
        pages.append(Page(key, "indicator", lang.code, page_path(lang, key), indicator.title,
                          {"indicator": indicator, "dataset": indicator.dataset}))
    for item in data.news:
        key = f"news/{item.slug}"
        pages.append(Page(key, "announcement", lang.code, page_path(lang, key), item.title, {"item": item}))
    return pages


def make_environment(root: Path, translations) -> jinja2.Environment:
    """A Jinja2 environment for one language, with autoescaping and gettext installed."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(translations, newstyle=True)
    return env


def render_page(env: jinja2.Environment, page: Page, config: Config, data: SiteData,
                alternates: dict[str, str], assets: dict[str, str], charts: dict, csp: str) -> str:
    """Render one page to HTML."""
    here = posixpath.dirname(page.dest_path)

    def link(target: str) -> str:
        """A link from this page to `target` (a path from the site root) that works on any host and from disk."""
        return posixpath.relpath(target, here or ".") if target != page.dest_path else posixpath.basename(target)

    lang = data.lang
    nav = [(key, page_path(lang, key)) for key in config.navigation]
    try:
        template = env.get_template(f"{page.kind}.html")
        return template.render(
            page=page,
            lang=lang,
            config=config,
            fmt=data.fmt,
            link=link,
            nav=nav,
            page_path=lambda key: page_path(lang, key),
            alternates=[(config.language(code), path) for code, path in sorted(
                alternates.items(), key=lambda item: [lg.code for lg in config.languages].index(item[0]))],
            assets=assets,
            charts=charts,
            csp=csp,
            table_rows=lambda dataset: _table_rows(dataset, data.fmt),
            latest_rows=lambda dataset: scope_rows(dataset, config.province_code, latest_only=True),
            field_title=lambda dataset, name: field_title(dataset, name, lang.code),
            field_unit=lambda f: _unit_title(f, lang.code),
            category_title=lambda dataset, name, value: category_title(dataset, name, value, lang.code),
            **page.context,
        )
    except jinja2.TemplateError as exc:
        raise _template_problem(exc, page) from None


def _template_problem(exc: jinja2.TemplateError, page: Page) -> BuildError:
    """Point at the template line that failed, from the error or from the traceback."""
    name, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if line is None:
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.endswith(".html"):
                name, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    shown = f"{TEMPLATES_DIR}/{Path(name).name}" if name else f"{TEMPLATES_DIR}/{page.kind}.html"
    return BuildError.single(shown, f"template error while rendering {page.dest_path}: {exc.message or exc}", line)


def _table_rows(dataset: Dataset, fmt: Formatter) -> list[list[str]]:
    return [[format_value(dataset, f.name, row[f.name], fmt) for f in dataset.fields] for row in dataset.records()]


def _unit_title(f, lang: str) -> str:
    if f.unit is None:
        return ""
    return f.unit if isinstance(f.unit, str) else f.unit.get(lang, "")
