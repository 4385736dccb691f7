"""Embeds: a bare page per chart and language that other sites may show in an <iframe>, the
snippet that does it, and the _headers rules that let them (every other page refuses framing)."""

from __future__ import annotations

import posixpath
from html import escape

from .config import Config, Language
from .render import Page, page_path

EMBED_KIND = "embed"
# Room for the title above the chart and the source, date and licence below it.
CAPTION_HEIGHT = 170
FRAME_PADDING = 32


def embed_key(slug: str) -> str:
    """The page key of an indicator's embed page."""
    return f"embed/{slug}"


def make_embed_pages(data) -> list[Page]:
    """One embed page per indicator with a chart, in the language of `data` (a SiteData)."""
    lang = data.lang
    return [Page(embed_key(indicator.slug), EMBED_KIND, lang.code, page_path(lang, embed_key(indicator.slug)),
                 indicator.title, {"indicator": indicator, "dataset": indicator.dataset,
                                   "back": f"indicators/{indicator.slug}"})
            for indicator in data.indicators if indicator.views]


def embed_address(config: Config, lang: Language, slug: str) -> str:
    """The public address of an indicator's embed page in `lang`."""
    return config.base_url + page_path(lang, embed_key(slug))


def embed_snippet(address: str, title: str, chart: dict) -> str:
    """The <iframe> a reader copies to show a chart (`chart`: its file description) on another site."""
    wide = chart["files"]["wide"]
    return (f'<iframe src="{escape(address)}" title="{escape(title)}" width="100%" '
            f'height="{wide["height"] + CAPTION_HEIGHT}" style="border:0;max-width:{wide["width"] + FRAME_PADDING}px" '
            f'loading="lazy"></iframe>')


def make_embed_headers(embed_paths, csp: str) -> str:
    """_headers rules that let any site frame the embed pages, and only them.

    Browsers ignore frame-ancestors in a meta tag, so only a header can allow or forbid framing;
    "! Content-Security-Policy" detaches the site-wide policy (which says 'none').
    """
    folders = sorted({posixpath.dirname(path) for path in embed_paths})
    return "".join(f"/{folder}/*\n  ! Content-Security-Policy\n  Content-Security-Policy: {csp}; frame-ancestors *\n"
                   for folder in folders)
