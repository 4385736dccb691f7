"""Inputs stage: settings, data, translations and announcements read from disk and checked, before anything is made.

What was read from unchanged files comes back from the memo, and every object read is recorded
in it by the digest of its files, so later keys need not go through its contents again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from ..config import PORTAL_TZ, Config, load_config, parse_clock
from .. import content
from ..content import Announcement, Rules, load_images
from ..data import FRICTIONLESS_MAX_BYTES, Dataset, load_datasets
from ..errors import BuildError, Problem
from ..i18n import DOMAIN, LOCALES_DIR, catalogue_path, check_catalogues, load_translations
from ..news import make_names, next_changes
from ..release import load_package
from .executor import Executor
from .memo import Memo, file_digest


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
    datasets = _load_datasets(root, today, config, memo, warnings)
    found, translations = _load_catalogues(config.languages, root, memo)
    warnings += found
    # Footnote back-links carry a title, so Markdown needs it in each language.
    backlinks = {code: t.gettext("Back to the text of note %(number)s") for code, t in translations.items()}
    rules = Rules(tuple(translations), make_names(datasets), urlsplit(config.base_url).hostname, backlinks)
    news = tuple(load_news(root, rules, memo, executor))
    if strict and warnings:
        raise BuildError([dataclasses.replace(w, severity="error", message=f"{w.message} [--strict]") for w in warnings])
    changes = next_changes(news, moment)
    return Inputs(config, datasets, news, tuple(warnings), moment, load_images(root, news), translations,
                  load_package(root), changes[0].moment if changes else None)


def _load_datasets(root: Path, today: dt.date, config: Config, memo: Memo, warnings: list[Problem]) -> tuple[Dataset, ...]:
    """load_datasets, or what an earlier build read on the same day from a data folder holding the same files."""

    def load() -> tuple:
        found: list[Problem] = []
        digests: dict[str, str] = {}
        return tuple(load_datasets(root, today, found, memo.step, digests)), tuple(found), digests

    folder = _data_digest(root / "data")
    # Its rows stay pickled until a page or chart asks for them (see Dataset): an unchanged data
    # folder costs a rebuild neither its checks nor the import of pandas.
    inputs = (str(root), folder, config.province_code, today.isoformat())
    datasets, found, digests = memo.step("datasets", inputs, load) if folder else load()
    warnings += found
    for dataset in datasets:
        if digests.get(dataset.name):
            memo.read_from(dataset, digests[dataset.name])
    return datasets


def _data_digest(folder: Path) -> str | None:
    """A digest of every file in `folder` (where links point, too), or None when one is very large or unreadable."""
    digest = hashlib.sha256()
    try:
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_file():
                if entry.stat().st_size > FRICTIONLESS_MAX_BYTES:
                    return None  # read again every time (see load_datasets), and never kept whole
                target = os.path.realpath(entry.path) if entry.is_symlink() else ""
                digest.update(f"{entry.name}\0{target}\0".encode() + file_digest(entry.path))
    except OSError:
        return None
    return digest.hexdigest()


# The catalogues this process last read, by the digests of their files: a preview rebuild parses none again.
_LIVE_CATALOGUES: dict[tuple, tuple] = {}


def _load_catalogues(languages, root: Path, memo: Memo) -> tuple[list[Problem], dict]:
    """The warnings of check_catalogues, and each language's translations (by code)."""
    digests = {lang.code: file_digest(str(catalogue_path(lang))).hex() if catalogue_path(lang).exists() else "none"
               for lang in languages}
    template = LOCALES_DIR / f"{DOMAIN}.pot"
    said = (repr(languages), str(root), file_digest(str(template)) if template.exists() else b"", tuple(digests.items()))
    if said not in _LIVE_CATALOGUES:
        _LIVE_CATALOGUES.clear()
        _LIVE_CATALOGUES[said] = (tuple(check_catalogues(languages, root)),
                                  {lang.code: load_translations(lang, root) for lang in languages})
    warnings, translations = _LIVE_CATALOGUES[said]
    for code, catalogue in translations.items():
        memo.read_from(catalogue, digests[code])
    return list(warnings), dict(translations)


# Announcements are kept in this many memo entries, by the first letter of their file's digest:
# reading thousands of small entries back costs more than parsing a few files, and one entry for
# them all would be written again, whole, after every edit.
NEWS_SHARDS = 16
# What this process last read or wrote of each shard: a preview server, building again after an
# edit, neither reads nor unpickles the shards that did not change. Their items are never
# changed in place (a build takes copies with dataclasses.replace).
_LIVE_SHARDS: dict[str, dict] = {}
# And the announcements it last gave, by file and digest: the same objects again, not copies.
_LIVE_ITEMS: dict[tuple, Announcement] = {}


def load_news(root: Path, rules: Rules, memo: Memo, executor: Executor) -> list[Announcement]:
    """Every announcement, parsed again only where its file (or the rules) changed since the last build."""
    paths = content.list_announcements(root)
    digests = {}
    for path in paths:
        try:
            digests[path] = hashlib.sha256(path.name.encode() + b"\0" + file_digest(str(path))).hexdigest()
        except OSError:
            digests[path] = f"unreadable {path.name}"  # never in the memo: loading it says what is wrong
    shard_of = {digest: _shard(digest) for digest in digests.values()}
    # Kept without their paths, which are slow to unpickle and known anyway.
    setting = (repr(rules), content.usable_images(root))
    keys = {shard: memo.key("announcements", *setting, shard) for shard in sorted(set(shard_of.values()))}
    live, said = memo.folder is not None, repr(setting)
    known, stored_digests = {}, {}
    for shard, key in keys.items():
        stored = _LIVE_SHARDS.get(key) if live else None
        stored = stored if stored is not None else memo.get_object(key)
        stored = stored if isinstance(stored, dict) else {}
        known.update(stored)
        stored_digests[shard] = stored.keys()
    missing = [path for path in paths if digests[path] not in known]
    loaded = dict(zip(missing, executor.map(partial(content.load_announcement, root, rules), missing)))
    items, problems, given = [], [], {}
    for path in paths:
        digest = digests[path]
        if path in loaded:
            item, found = loaded[path]
            problems += found
        else:
            item = (_LIVE_ITEMS.get((said, path, digest)) if live else None) or \
                dataclasses.replace(known[digest], src_path=path)
        if item is not None:
            memo.read_from(item, f"{setting}\0{digest}")
            items.append(item)
            given[(said, path, digest)] = item
    shards: dict[str, dict] = {shard: {} for shard in keys}
    for item in items:
        digest = digests[item.src_path]
        shards[shard_of[digest]][digest] = known.get(digest) or dataclasses.replace(item, src_path=None)
    for shard, entries in shards.items():
        if entries.keys() != stored_digests[shard]:
            memo.put_object(keys[shard], entries)
    if live:
        _LIVE_SHARDS.clear()
        _LIVE_SHARDS.update((keys[shard], entries) for shard, entries in shards.items())
        _LIVE_ITEMS.clear()
        _LIVE_ITEMS.update(given)
    return content.make_news_items(root, items, problems)


def _shard(digest: str) -> str:
    """Which memo entry keeps the announcement of a file with this digest ("-": an unreadable file)."""
    return "-" if digest.startswith("unreadable") else format(int(digest[:2], 16) % NEWS_SHARDS, "x")
