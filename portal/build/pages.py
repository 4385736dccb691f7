"""Pages stage: each language's pages planned, then rendered into the new site (or linked from the current one)."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import jinja2

from ..config import Config
from ..embed import make_embed_pages
from ..i18n import Formatter
from ..indicators import Indicator, make_indicator
from ..metadata import head_inputs, make_head, page_listing
from ..news import Publishing, make_news_pages, make_published, make_related
from ..render import TEMPLATES_DIR, Edition, SiteData, make_alternates, make_environment, make_pages, render_page
from ..search import page_csp, search_part
from ..write import Staging
from .memo import Memo, file_digest

# The policy of every page, in its meta tag; search pages add what their WebAssembly needs.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")


def plan_editions(inputs, drafts: bool, future: bool, memo: Memo) -> list[Edition]:
    """Each language's edition: what its pages draw on and which pages it has (`drafts` and `future`:
    also drafts and announcements still to come)."""
    config = inputs.config
    published = make_published(inputs.news, Publishing(inputs.clock, drafts, future))
    editions = []
    for lang in config.languages:
        translations = inputs.translations[lang.code]
        fmt = Formatter(lang, translations)
        indicators = tuple(_indicator(memo, d, config, fmt) for d in inputs.datasets if d.indicator)
        news = tuple(a for a in published if a.lang == lang.code)
        data = SiteData(lang, fmt, indicators, inputs.datasets, news, config.province_code,
                        make_related(indicators, news))
        pages = make_pages(config, data) + make_news_pages(data) + make_embed_pages(data)  # embeds: for other sites
        editions.append(Edition(translations, data, tuple(pages)))
    return editions


def _indicator(memo: Memo, dataset, config: Config, fmt: Formatter) -> Indicator:
    """make_indicator, from the memo when neither the dataset nor the language's texts changed."""

    def make():
        made = make_indicator(dataset, config.province_code, fmt)
        return dataclasses.replace(made, dataset=None)  # the dataset itself is not kept again

    return dataclasses.replace(memo.made_from("indicator", (dataset, fmt, config.province_code), make),
                               dataset=dataset)


@dataclasses.dataclass
class RenderedPages:
    """What the later steps need of the pages once they are in the staging folder."""

    searchable: dict[str, list[tuple[str, str]]]  # search bundle -> (page path, what it was made from)
    listed: dict[tuple[str, str], tuple]  # (language code, page key) -> (address, last change), for the sitemap


def render_pages(root: Path, config: Config, editions, assets: dict, charts, heads: dict, release: dict,
                 staging: Staging, memo: Memo, executor, progress) -> RenderedPages:
    """Render every page of every edition into `staging`, its head made from `heads` (see make_head_facts)."""
    alternates = make_alternates(editions)
    envs = {}
    for edition in editions:
        envs[edition.lang.code] = env = make_environment(root, edition.translations, _TEMPLATES.using(memo))
        # Compiled before the workers fork, so each of them need not compile the templates again.
        for kind in sorted({page.kind for page in edition.pages}):
            env.get_template(f"{kind}.html")
    renderer = PageRenderer(root, config, editions, envs, assets, charts.files, heads, alternates, release, staging, memo)
    jobs = [(edition, page) for edition in editions for page in edition.pages]
    done = RenderedPages({}, {})
    for (edition, page), (entry, search_key, listed) in zip(jobs, progress(executor.map(renderer, jobs), "Pages", len(jobs))):
        staging.manifest[page.dest_path] = entry  # a worker records into its own copy of `staging`
        if search_key is not None:
            done.searchable.setdefault(f"{edition.lang.code}/{search_part(page)}", []).append((page.dest_path, search_key))
        if listed is not None:
            done.listed[(edition.lang.code, page.key)] = listed
    return done


class PageRenderer:
    """Renders one page into the staging folder, or links it from the current site when its inputs are unchanged.

    A page's key is a fingerprint of everything its template receives, plus the templates themselves.
    Its head (PageMeta) is made only for a page to render: the key holds what a head is made from
    instead, so an unchanged page costs no head (most of the time a rebuild spends on it).
    """

    def __init__(self, root: Path, config: Config, editions, envs: dict, assets: dict, charts: dict, heads: dict,
                 alternates: dict, release: dict, staging: Staging, memo: Memo):
        self.config, self.envs, self.assets, self.charts, self.heads = config, envs, assets, charts, heads
        self.alternates, self.release, self.staging, self.memo = alternates, release, staging, memo
        self.templates = _folder_digest(root / TEMPLATES_DIR)
        # What every page of a language receives alike is fingerprinted once, not with each page;
        # with its head's constants, so that an unchanged page is linked without making its head.
        self.shared = {edition.lang.code: memo.fingerprint(config, edition.lang, edition.data.fmt, edition.translations,
                                                           assets, charts[edition.lang.code], release,
                                                           heads[edition.lang.code].organisation,
                                                           heads[edition.lang.code].province)
                       for edition in editions}

    def __call__(self, job) -> tuple[tuple, str | None, tuple | None]:
        """Make one page; return its manifest entry, what it was made from when search indexes it,
        and its address and last change when the sitemap lists it."""
        edition, page = job
        lang, data, facts = edition.lang, edition.data, self.heads[edition.lang.code]
        alternates, charts, csp = self.alternates[page.key], self.charts[lang.code], page_csp(page, CSP)
        # The head is a function of these and the shared values (see make_head).
        described = self.memo.fingerprint(page, alternates, csp, head_inputs(page, self.config, facts))
        shared = self.shared[lang.code]
        key = self.memo.key("page", self.templates, shared, described) if shared and described else None
        if not self.staging.reuse(page.dest_path, key):
            html = self.memo.remember(key, lambda: render_page(
                self.envs[lang.code], page, self.config, data, alternates, self.assets, charts, csp=csp,
                extra={"release": self.release, "meta": make_head(page, self.config, data, facts)},
            ).encode("utf-8"), bytes)
            self.staging.write(page.dest_path, html, key or "sha256:" + hashlib.sha256(html).hexdigest())
        entry = self.staging.manifest[page.dest_path]
        searched, listed = page_listing(page, self.config)
        return entry, entry[0] if searched else None, listed


class _TemplateStore(jinja2.BytecodeCache):
    """Compiled templates shared by every environment of the process: each language's environment
    and each preview rebuild reuse them, and the next build finds them in the memo (Jinja checks
    every entry against the template's source)."""

    def __init__(self):
        self._store: dict[str, bytes] = {}
        self.memo: Memo | None = None

    def using(self, memo: Memo) -> "_TemplateStore":
        """This store, keeping what it compiles in `memo` from now on."""
        self.memo = memo
        return self

    def load_bytecode(self, bucket) -> None:
        if bucket.key not in self._store:
            stored = self.memo.get(self.memo.key("template", bucket.key)) if self.memo else None
            if stored is None:
                return
            self._store[bucket.key] = stored
        bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()
        if self.memo:
            self.memo.put(self.memo.key("template", bucket.key), self._store[bucket.key])


_TEMPLATES = _TemplateStore()


def _folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + file_digest(str(path)) + b"\0")
    return digest.hexdigest()
