"""Inputs stage: settings, data, translations and announcements read from disk and checked, before anything is made.

What was read from unchanged files comes back from the memo, and every object read is recorded
in it by the digest of its files, so later keys need not go through its contents again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from ..config import PORTAL_TZ, Config, load_config, parse_clock
from .. import content
from ..content import Announcement, Rules, load_images
from ..data import Dataset, load_datasets
from ..errors import BuildError, Problem
from ..i18n import catalogue_path, check_catalogues, load_translations
from ..news import make_names, next_changes
from ..release import load_package
from .executor import Executor
from .memo import Memo


@dataclass(frozen=True)
class Inputs:
    """Everything read from disk and checked, before anything is made."""

    config: Config
    datasets: tuple[Dataset, ...]
    news: tuple[Announcement, ...]  # every announcement, drafts and scheduled ones too
    warnings: tuple[Problem, ...] = ()
    clock: dt.datetime | None = None  # the moment the build speaks for
    images: dict = dataclasses.field(default_factory=dict)  # pictures of the announcements, by name
    translations: dict = dataclasses.field(default_factory=dict)  # language code -> gettext translations
    package: dict = dataclasses.field(default_factory=dict)  # data/datapackage.json as published
    next_change: dt.datetime | None = None  # when an announcement next appears or expires by itself


def load_inputs(root: Path, base_url: str | None = None, clock: str | None = None, strict: bool = False,
                jobs: int = 1, memo: Memo | None = None, executor: Executor | None = None) -> Inputs:
    """Read and validate config, data and content; raise BuildError listing problems.

    With `strict`, warnings count as errors. `memo` (none: remember nothing) gives back what an
    earlier build read from the same files; `executor` (none: `jobs` processes) parses announcements.
    """
    memo = memo or Memo(None)
    executor = executor or Executor(jobs)
    moment = parse_clock(clock)
    today = moment.astimezone(PORTAL_TZ).date()
    config = load_config(root, base_url)
    warnings: list[Problem] = []
    digests: dict[str, str] = {}
    datasets = tuple(load_datasets(root, today, warnings, memo.step, digests))
    for dataset in datasets:
        if digests.get(dataset.name):
            memo.read_from(dataset, digests[dataset.name])
    warnings += check_catalogues(config.languages, root)
    translations = {lang.code: _load_translations(lang, root, memo) for lang in config.languages}
    # Footnote back-links carry a title, so Markdown needs it in each language.
    backlinks = {code: t.gettext("Back to the text of note %(number)s") for code, t in translations.items()}
    rules = Rules(tuple(translations), make_names(datasets), urlsplit(config.base_url).hostname, backlinks)
    news = tuple(load_news(root, rules, memo, executor))
    if strict and warnings:
        raise BuildError([dataclasses.replace(w, severity="error", message=f"{w.message} [--strict]") for w in warnings])
    changes = next_changes(news, moment)
    return Inputs(config, datasets, news, tuple(warnings), moment, load_images(root, news), translations,
                  load_package(root), changes[0].moment if changes else None)


def _load_translations(lang, root: Path, memo: Memo):
    translations = load_translations(lang, root)
    path = catalogue_path(lang)
    memo.read_from(translations, hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "none")
    return translations


def load_news(root: Path, rules: Rules, memo: Memo, executor: Executor) -> list[Announcement]:
    """Every announcement, parsed again only where its file (or the rules) changed since the last build."""
    paths = content.list_announcements(root)
    # One memo entry for them all, since reading thousands of small entries back costs more than
    # parsing a few files. They are kept without their paths, which are slow to unpickle and known anyway.
    known_key = memo.key("announcements", repr(rules), content.usable_images(root))
    known = memo.get_object(known_key)
    known = known if isinstance(known, dict) else {}
    digests = {}
    for path in paths:
        try:
            with open(str(path), "rb") as handle:
                digests[path] = hashlib.sha256(path.name.encode() + b"\0" + handle.read()).hexdigest()
        except OSError:
            digests[path] = f"unreadable {path.name}"  # never in the memo: loading it says what is wrong
    missing = [path for path in paths if digests[path] not in known]
    loaded = dict(zip(missing, executor.map(partial(content.load_announcement, root, rules), missing)))
    items, problems = [], []
    for path in paths:
        item, found = loaded[path] if path in loaded else (dataclasses.replace(known[digests[path]], src_path=path), [])
        problems += found
        if item is not None:
            memo.read_from(item, f"{known_key}\0{digests[path]}")
            items.append(item)
    if {digests[item.src_path] for item in items} != known.keys():
        memo.put_object(known_key, {digests[item.src_path]: dataclasses.replace(item, src_path=None) for item in items})
    return content.make_news_items(root, items, problems)
