"""The build's memo: results of slow, pure steps (charts, announcements, pages) kept in .cache/.

Every key covers the declared inputs of its step and the versions of the code that computed it,
so a memo written by another version is simply never read, and a damaged entry is treated as
missing. Only the build (this package) uses it: the steps themselves never know they are memoised.
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import json
import operator
import os
import pickle
import re
import tempfile
import time
import zlib
from importlib import metadata
from pathlib import Path

CACHE_DIR = ".cache"
# Entries unread for this long are deleted after a build: the cache holds what recent builds used.
PRUNE_DAYS = 7
# Looking at every entry takes a while in a large cache, so it is done at most once a day; this
# file's modification time says when it last was.
PRUNE_MARK = ".pruned"
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}")


def _versions() -> str:
    names = ("p06-portal", "vl-convert-python", "altair", "markdown", "nh3", "jinja2", "babel")
    found = []
    for name in names:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=?")
    return ";".join(found)


def _code_digest() -> str:
    """The portal's own code, so a change to it (even without a new version number) reads no old entry."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


VERSIONS = f"{_versions()};code={_code_digest()}"


# What this process read of each file: its size, times and inode then, when the read began, and the
# digest of its bytes. A warm process (the preview server) reads again only the files that changed.
_READ: dict[str, tuple[tuple, int, bytes]] = {}
# A file changed this little before a read may change again within one tick of the file system's
# clock, its times unchanged: it is read again next time (git's "racily clean" files).
_SETTLED_NS = 2_000_000_000


def file_digest(path: str) -> bytes:
    """The SHA-256 digest of a file's bytes; not read again while its size, times and inode are those
    of an earlier read in this process, made well after its last change."""
    stat = os.stat(path)
    mark = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)
    known = _READ.get(path)
    if known is not None and known[0] == mark and mark[2] < known[1] - _SETTLED_NS:
        return known[2]
    began = time.time_ns()
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).digest()
    _READ[path] = (mark, began, digest)
    return digest


class Cache:
    """Files under one folder, one per key; reads never fail, writes are atomic."""

    def __init__(self, folder: Path | None):
        self.folder = folder

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
            return None
        digest, _newline, body = raw.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != digest:
            return None
        try:
            # Entries in use stay young; prune() removes the ones no build has read for a while.
            os.utime(self.folder / key)
        except OSError:
            pass
        return body

    def get_object(self, key: str):
        """A stored Python value, or None when absent or unreadable (from another version, say)."""
        raw = self.get(key)
        if raw is None:
            return None
        try:
            return pickle.loads(zlib.decompress(raw))
        except Exception:  # noqa: BLE001 - any damage means "not cached"
            return None

    def remember(self, key: str | None, make, kind: type):
        """The stored value of `key` if it is a `kind`, else make() (stored under `key` unless it is None)."""
        value = self.get_object(key) if key else None
        if not isinstance(value, kind):
            value = make()
            if key:
                self.put_object(key, value)
        return value

    def put_object(self, key: str, value) -> None:
        """Store a Python value, compressed (HTML shrinks about fourfold)."""
        if self.folder is not None:
            # Compressed as it is pickled: a large value (every announcement) is never held
            # uncompressed in memory a second time.
            compressor = zlib.compressobj(1)
            parts: list[bytes] = []
            pickle.Pickler(_Sink(lambda data: parts.append(compressor.compress(data))),
                           protocol=pickle.HIGHEST_PROTOCOL).dump(value)
            parts.append(compressor.flush())
            self.put(key, b"".join(parts))

    def prune(self, days: float = PRUNE_DAYS) -> int:
        """Delete entries no build has read for `days` days, unless that was done today; return how many."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        now = time.time()
        mark = self.folder / PRUNE_MARK
        try:
            if now - mark.stat().st_mtime < 86400:
                return 0
        except OSError:
            pass
        limit = now - days * 86400
        removed = 0
        for kind in self.folder.iterdir():
            if not kind.is_dir():
                continue
            for entry in os.scandir(kind):
                # Entries and what a killed write left; not what else shares the folder (the fonts' lock).
                if not (_ENTRY_NAME.fullmatch(entry.name) or entry.name.startswith(".tmp-")):
                    continue
                try:
                    if entry.stat().st_mtime < limit:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    pass
        try:
            mark.touch()
            os.utime(mark, (now, now))
        except OSError:
            pass
        return removed

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


class _Sink:
    """A file-like object that hands what is written to it to a function."""

    def __init__(self, write):
        self.write = write


def user_folder() -> Path | None:
    """The per-user cache folder ($XDG_CACHE_HOME/p06-portal), or None where it cannot be made."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "p06-portal"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


