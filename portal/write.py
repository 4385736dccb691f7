"""Output: the finished site written into a fresh folder, then swapped in place of the old one."""

from __future__ import annotations

import bisect
import ctypes
import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import BuildError

# A folder that holds one of these is a project or a repository, never a site to replace.
PROTECTED_MARKERS = ("site.toml", ".git", "pyproject.toml")
# Folders of a project whose files are the user's own work: no site is ever written inside them.
SOURCE_FOLDERS = ("content", "data", "templates", ".git")
# Written into every site this tool builds: only a folder holding it (or an empty one) is replaced.
MARKER = ".p06-portal-site"
MARKER_TEXT = b"This folder is a site built by the Project 06 portal; `build` replaces it as a whole.\n"
PACKAGE_DIR = Path(__file__).resolve().parent


def check_output(output: Path, root: Path) -> None:
    """Refuse an output folder whose replacement would destroy sources or files the tool did not write."""
    shown = str(output)
    output = output.resolve()
    root = root.resolve()
    if output == root or root.is_relative_to(output):
        raise BuildError.single(shown, "the output folder must not contain the project itself")
    for name in SOURCE_FOLDERS:
        if output.is_relative_to(root / name):
            raise BuildError.single(shown, f"the output folder must not be inside the project's {name}/ folder")
    if ".git" in output.parts:
        raise BuildError.single(shown, "the output folder must not be inside a .git folder")
    if output.is_relative_to(PACKAGE_DIR) or PACKAGE_DIR.is_relative_to(output):
        raise BuildError.single(shown, "the output folder must not be inside the portal's own code, nor contain it")
    if not output.exists():
        return
    if not output.is_dir():
        raise BuildError.single(shown, "the output is a file, not a folder; choose another --output")
    if any((output / marker).exists() for marker in PROTECTED_MARKERS):
        raise BuildError.single(shown, "this folder holds a project, not a built site; choose another --output")
    try:
        with os.scandir(output) as entries:
            empty = next(entries, None) is None
    except OSError as exc:
        raise BuildError.single(shown, f"cannot read the output folder: {exc.strerror}")
    if not empty and not (output / MARKER).is_file():
        raise BuildError.single(shown, f"this folder is not empty and holds no site built by this tool (no {MARKER} "
                                "file in it); choose another --output, or empty the folder first")


