"""Pages: which pages the site has, and their HTML from the Jinja2 templates."""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import jinja2.bccache

from . import cache
from .config import Config, Language
from .content import Announcement
from .data import Dataset
from .errors import BuildError
from .i18n import Formatter, isolate_latin
from .indicators import Indicator, category_title, field_title, format_value
from .search import make_search_context

TEMPLATES_DIR = "templates"
NEWS_ON_HOME = 3
# Pages show the latest rows of long tables; the downloads hold every row.
TABLE_ROWS = 100


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
    news: tuple[Announcement, ...]  # published ones only, newest first
    gettext: Callable[[str], str]
    province_code: str = ""
    related: dict = field(default_factory=dict)  # indicator slug -> announcements


def page_path(lang: Language, key: str) -> str:
    """The output path of the page `key` ("home", "news/SLUG", ...) in `lang`."""
    if key == "home":
        return f"{lang.prefix}index.html"
    if "/" in key:
        return f"{lang.prefix}{key}.html"
    return f"{lang.prefix}{key}/index.html"


def feed_path(lang: Language) -> str:
    """The output path of the language's Atom feed, beside the announcements so their links hold."""
    return f"{lang.prefix}news/feed.xml"


def make_untranslated_page(lang: Language, key: str, versions: dict[str, str], _) -> Page:
    """A page saying that `key` is not yet in `lang`, linking the languages it exists in."""
    return Page(key, "untranslated", lang.code, page_path(lang, key), _("Not yet translated"),
                {"versions": dict(versions)})


def make_pages(config: Config, data: SiteData, _) -> list[Page]:
    """List the pages of one language with what each template needs (news pages: see news.py)."""
    lang = data.lang
    pages = [
        Page("home", "home", lang.code, page_path(lang, "home"), lang.title,
             {"indicators": data.indicators, "news": data.news[:NEWS_ON_HOME]}),
        Page("indicators", "indicators", lang.code, page_path(lang, "indicators"), _("Indicators"),
             {"indicators": data.indicators}),
        Page("data", "catalogue", lang.code, page_path(lang, "data"), _("Open data"),
             {"datasets": data.datasets}),
    ]
    for indicator in data.indicators:
        key = f"indicators/{indicator.slug}"
        pages.append(Page(key, "indicator", lang.code, page_path(lang, key), indicator.title,
                          {"indicator": indicator, "dataset": indicator.dataset,
                           "related": data.related.get(indicator.slug, ())}))
    pages.append(Page("search", "search", lang.code, page_path(lang, "search"), _("Search"),
                      make_search_context(data, _)))
    pages.append(Page("404", "not_found", lang.code, f"{lang.prefix}404.html", _("Page not found")))
    return pages


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates shared by every environment of the process: each language's environment
    and each preview rebuild reuse them, and the next build finds them in the build cache (Jinja
    checks every entry against the template's source)."""

    def __init__(self):
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key not in self._store:
            stored = cache.current.get(cache.current.key("template", bucket.key))
            if stored is None:
                return
            self._store[bucket.key] = stored
        bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()
        cache.current.put(cache.current.key("template", bucket.key), self._store[bucket.key])


_BYTECODE_CACHE = _MemoryBytecodeCache()


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
        bytecode_cache=_BYTECODE_CACHE,
    )
    env.install_gettext_translations(translations, newstyle=True)
    env.filters["isolate"] = isolate_latin
    return env


def render_page(env: jinja2.Environment, page: Page, config: Config, data: SiteData,
                alternates: dict[str, str], assets: dict[str, str], charts: dict, csp: str,
                extra: dict | None = None) -> str:
    """Render one page to HTML; `extra` adds template variables (such as the page's metadata)."""
    here = posixpath.dirname(page.dest_path)

    def link(target: str) -> str:
        """A link from this page to `target` (a path from the site root) that works on any host and from disk."""
        if page.kind == "not_found":
            # Servers show the 404 page at whatever address was asked for: only links from the root hold.
            return urlsplit(config.base_url).path + target
        return _relative(target, here or ".") if target != page.dest_path else posixpath.basename(target)

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
            feed=feed_path(lang),
            alternates=[(config.language(code), path) for code, path in sorted(
                alternates.items(), key=lambda item: [lg.code for lg in config.languages].index(item[0]))],
            assets=assets,
            charts=charts,
            csp=csp,
            table_rows=lambda dataset: _table_rows(dataset, data.fmt),
            table_limit=TABLE_ROWS,
            field_rules=lambda dataset, f: _field_rules(dataset, f, data.fmt, data.gettext),
            dataset_rules=lambda dataset: _dataset_rules(dataset, lang.code, data.gettext),
            field_title=lambda dataset, name: field_title(dataset, name, lang.code),
            field_unit=lambda f: _unit_title(f, lang.code),
            category_title=lambda dataset, name, value: category_title(dataset, name, value, lang.code),
            **page.context,
            **(extra or {}),
        )
    except jinja2.TemplateError as exc:
        raise _template_problem(exc, page) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        # A template is the user's own code: an expression in it that fails is their mistake.
        if not _template_frames(exc):
            raise
        raise _template_problem(exc, page) from None


