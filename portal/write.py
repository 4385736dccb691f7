"""Output: the finished site written into a fresh folder, then swapped in place of the old one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import BuildError

# A folder that holds one of these is a project or a repository, never a site to replace.
PROTECTED_MARKERS = ("site.toml", ".git", "pyproject.toml")


def check_output(output: Path, root: Path) -> None:
    """Refuse an output folder whose replacement would destroy sources."""
    output = output.resolve()
    root = root.resolve()
    if output == root or root.is_relative_to(output):
        raise BuildError.single(str(output), "the output folder must not contain the project itself")
    if output.is_dir() and any((output / marker).exists() for marker in PROTECTED_MARKERS):
        raise BuildError.single(str(output), "this folder holds a project, not a built site; choose another --output")


def write_site(files: dict[str, bytes], output: Path, before_swap: Callable[[Path], None] | None = None) -> None:
    """Write every file into a temporary sibling of `output`, then swap it in; on failure the old site stays.

    `before_swap` runs on the written staging folder (the search indexer needs files on disk).
    """
    with Staging(output) as staging:
        for name in sorted(files):
            staging.write(name, files[name])
        staging.swap(before_swap)


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
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{self.output.name}.tmp-", dir=self.output.parent))
        self.previous = previous if isinstance(previous, dict) else {}
        self.manifest: dict[str, tuple] = {}
        # Plain strings, not Path objects: a large site passes tens of thousands of names through here.
        self._folder, self._output = str(self.folder), str(self.output)
        self._made: set[str] = set()

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    def path(self, name: str) -> str:
        """Where the file `name` (a path from the site root) goes, its folder made."""
        target = os.path.join(self._folder, _safe_relative(name))
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target

    def write(self, name: str, content: bytes, key: str | None = None) -> None:
        """Write one file of the new site; `key` names what it was made from."""
        target = self.path(name)
        if name in self.manifest:
            # Already linked from the current site: writing through the link would change that
            # site's file too, so the link goes first.
            os.unlink(target)
        with open(target, "wb") as out:
            out.write(content)
        if key is not None:
            self.record(name, key)

    def record(self, name: str, key: str) -> None:
        """Note in the manifest that the written file `name` was made from `key`."""
        stat = os.stat(os.path.join(self._folder, _safe_relative(name)))
        self.manifest[name] = (key, stat.st_size, stat.st_mtime_ns)

    def reuse(self, name: str, key: str | None) -> bool:
        """Hard-link `name` from the current site if it was made from `key` and is untouched since."""
        known = self.previous.get(name)
        if key is None or known is None or known[0] != key:
            return False
        source = os.path.join(self._output, _safe_relative(name))
        try:
            stat = os.stat(source)
            if (stat.st_size, stat.st_mtime_ns) != tuple(known[1:]):
                return False
            os.link(source, self.path(name))
        except OSError:
            return False
        self.manifest[name] = known
        return True

    def reuse_folder(self, folder: str, key: str) -> bool:
        """Hard-link every file under `folder` from the current site if all were made from `key`."""
        names = [name for name in self.previous if name.startswith(f"{folder}/")]
        if not names or any(self.previous[name][0] != key for name in names):
            return False
        if all(self.reuse(name, key) for name in sorted(names)):
            return True
        removed = os.path.join(self._folder, _safe_relative(folder))
        shutil.rmtree(removed, ignore_errors=True)
        self._made = {made for made in self._made if made != removed and not made.startswith(removed + os.sep)}
        for name in names:
            self.manifest.pop(name, None)
        return False

    def link(self, name: str, folder: str) -> None:
        """Give the written file `name` a second name inside `folder` of the staging folder (a hard link)."""
        target = self.path(f"{folder}/{name}")
        source = os.path.join(self._folder, _safe_relative(name))
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)

    def swap(self, before_swap: Callable[[Path], None] | None = None) -> None:
        """Put the new site in place of the old one, in two renames."""
        if before_swap is not None:
            before_swap(self.folder)
        os.chmod(self.folder, 0o755)
        output = self.output
        if output.exists():
            retired = Path(tempfile.mkdtemp(prefix=f"{output.name}.old-", dir=output.parent))
            os.replace(output, retired / output.name)
            try:
                os.replace(self.folder, output)
            except OSError:
                os.replace(retired / output.name, output)
                raise
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(self.folder, output)


def _safe_relative(name: str) -> str:
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if name.startswith("/") or ".." in parts or not parts:
        raise ValueError(f"refusing to write outside the output folder: {name!r}")
    return "/".join(parts)
