"""Site search: Pagefind indexes the finished pages before the site goes live, in bundles per
language (the data pages, and the announcements of each year) that the search page searches together.

Pagefind reads the written HTML, so it runs on the staging folder the build fills, just before
the swap: if indexing fails the previous site stays in place.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import posixpath
import shutil
import struct
import subprocess
from importlib import metadata
from pathlib import Path

from .errors import BuildError
from .metadata import search_types

BUNDLE_DIR = "pagefind"
# Hard links to the pages the search indexes, beside the rest of the staging folder: Pagefind then
# reads those pages alone instead of every list, stand-in and error page.
SEARCH_INPUT = ".search-input"
# Breadcrumbs, pagers and tag lists are navigation even inside <main>.
EXCLUDE_SELECTORS = ("nav", ".skip-link")
# Pagefind ships ready-made interfaces; the portal draws its own (no injected styles, its own words),
# so only the search library, its worker, the WebAssembly and the index are published.
UNUSED_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
                "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")
# A merged bundle is searched by the data bundle's library and WebAssembly (Pagefind's mergeIndex
# loads neither again), so the announcement bundles keep their index alone.
LIBRARY_FILES = ("pagefind.js", "pagefind-worker.js", "wasm.*.pagefind")
PRIMARY_PART = "data"
# Pagefind's search runs as WebAssembly, which a policy of script-src 'self' forbids; this keyword
# allows compiling WebAssembly only (never eval of JavaScript) and only the search pages carry it.
WASM = "'wasm-unsafe-eval'"
TIMEOUT_SECONDS = 300
SIGNATURE = b"pagefind_dcd"


def search_csp(csp: str) -> str:
    """The policy of a search page: the site's policy, plus WebAssembly for Pagefind."""
    return csp.replace("script-src 'self'", f"script-src 'self' {WASM}", 1)


def page_csp(page, csp: str) -> str:
    """The Content Security Policy of one page."""
    return search_csp(csp) if page.kind == "search" else csp


def make_search_headers(search_paths, csp: str) -> str:
    """_headers rules giving the search pages and Pagefind's worker the WebAssembly policy.

    The "! Content-Security-Policy" line detaches the site-wide policy on hosts that merge rules.
    """
    rules = []
    for url in [f"/{posixpath.dirname(path)}/*" for path in sorted(search_paths)] + [f"/{BUNDLE_DIR}/*"]:
        rules.append(f"{url}\n  ! Content-Security-Policy\n  Content-Security-Policy: {search_csp(csp)}; "
                     "frame-ancestors 'none'\n")
    return "".join(rules)


def search_part(page) -> str:
    """Which of its language's search bundles indexes `page`: the announcements of its year, or the data pages."""
    return f"news/{page.context['item'].date.year}" if page.kind == "announcement" else PRIMARY_PART


def make_search_context(data) -> dict:
    """What the search page shows: filter choices, every page to browse without JavaScript, and the bundles to search."""
    years = {d.as_of.year for d in (i.dataset for i in data.indicators) if d.as_of}
    years |= {item.date.year for item in data.news}
    code = data.lang.code
    return {"search_types": list(search_types(data.fmt).values()), "search_years": sorted(years, reverse=True),
            "indicators": data.indicators, "news": data.news,
            "search_bundle": f"{BUNDLE_DIR}/{code}/{PRIMARY_PART}/pagefind.js",
            "search_merged": [f"{BUNDLE_DIR}/{code}/news/{year}/" for year in sorted({i.date.year for i in data.news}, reverse=True)]}


def pagefind_executable() -> Path:
    """The Pagefind binary from the `pagefind[extended]` package."""
    try:
        # Asked of the binary's own package: `pagefind.service`, which looks in the same place
        # (and in a few others), takes a tenth of a second to import asyncio first.
        from pagefind_bin_extended import get_executable

        found = get_executable()
    except (ImportError, OSError):
        try:
            from pagefind.service import get_executable
        except ImportError:
            get_executable = None
        found = get_executable() if get_executable else None
    if found is None or not Path(found).is_file():
        raise BuildError.single("pagefind", "Pagefind is not installed: run "
                                "`.venv/bin/pip install 'pagefind[extended]'` (or `make site`)")
    return Path(found)


def index_inputs(pages: list[tuple[str, str]]) -> tuple:
    """What a bundle's index is made from: its pages (path, and the key each was made from) and Pagefind's settings."""
    try:
        version = metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        version = "?"
    return (version, EXCLUDE_SELECTORS, UNUSED_FILES, sorted(pages))


def index_bundle(source: Path, bundle: Path) -> dict[str, bytes]:
    """Index the pages in `source` with Pagefind (offline) into the folder `bundle`; return its files by name.

    Each language has its own bundles, so a visitor downloads only the index of the language being
    read; the data pages and each year's announcements are indexed apart (the search page merges
    them), so an edited announcement re-indexes its year in its language, and an edited CSV the
    small data bundles.
    """
    run_pagefind(source, bundle)
    if bundle.name != PRIMARY_PART:
        for pattern in LIBRARY_FILES:
            for path in bundle.glob(pattern):
                path.unlink()
    return {path.relative_to(bundle).as_posix(): path.read_bytes() for path in sorted(bundle.rglob("*")) if path.is_file()}