class Memo(Cache):
    """The cache of one build, and what it knows of the objects the build read.

    Objects read from files (announcements, datasets, translation catalogues) are known by the
    digest of what they were read from, so a key need not go through their contents again.
    """

    def __init__(self, root: Path | None):
        super().__init__(root / CACHE_DIR if root is not None else None)
        self.root = root
        self._seen: dict[int, tuple[str, object]] = {}
        self._reductions = _Reductions(self._seen, root)
        # What every project's build would make alike (the measurement fonts, the Vega bundle), kept
        # once per user; in the project's own folder where there is no user cache to write to.
        self.shared = Cache((user_folder() or self.folder) if root is not None else None)

    def prune(self, days: float = PRUNE_DAYS) -> int:
        """Cache.prune of the project's folder and of the one shared by every project (whose Vega
        bundle is kept by the portal's version: each new version would otherwise leave one behind)."""
        removed = super().prune(days)
        if self.shared.folder != self.folder:
            removed += self.shared.prune(days)
        return removed

    def read_from(self, value, digest: str) -> None:
        """Record that `value` was made from inputs whose digest is `digest`."""
        self._seen[id(value)] = (hashlib.sha256(f"{type(value).__qualname__}:{digest}".encode()).hexdigest(), value)
        self._reductions.know(type(value))

    def fingerprint(self, *values) -> str | None:
        """A digest of `values` for a key, or None when one of them cannot be followed (never cache it)."""
        digest = hashlib.sha256()
        try:
            _Digest(_Sink(digest.update), self._reductions).dump(values)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return None
        return digest.hexdigest()

    def made_from(self, kind: str, inputs: tuple, make):
        """make(), or what an earlier build made from equal `inputs` (any values: see fingerprint)."""
        described = self.fingerprint(*inputs)
        return self.step(kind, (described,), make) if described else make()

    def step(self, kind: str, inputs: tuple, make, keep=None):
        """What an earlier build's make() gave for the same `kind` and `inputs` (when `keep` accepts
        it), else make(), kept for later builds when `keep` accepts it (default: anything but None)."""
        keep = keep or (lambda value: value is not None)
        key = self.key(kind, *inputs)
        value = self.get_object(key)
        if value is None or not keep(value):
            value = make()
            if keep(value):
                self.put_object(key, value)
        return value


class _Digest(pickle.Pickler):
    """Pickles a value into a digest: objects the memo knows stand for their digest; dataclasses for
    their fields alone (a cached property computed or not changes nothing); paths count from the
    project, so a moved project keeps its memo.

    The built-in containers, plain values, functions and classes are pickled in C without a call back
    into Python, which makes this several times faster than walking the value in Python: only the
    types in `reductions` (see _Reductions) call Python code.
    """

    def __init__(self, file, reductions: "_Reductions"):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.fast = True  # no memo of shared objects: equal values give equal bytes, whatever they share
        self.dispatch_table = reductions


class _Reductions(dict):
    """How a _Digest stands for a value, by its type, worked out once per type (the check costs more
    than the answer); objects of the types the memo knows stand for their digest when it knows them."""

    def __init__(self, seen: dict, root: Path | None):
        super().__init__()
        self.seen, self.root, self.known_types = seen, root, set()

    def know(self, kind: type) -> None:
        """Objects of `kind` may be known by their digest from now on."""
        if kind not in self.known_types:
            self.known_types.add(kind)
            self.pop(kind, None)

    def __missing__(self, kind: type):
        if issubclass(kind, type):
            raise KeyError(kind)  # classes with a metaclass of their own: pickle saves them by name
        plain = self._plain(kind)
        if kind in self.known_types:
            seen = self.seen

            def known_or_plain(obj):
                known = seen.get(id(obj))
                return (_known, (known[0],)) if known is not None else plain(obj)

            self[kind] = known_or_plain
        else:
            self[kind] = plain
        return self[kind]

    def _plain(self, kind: type):
        if dataclasses.is_dataclass(kind):
            names = tuple(f.name for f in dataclasses.fields(kind))
            module, name = kind.__module__, kind.__qualname__
            fields = operator.attrgetter(*names) if len(names) > 1 else (lambda obj: tuple(getattr(obj, n) for n in names))
            return lambda obj: (_dataclass, (module, name, fields(obj)))
        if issubclass(kind, Path):
            root = self.root
            return lambda obj: _path(root, obj)
        if kind.__name__ == "DataFrame":
            return _data_frame
        # What pickle itself would do, without a call into Python for each value.
        return copyreg.dispatch_table.get(kind) or operator.methodcaller("__reduce_ex__", pickle.HIGHEST_PROTOCOL)


def _path(root: Path | None, obj: Path):
    inside = root is not None and obj.is_relative_to(root)
    return Path, ((obj.relative_to(root) if inside else obj).as_posix(),)


def _data_frame(obj):
    import pandas as pd

    rows = pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes()
    return _frame, (list(obj.columns), [str(t) for t in obj.dtypes], hashlib.sha256(rows).hexdigest())


def _known(digest: str):
    """Stands, in a digest, for an object the memo knows by what it was read from (never called)."""


def _dataclass(module: str, name: str, values: tuple):
    """Stands, in a digest, for a dataclass instance by its fields (never called)."""


def _frame(columns: list, types: list, rows: str):
    """Stands, in a digest, for a data frame by its columns, types and rows (never called)."""
