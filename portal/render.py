"""Pages: which pages the site has, and their HTML from the Jinja2 templates."""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from .config import Config, Language
from .content import Announcement
from .data import Dataset
from .errors import BuildError
from .i18n import Formatter, isolate_latin
from . import freshness, provenance, revisions as revisions_mod
from .indicators import Indicator, category_title, field_title, format_value, headline_rows
from .units import CODE, labelled, ranked, unit_name
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


@dataclass(frozen=True)
class Edition:
    """The site in one language: its catalogue of interface strings, what its pages draw on, and its pages."""

    translations: object  # gettext translations
    data: SiteData
    pages: tuple[Page, ...]

    @property
    def lang(self) -> Language:
        """The edition's language."""
        return self.data.lang


def make_alternates(editions) -> dict[str, dict[str, str]]:
    """For each page key, the output path of its version in each language it exists in.

    Tags and years exist in some languages only: their language switcher then leads to that
    language's news list. An announcement missing in a language has no stand-in page there; its
    switcher lists the languages it exists in.
    """
    alternates: dict[str, dict[str, str]] = {}
    kinds = {}
    for edition in editions:
        for page in edition.pages:
            alternates.setdefault(page.key, {})[edition.lang.code] = page.dest_path
            kinds[page.key] = page.kind
    for key, versions in alternates.items():
        if key.startswith("news/") and kinds[key] != "announcement":
            for code, path in alternates.get("news", {}).items():
                versions.setdefault(code, path)
    return alternates


def make_pages(config: Config, data: SiteData) -> list[Page]:
    """List the pages of one language with what each template needs (news pages: see news.py)."""
    lang, _ = data.lang, data.fmt.gettext
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
    for code, unit in unit_pages(data.indicators, data.province_code).items():
        key = f"units/{code}"
        pages.append(Page(key, "unit", lang.code, page_path(lang, key), unit_name({code: unit}, code, lang.code),
                          {"unit": unit, "code": code, "indicators": tuple(
                              i for i in data.indicators if code in i.dataset.unit_codes)}))
    pages.append(Page("search", "search", lang.code, page_path(lang, "search"), _("Search"),
                      make_search_context(data)))
    pages.append(Page("404", "not_found", lang.code, f"{lang.prefix}404.html", _("Page not found")))
    return pages