# Pages in one folder link to the same menus, assets and lists: each link is worked out once.
_relative = functools.lru_cache(maxsize=1 << 16)(posixpath.relpath)


def _template_problem(exc: jinja2.TemplateError, page: Page) -> BuildError:
    """Point at the template line that failed, from the error or from the traceback."""
    name, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if line is None and _template_frames(exc):
        name, line = _template_frames(exc)[-1]
    shown = f"{TEMPLATES_DIR}/{Path(name).name}" if name else f"{TEMPLATES_DIR}/{page.kind}.html"
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return BuildError.single(shown, f"template error while rendering {page.dest_path}: {message}", line)


def _template_frames(exc: BaseException) -> list[tuple[str, int]]:
    """(template file, line) of each template frame the exception passed through, innermost last."""
    frames, tb = [], exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _table_rows(dataset: Dataset, fmt: Formatter) -> list[list[str]]:
    rows = dataset.records(dataset.frame.tail(TABLE_ROWS))
    return [[format_value(dataset, f.name, row[f.name], fmt) for f in dataset.fields] for row in rows]


def _field_rules(dataset: Dataset, f, fmt: Formatter, _) -> str:
    """A column's rules in words: required, range, allowed values, uniqueness."""
    rules = f.constraints
    words = []
    if rules.get("required"):
        words.append(_("required"))
    low, high = rules.get("minimum"), rules.get("maximum")
    show = fmt.percent if f.is_percent else fmt.number
    if low is not None and high is not None:
        words.append(_("from %(low)s to %(high)s") % {"low": show(low), "high": show(high)})
    elif low is not None:
        words.append(_("at least %(low)s") % {"low": show(low)})
    elif high is not None:
        words.append(_("at most %(high)s") % {"high": show(high)})
    if rules.get("enum"):
        labels = [category_title(dataset, f.name, value, fmt.lang.code) for value in rules["enum"]]
        words.append(_("one of: %(values)s") % {"values": "; ".join(labels)})
    if rules.get("unique"):
        words.append(_("unique"))
    return ", ".join(words)


def _dataset_rules(dataset: Dataset, lang: str, _) -> list[str]:
    """The dataset's cross-column rules in words."""
    title = lambda name: field_title(dataset, name, lang)  # noqa: E731
    sentences = []
    for rule in dataset.rules:
        kind = rule["rule"]
        if kind == "non-decreasing":
            sentences.append(_("%(field)s is a running total: it never falls from one date to the next.") % {"field": title(rule["field"])})
        elif kind == "not-above":
            sentences.append(_("%(field)s is never more than %(limit)s.") % {"field": title(rule["field"]), "limit": title(rule["limit"])})
        elif kind == "sum-not-above":
            sentences.append(_("%(fields)s together are never more than %(limit)s.") % {
                "fields": " + ".join(title(n) for n in rule["fields"]), "limit": title(rule["limit"])})
        elif kind == "ratio":
            sentences.append(_("%(field)s equals %(numerator)s divided by %(denominator)s.") % {
                "field": title(rule["field"]), "numerator": title(rule["numerator"]), "denominator": title(rule["denominator"])})
    if dataset.time_field:
        sentences.append(_("No date is later than the day the portal was built."))
    return sentences


def _unit_title(f, lang: str) -> str:
    if f.unit is None:
        return ""
    return f.unit if isinstance(f.unit, str) else f.unit.get(lang, "")
