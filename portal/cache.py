"""A build cache in .cache/: results of slow, pure steps (chart SVGs, rendered Markdown) by content hash.

Every key covers all the inputs of its step and the versions of the code that computed it, so a
cache written by another version is simply never read, and a damaged entry is treated as missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path

CACHE_DIR = ".cache"


def _versions() -> str:
    names = ("p06-portal", "vl-convert-python", "altair", "markdown", "nh3", "jinja2", "babel")
    found = []
    for name in names:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=?")
    return ";".join(found)


VERSIONS = _versions()


class Cache:
    """Files under one folder, one per key; reads never fail, writes are atomic."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def key(self, kind: str, *parts) -> str:
        """A key for `kind` from everything the result depends on, code versions included."""
        text = json.dumps([kind, VERSIONS, *parts], sort_keys=True, ensure_ascii=False, default=str)
        return f"{kind}/{hashlib.sha256(text.encode('utf-8')).hexdigest()}"

    def get(self, key: str) -> bytes | None:
        """The stored result, or None when absent, unreadable or damaged."""
        if self.folder is None:
            return None
        try:
            raw = (self.folder / key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        digest, _newline, body = raw.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != digest:
            self.misses += 1
            return None
        self.hits += 1
        return body

    def put(self, key: str, value: bytes) -> None:
        """Store a result; a failure to write only costs the next build some time."""
        if self.folder is None:
            return
        path = self.folder / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(hashlib.sha256(value).hexdigest().encode() + b"\n" + value)
            os.replace(temporary, path)
        except OSError:
            pass


# The cache of the build in progress; None (no cache) until a build opens one.
current = Cache(None)


def open_cache(root: Path | None) -> Cache:
    """Make the project's cache the current one (None turns caching off) and return it."""
    global current
    current = Cache(root / CACHE_DIR if root is not None else None)
    return current