def make_environment(root: Path, translations, bytecode_cache: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """A Jinja2 environment for one language, with autoescaping and gettext installed."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=bytecode_cache,
    )
    env.install_gettext_translations(translations, newstyle=True)
    env.filters["isolate"] = isolate_latin
    from .embed import embed_address, embed_snippet  # embed.py builds on this module's Page
    env.globals.update(embed_address=embed_address, embed_snippet=embed_snippet)
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
            # An announcement not (yet) written in a language: the switcher says so instead of linking.
            unavailable=[lg for lg in config.languages if lg.code not in alternates],
            assets=assets,
            charts=charts,
            csp=csp,
            table_rows=lambda dataset: _table_rows(dataset, data.fmt),
            table_notes=lambda dataset: table_notes(dataset, lang.code),
            ranked_rows=lambda indicator: ranked_rows(indicator, data.province_code, data.fmt),
            unit_figures=lambda indicator, code: unit_figures(indicator, code, data.fmt),
            unit_pages=lambda: unit_pages(data.indicators, data.province_code),
            revision_rows=lambda dataset: revision_rows(dataset, data.fmt),
            freshness=lambda dataset: freshness_facts(dataset, data.fmt),
            table_limit=TABLE_ROWS,
            field_rules=lambda dataset, f: _field_rules(dataset, f, data.fmt),
            dataset_rules=lambda dataset: _dataset_rules(dataset, data.fmt),
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


def unit_pages(indicators, province_code: str) -> dict[str, dict]:
    """Every unit other than the province with a figure in some indicator: its page, by code."""
    found: dict[str, dict] = {}
    for indicator in indicators:
        for code in sorted(indicator.dataset.unit_codes - {province_code}):
            if code in indicator.dataset.units:
                found.setdefault(code, indicator.dataset.units[code])
    return dict(sorted(found.items()))


def unit_figures(indicator: Indicator, code: str, fmt: Formatter) -> dict | None:
    """What a unit's page says about one indicator: the unit's latest figure, its date and sources,
    the province figure of that date and the unit's rank among the units."""
    standing = indicator.standings.get(code)
    if standing is None:
        return None
    dataset, last, province = indicator.dataset, standing["row"], standing["province"]
    name, time, lang = dataset.indicator["headline"]["value"], dataset.time_field, fmt.lang.code
    return {"value": format_value(dataset, name, last[name], fmt), "label": field_title(dataset, name, lang),
            "date": fmt.period(last[time]) if time else "",
            "province": format_value(dataset, name, province[name], fmt) if province else None,
            "rank": standing["rank"], "of": standing["of"],
            "sources": [s.get(lang) or s.get("") for s in provenance.row_sources(dataset, last)]}


def ranked_rows(indicator: Indicator, province_code: str, fmt: Formatter) -> dict | None:
    """The units of the latest date with a figure, highest first, with the province figure: for the ranked table."""
    dataset = indicator.dataset
    name, time = dataset.indicator["headline"]["value"], dataset.time_field
    rows = headline_rows(dataset)
    others = [r for r in rows if str(r.get(CODE, province_code)) != province_code]
    if len({str(r[CODE]) for r in others}) < 2:
        return None
    latest = max(r[time] for r in others) if time else None
    same = [r for r in rows if not time or r[time] == latest]
    province = next((r for r in same if str(r.get(CODE)) == province_code), None)
    lang = fmt.lang.code
    return {"label": field_title(dataset, name, lang), "date": fmt.period(latest) if time else "",
            "province": format_value(dataset, name, province[name], fmt) if province else None,
            "rows": [{"rank": n, "code": str(r[CODE]), "name": unit_name(dataset.units, r[CODE], lang),
                      "value": format_value(dataset, name, r[name], fmt),
                      "above": None if province is None else r[name] >= province[name]}
                     for n, r in enumerate(ranked(same, name, province_code), start=1)]}


def revision_rows(dataset: Dataset, fmt: Formatter) -> list[dict]:
    """The dataset's revisions, newest first, with the row, old and new values written for the page's language."""
    lang = fmt.lang.code
    time = dataset.time_field

    def shown(name: str, value):
        if value in (None, ""):
            return "–"
        try:
            spec = dataset.field(name)
        except StopIteration:
            return str(value)
        if spec.type in ("integer", "number"):
            return format_value(dataset, name, float(value), fmt)
        if spec.type in ("date", "year"):
            return fmt.period(value)
        return format_value(dataset, name, value, fmt)

    rows = []
    for r in revisions_mod.for_dataset(list(dataset.revisions), dataset.name, lang):
        where = shown(time, r["row"]) if time else str(r["row"])
        rows.append({**r, "row_text": f"{where} · {labelled(dataset.units, r['unit_code'], lang)}",
                     "old_text": shown(r["field"], r.get("old_value")), "new_text": shown(r["field"], r.get("new_value"))})
    return rows


def _table_rows(dataset: Dataset, fmt: Formatter) -> list[list[str]]:
    rows = dataset.records(dataset.frame.tail(TABLE_ROWS))
    numbers = {s.get("name"): str(i) for i, s in enumerate(dataset.sources, start=1)}
    lang = fmt.lang.code

    def cell(name: str, value) -> str:
        if name == CODE and value is not None:
            return labelled(dataset.units, value, lang)  # a code is never shown without its name
        if name == provenance.SOURCE_COLUMN and value is not None:
            return ", ".join(f"[{numbers.get(n, n)}]" for n in provenance.source_names(value))
        return format_value(dataset, name, value, fmt)

    return [[cell(f.name, row[f.name]) for f in dataset.fields] for row in rows]


def table_notes(dataset: Dataset, lang: str) -> dict:
    """The notes about the rows a page's table shows: each row's note numbers, and the notes in order."""
    marks, texts = provenance.table_notes(dataset, dataset.records(dataset.frame.tail(TABLE_ROWS)), lang)
    return {"marks": marks, "texts": texts}


def freshness_facts(dataset: Dataset, fmt: Formatter) -> dict | None:
    """How often the dataset is updated, when the next figures are due and whether they are late."""
    due = freshness.next_expected(dataset.as_of, dataset.update_frequency)
    if due is None:
        return None
    return {"frequency": _frequency_words(dataset.update_frequency, fmt), "latest": fmt.date(dataset.as_of),
            "due": fmt.date(due), "overdue": dataset.overdue}


def _frequency_words(text: str, fmt: Formatter) -> str:
    _ = fmt.gettext
    words = {"P1M": _("every month"), "P3M": _("every quarter"), "P6M": _("every six months"), "P1Y": _("every year"),
             "P1W": _("every week"), "P1D": _("every day")}
    return words.get(text, text)


def _field_rules(dataset: Dataset, f, fmt: Formatter) -> str:
    """A column's rules in words: required, range, allowed values, uniqueness."""
    _ = fmt.gettext
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


def _dataset_rules(dataset: Dataset, fmt: Formatter) -> list[str]:
    """The dataset's cross-column rules in words."""
    lang, _ = fmt.lang.code, fmt.gettext
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
