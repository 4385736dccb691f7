"""Output stage: assets, open data, feeds, sitemap, headers and the search index, written beside the pages."""

from __future__ import annotations

import hashlib
import shutil
from functools import partial
from pathlib import Path

from ..api import make_api, make_dataset_feed, make_values
from ..catalog import make_catalog
from ..embed import EMBED_KIND, make_embed_headers
from ..feed import make_feed
from ..release import FileFacts, make_checksums, make_release, make_tables, make_zip, release_paths, zip_stamp
from ..render import feed_path
from ..search import BUNDLE_DIR, SEARCH_INPUT, index_bundle, index_inputs, make_search_headers
from ..sitemap import ROBOTS, SITEMAP, make_robots, make_sitemap
from ..write import Staging
from .memo import Memo
from .pages import CSP

ASSETS_DIR = Path("templates") / "assets"
# For hosts that read a _headers file: the same policy as the pages' meta tag, plus what a meta
# tag cannot say; fingerprinted assets never change, so browsers may keep them for a year.
HEADERS = (f"/*\n  Content-Security-Policy: {CSP}; frame-ancestors 'none'\n  X-Content-Type-Options: nosniff\n"
           "  Referrer-Policy: no-referrer\n/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n")


def write_assets(root: Path, bundle: bytes, staging: Staging) -> dict[str, str]:
    """Write the stylesheet, the scripts and the Vega `bundle` under fingerprinted names; return name -> path."""
    sources = {path.name: path.read_bytes() for path in sorted((root / ASSETS_DIR).glob("*")) if path.is_file()}
    sources["vega.js"] = bundle
    assets, files = {}, {}
    for name, content in sources.items():
        stem, _dot, ext = name.rpartition(".")
        path = f"assets/{stem}.{hashlib.sha256(content).hexdigest()[:10]}.{ext}"
        files[path], assets[name] = content, path
    write_files(staging, files)
    return assets


def write_release(inputs, editions, staging: Staging, memo: Memo) -> dict[str, str]:
    """Write the open-data files (downloads, package, checksums, zip) and the announcements' pictures;
    return the release's addresses for the pages."""
    config, package, datasets = inputs.config, inputs.package, inputs.datasets
    gettexts = {edition.lang.code: edition.data.fmt.gettext for edition in editions}
    paths = release_paths(package["name"])

    def tables(dataset, names: tuple) -> tuple[bytes, ...]:
        # One changed CSV remakes its own downloads; the others come from the memo.
        return memo.made_from("release-tables", (dataset, names), lambda: make_tables(dataset, names))

    def release() -> dict[str, FileFacts]:
        facts = {path: write_file(staging, path, content, made)
                 for path, content, made in make_release(package, datasets, config, gettexts, tables)}
        # The zip is made from the files as written, read back one at a time, beside checksums of them alone.
        inside = make_checksums(facts)
        members = ((path, inside if path == paths["checksums"] else staging.read(path))
                   for path in sorted([*facts, paths["checksums"]]))
        facts[paths["zip"]] = FileFacts(*staging.write_from(paths["zip"], partial(make_zip, members, zip_stamp(datasets))))
        facts[paths["checksums"]] = write_file(staging, paths["checksums"], make_checksums(facts))
        return facts

    facts = _written(staging, memo, "release", (package, datasets, config, gettexts), release)
    # The DCAT-AP catalogue of those downloads, for open-data portals to harvest.
    write_files(staging, memo.made_from("catalog", (config, package, datasets, facts),
                                        lambda: make_catalog(config, package, datasets, facts)))
    # The static API (values by indicator and by unit) and an Atom feed per dataset.
    def values(dataset, units: dict) -> tuple:
        # One changed CSV works out its own values again; the others' come from the memo.
        return memo.made_from("api-values", (package, dataset, units), lambda: make_values(package, dataset, units))

    _written(staging, memo, "api", (package, datasets, config), lambda: {
        path: write_file(staging, path, content) for path, content in make_api(config, package, datasets, values)})
    for edition in editions:  # one changed CSV remakes its own feeds
        for dataset in edition.data.datasets:
            write_files(staging, memo.made_from(
                "dataset-feed", (config, edition.lang, edition.translations, dataset),
                lambda: make_dataset_feed(config, edition.lang, edition.data, dataset)))  # noqa: B023 - called at once
    used = sorted({name for edition in editions for item in edition.data.news for name in item.images})
    write_files(staging, {f"images/{name}": inputs.images[name] for name in used})
    return paths


