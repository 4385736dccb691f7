"""Output: the finished site written into a fresh folder, then swapped in place of the old one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

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
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{output.name}.tmp-", dir=output.parent))
    try:
        for name in sorted(files):
            target = staging / _safe_relative(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[name])
        if before_swap is not None:
            before_swap(staging)
        os.chmod(staging, 0o755)
        if output.exists():
            retired = Path(tempfile.mkdtemp(prefix=f"{output.name}.old-", dir=output.parent))
            os.replace(output, retired / output.name)
            try:
                os.replace(staging, output)
            except OSError:
                os.replace(retired / output.name, output)
                raise
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, output)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"refusing to write outside the output folder: {name!r}")
    return path