def run_pagefind(source: Path, bundle: Path) -> None:
    """Run the Pagefind command on the pages in `source`, writing its index into `bundle`; a BuildError when it fails."""
    command = [str(pagefind_executable()), "--site", str(source), "--output-path", str(bundle),
               "--keep-index-url", "--silent"]
    for selector in EXCLUDE_SELECTORS:
        command += ["--exclude-selectors", selector]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError.single("pagefind", f"the search index could not be built: {exc}") from None
    if result.returncode != 0 or not (bundle / "pagefind-entry.json").is_file():
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BuildError.single("pagefind", "the search index could not be built"
                                + (f": {detail[-1]}" if detail else f" (exit status {result.returncode})"))
    for name in UNUSED_FILES:
        (bundle / name).unlink(missing_ok=True)
    shutil.rmtree(bundle / "playground", ignore_errors=True)
    _normalise_bundle(bundle)


def _normalise_bundle(bundle: Path) -> None:
    """Make Pagefind's output the same on every run.

    Pagefind 1.5 writes the languages, the filters and each filter's values in hash-map order, which
    changes from run to run; the order means nothing to the search, so it is sorted here and the
    files that name each other by content hash are renamed to match. Files of a layout this code
    does not know are left as Pagefind wrote them.
    """
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    languages = dict(sorted(entry.get("languages", {}).items()))
    for code, language in languages.items():
        meta_path = bundle / f"pagefind.{language['hash']}.pf_meta"
        meta = _read_pagefind(meta_path)
        if not (isinstance(meta, list) and len(meta) > 4 and all(_is_pair(f) for f in meta[3])):
            continue
        renamed = []
        for name, file_id in meta[3]:
            filter_path = bundle / "filter" / f"{file_id}.pf_filter"
            values = _read_pagefind(filter_path)
            if not (isinstance(values, list) and len(values) == 2 and isinstance(values[1], list)):
                renamed.append([name, file_id])
                continue
            values[1] = sorted(values[1], key=lambda value: str(value[0]))
            new_id = _write_pagefind(bundle / "filter", f"{code}_", 7, ".pf_filter", values)
            if new_id != file_id:
                filter_path.unlink()
            renamed.append([name, new_id])
        meta[3] = sorted(renamed, key=lambda pair: pair[0])
        meta[4] = sorted(meta[4], key=lambda pair: str(pair[0]))
        new_hash = _write_pagefind(bundle, f"pagefind.{code}_", 10, ".pf_meta", meta)
        if new_hash != language["hash"]:
            meta_path.unlink()
        language["hash"] = new_hash.removeprefix("pagefind.")
    entry["languages"] = languages
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _is_pair(value) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _read_pagefind(path: Path):
    """Decode one of Pagefind's files: gzip, a signature, then CBOR; None when it is not that."""
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError):
        return None
    if not data.startswith(SIGNATURE):
        return None
    try:
        value, end = cbor_decode(data, len(SIGNATURE))
    except (IndexError, ValueError):
        return None
    return value if end == len(data) and cbor_encode(value) == data[len(SIGNATURE):] else None


def _write_pagefind(folder: Path, prefix: str, digits: int, suffix: str, value) -> str:
    """Write `value` the way Pagefind does, named by its content; return the name without suffix."""
    data = SIGNATURE + cbor_encode(value)
    name = prefix + hashlib.sha256(data).hexdigest()[:digits]
    (folder / f"{name}{suffix}").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return name


def cbor_decode(data: bytes, at: int = 0):
    """Decode one CBOR item (the subset Pagefind writes) starting at `at`; return (value, next position)."""
    major, info = data[at] >> 5, data[at] & 31
    at += 1
    if major == 7:
        if info in (20, 21, 22):
            return {20: False, 21: True, 22: None}[info], at
        size = {25: 2, 26: 4, 27: 8}.get(info)
        if size is None:
            raise ValueError(f"CBOR simple value {info}")
        if size == 2:
            return ("half", data[at:at + 2]), at + 2
        return struct.unpack(">f" if size == 4 else ">d", data[at:at + size])[0], at + size
    if info < 24:
        argument = info
    elif info <= 27:
        size = 1 << (info - 24)
        argument, at = int.from_bytes(data[at:at + size], "big"), at + size
    else:
        raise ValueError(f"CBOR length {info}")
    if major == 0:
        return argument, at
    if major == 1:
        return -1 - argument, at
    if major in (2, 3):
        chunk = data[at:at + argument]
        return (bytes(chunk) if major == 2 else chunk.decode("utf-8")), at + argument
    if major == 4:
        items = []
        for _ in range(argument):
            item, at = cbor_decode(data, at)
            items.append(item)
        return items, at
    if major == 5:
        pairs = []
        for _ in range(argument):
            key, at = cbor_decode(data, at)
            value, at = cbor_decode(data, at)
            pairs.append((key, value))
        return CborMap(pairs), at
    raise ValueError(f"CBOR major type {major}")


class CborMap(list):
    """A CBOR map kept as its list of pairs, so it is written back in the same order."""


def cbor_encode(value) -> bytes:
    """Encode a value in CBOR with the shortest lengths, as Pagefind's writer does."""
    if value is False or value is True or value is None:
        return bytes([0xF4 if value is False else 0xF5 if value is True else 0xF6])
    if isinstance(value, tuple) and value and value[0] == "half":
        return b"\xf9" + value[1]
    if isinstance(value, float):
        packed = struct.pack(">f", value)
        return b"\xfa" + packed if struct.unpack(">f", packed)[0] == value else b"\xfb" + struct.pack(">d", value)
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return _head(3, len(encoded)) + encoded
    if isinstance(value, CborMap):
        return _head(5, len(value)) + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in value)
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor_encode(item) for item in value)
    raise ValueError(f"cannot encode {type(value).__name__}")


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise ValueError("CBOR argument too large")