def _written(staging: Staging, memo: Memo, kind: str, inputs: tuple, write) -> dict[str, FileFacts]:
    """The files write() puts into `staging`, described; when an earlier build wrote them from equal
    `inputs` and the current site still has them, they are linked from it instead. The memo keeps
    what they are, not their bytes: a large release or API is never read back whole."""
    described = memo.fingerprint(*inputs)
    key = memo.key(kind, described) if described else None
    facts = memo.get_object(key) if key else None
    if isinstance(facts, dict) and facts and all(staging.reuse(name, f"sha256:{fact.sha256}")
                                                 for name, fact in facts.items()):
        return facts
    facts = write()
    if key:
        memo.put_object(key, facts)
    return facts


def write_indexes(config, editions, listed: dict, staging: Staging) -> None:
    """Write each language's feed, the sitemap (of the pages `listed`: see make_sitemap), robots.txt and the _headers file."""
    files = {feed_path(edition.lang): make_feed(config, edition.data) for edition in editions}
    files[SITEMAP] = make_sitemap(config, editions, listed)
    files[ROBOTS] = make_robots(config)
    search_pages = [page.dest_path for edition in editions for page in edition.pages if page.kind == "search"]
    embeds = [page.dest_path for edition in editions for page in edition.pages if page.kind == EMBED_KIND]
    # Embed pages (and only they) may be framed by other sites.
    files["_headers"] = (HEADERS + make_search_headers(search_pages, CSP) + make_embed_headers(embeds, CSP)).encode()
    write_files(staging, files)


def write_search_index(staging: Staging, searchable: dict[str, list[tuple[str, str]]], memo: Memo,
                       later: bool = False) -> dict[str, list[tuple[str, str]]]:
    """Index each search bundle's pages (see search.index_bundle), or link or copy a bundle whose pages did not change.

    `later`: a bundle whose pages changed keeps its current index for now, if it has one (see
    finish_preview); return those bundles, with their pages, to be indexed once the site is in place.
    """
    source, pending = staging.folder / SEARCH_INPUT, {}
    try:
        for bundle, made_from in sorted(searchable.items()):
            if not made_from:  # nothing to search, no bundle
                continue
            folder, key = f"{BUNDLE_DIR}/{bundle}", memo.key("search-index", *index_inputs(made_from))
            if staging.reuse_folder(folder, key):
                continue
            # The index it had is a whole one (its pages' words, each at its address): the search
            # page works with it, and finds the edited page's new words once it is indexed again.
            if later and staging.keep_folder(folder):
                pending[bundle] = made_from
                continue
            stored = memo.get_object(key)
            if isinstance(stored, dict) and stored:
                write_files(staging, {f"{folder}/{name}": content for name, content in stored.items()}, key)
                continue
            for name, _key in made_from:  # only the pages of a bundle to index again are linked for Pagefind
                staging.link(name, f"{SEARCH_INPUT}/{bundle}")
            # One bundle at a time: Pagefind uses every core itself (two runs side by side on two
            # cores took as long as one after the other).
            made = index_bundle(source / bundle, staging.folder / folder)
            for name in made:
                staging.record(f"{folder}/{name}", key)
            memo.put_object(key, made)
    finally:
        shutil.rmtree(source, ignore_errors=True)
    return pending


def write_files(staging: Staging, files: dict[str, bytes], key: str | None = None) -> None:
    """Put `files` into `staging`, linking each one whose content the current site already has."""
    for name in sorted(files):
        if key is None:
            write_file(staging, name, files[name])
        elif not staging.reuse(name, key):
            staging.write(name, files[name], key)


def write_file(staging: Staging, name: str, content: bytes, facts: FileFacts | None = None) -> FileFacts:
    """Put one file into `staging` (linked when the current site has the same bytes); return its
    facts (`facts`, when the caller has them already)."""
    facts = facts or FileFacts.of(content)
    digest = f"sha256:{facts.sha256}"
    if not staging.reuse(name, digest):
        staging.write(name, content, digest)
    return facts