class Staging:
    """A new site written file by file into a temporary sibling of `output`, swapped in at the end.

    Files are written as they are made, so a large site never sits in memory whole; leaving the
    `with` block without `swap()` (an error anywhere) removes the folder and the old site stays.
    `previous` describes the site now in `output` (name -> (key, size, mtime in ns)): a file made
    from the same key, untouched since, is hard-linked from it instead of written again.
    `manifest` describes the new site the same way.
    """

    def __init__(self, output: Path, previous: dict | None = None):
        self.output = output.resolve()
        try:
            self.output.parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(self.output)
            # The process id in the name tells a later build whether this folder's build still runs.
            self.folder = Path(tempfile.mkdtemp(prefix=f"{self.output.name}.tmp-{os.getpid()}-", dir=self.output.parent))
            with open(self.folder / MARKER, "wb") as marker:
                marker.write(MARKER_TEXT)
        except OSError as exc:
            raise output_error(exc, Path(exc.filename or output)) from None
        self.previous = previous if isinstance(previous, dict) else {}
        self._previous_names: list[str] | None = None  # sorted, once a folder of them is asked for
        self.manifest: dict[str, tuple] = {}
        # Plain strings, not Path objects: a large site passes tens of thousands of names through here.
        self._folder, self._output = str(self.folder), str(self.output)
        self._made: set[str] = set()
        self.record(MARKER, "marker")  # a file of the site like any other, for whoever compares it with the manifest

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def destination(self) -> "Destination":
        """Where another process may write files of the new site (see Destination)."""
        return Destination(self._folder, self._output)

    def path(self, name: str) -> str:
        """Where the file `name` (a path from the site root) goes, its folder made."""
        return self._target(_safe_relative(name))

    def write(self, name: str, content: bytes, key: str | None = None) -> None:
        """Write one file of the new site; `key` names what it was made from."""
        try:
            target = self.path(name)
            if name in self.manifest:
                # Already linked from the current site: writing through the link would change that
                # site's file too, so the link goes first.
                os.unlink(target)
            with open(target, "wb") as out:
                out.write(content)
        except OSError as exc:
            raise output_error(exc, self.output / name) from None
        if key is not None:
            self.record(name, key)

    def write_from(self, name: str, fill: Callable[[BinaryIO], None]) -> tuple[int, str]:
        """Write one file of the new site by handing fill() the open file, so its bytes need not be
        in memory whole; return its size and SHA-256 digest (hexadecimal)."""
        try:
            target = self.path(name)
            if name in self.manifest:  # linked from the current site: see write()
                os.unlink(target)
            with open(target, "wb") as out:
                fill(out)
            digest = hashlib.sha256()
            with open(target, "rb") as written:
                size = 0
                while chunk := written.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise output_error(exc, self.output / name) from None
        self.record(name, f"sha256:{digest.hexdigest()}")
        return size, digest.hexdigest()

    def read(self, name: str) -> bytes:
        """The bytes of a file already written (or linked) into the new site."""
        with open(os.path.join(self._folder, _safe_relative(name)), "rb") as handle:
            return handle.read()

    def record(self, name: str, key: str) -> None:
        """Note in the manifest that the written file `name` was made from `key`."""
        stat = os.stat(os.path.join(self._folder, _safe_relative(name)))
        self.manifest[name] = (key, stat.st_size, stat.st_mtime_ns)

    def reuse(self, name: str, key: str | None) -> bool:
        """Hard-link `name` from the current site if it was made from `key` and is untouched since."""
        if key is not None and self.manifest.get(name, (None,))[0] == key:
            return True  # already linked (or written) from the same key
        known = self.previous.get(name)
        if key is None or known is None or known[0] != key:
            return False
        relative = _safe_relative(name)
        source = f"{self._output}/{relative}"
        try:
            stat = os.stat(source)
            if stat.st_size != known[1] or stat.st_mtime_ns != known[2]:
                return False
            os.link(source, self._target(relative))
        except OSError:
            return False
        self.manifest[name] = known
        return True

    def _target(self, relative: str) -> str:
        """The staging path of the checked relative name `relative`, its folder made."""
        target = f"{self._folder}/{relative}"
        parent = target.rpartition("/")[0]
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target

    def _names_under(self, folder: str) -> list[str]:
        """The current site's file names under `folder`, in order."""
        if self._previous_names is None:
            self._previous_names = sorted(self.previous)
        prefix, names = f"{folder}/", self._previous_names
        start = bisect.bisect_left(names, prefix)
        end = bisect.bisect_left(names, prefix[:-1] + chr(ord("/") + 1), start)  # past every name with the prefix
        return names[start:end]

    def reuse_folder(self, folder: str, key: str) -> bool:
        """Hard-link every file under `folder` from the current site if all were made from `key`."""
        names = self._names_under(folder)
        if not names or any(self.previous[name][0] != key for name in names):
            return False
        if all(self.reuse(name, key) for name in names):
            return True
        removed = os.path.join(self._folder, _safe_relative(folder))
        shutil.rmtree(removed, ignore_errors=True)
        self._made = {made for made in self._made if made != removed and not made.startswith(removed + os.sep)}
        for name in names:
            self.manifest.pop(name, None)
        return False

    def keep_folder(self, folder: str) -> bool:
        """Hard-link every file under `folder` from the current site as it is, if all were made from one key."""
        keys = {self.previous[name][0] for name in self._names_under(folder)}
        return len(keys) == 1 and self.reuse_folder(folder, keys.pop())

    def link(self, name: str, folder: str) -> None:
        """Give the written file `name` a second name inside `folder` of the staging folder (a hard link)."""
        target = self.path(f"{folder}/{name}")
        source = os.path.join(self._folder, _safe_relative(name))
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)

    def swap(self, before_swap: Callable[[Path], None] | None = None, remove_later: bool = False) -> None:
        """Put the new site in place of the old one in one step: `output` is never missing, even if killed.

        `remove_later`: the old site is only renamed, for the next build into `output` (or
        remove_leftovers) to delete, so whoever waits for the new site need not wait for that.
        """
        if before_swap is not None:
            before_swap(self.folder)
        try:
            os.chmod(self.folder, 0o755)
            self._swap(remove_later)
        except OSError as exc:
            raise output_error(exc, self.output) from None

    def _swap(self, remove_later: bool) -> None:
        output = self.output
        if not os.path.lexists(output):
            os.replace(self.folder, output)
        elif exchange(self.folder, output):
            # The staging name now holds the old site; a build killed here leaves it for the next to remove.
            if remove_later:
                os.replace(self.folder, tempfile.mktemp(prefix=f"{output.name}.retired-", dir=output.parent))
            else:
                shutil.rmtree(self.folder, ignore_errors=True)
        else:
            # No atomic exchange on this system (or file system): two renames, with a short gap.
            retired = Path(tempfile.mkdtemp(prefix=f"{output.name}.tmp-{os.getpid()}-", dir=output.parent))
            os.replace(output, retired / output.name)
            try:
                os.replace(self.folder, output)
            except OSError:
                os.replace(retired / output.name, output)
                raise
            shutil.rmtree(retired, ignore_errors=True)


@dataclass(frozen=True)
class Destination:
    """The staging folder as a worker process sees it: it writes files there itself, so their bytes
    never travel back to the build, which records them in the manifest (Staging.record)."""

    folder: str
    output: str

    def write(self, name: str, content: bytes) -> None:
        """Write one file of the new site, never through a hard link to the current site's file."""
        target = os.path.join(self.folder, _safe_relative(name))
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            temporary = f"{target}.tmp-{os.getpid()}"
            with open(temporary, "wb") as out:
                out.write(content)
            os.replace(temporary, target)  # a file linked from the current site stays as it was
        except OSError as exc:
            raise output_error(exc, Path(self.output) / name) from None


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one system call (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def remove_leftovers(output: Path) -> None:
    """Delete the staging folders of builds into `output` that were killed before they could clean up."""
    # Current names carry the builder's process id; the older `.tmp-`/`.old-` names had none, and
    # a `.retired-` folder is an old site that its build left for later (Staging.swap).
    current = re.compile(re.escape(output.name) + r"\.tmp-(\d+)-[a-z0-9_]{8}")
    legacy = re.compile(re.escape(output.name) + r"\.(?:tmp|old|retired)-[a-z0-9_]{8}")
    try:
        names = sorted(os.listdir(output.parent))
    except OSError:
        return
    for name in names:
        match = current.fullmatch(name)
        if (match and not _running(int(match[1]))) or legacy.fullmatch(name):
            shutil.rmtree(output.parent / name, ignore_errors=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # A killed process nobody has waited for yet still answers; its state says it is gone.
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def output_error(exc: OSError, where: Path) -> BuildError:
    """A failed write to the output (a full disk, a read-only folder) said as a problem, not a traceback."""
    return BuildError.single(str(where), f"cannot write the site: {exc.strerror or exc}; the previous site is unchanged")


def _safe_relative(name: str) -> str:
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if name.startswith("/") or ".." in parts or not parts:
        raise ValueError(f"refusing to write outside the output folder: {name!r}")
    return "/".join(parts)
