"""User-facing problems: one exception type, with the wording of every location in one place."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in one input file, located as precisely as the file format allows."""

    path: str
    line: int | None = None
    column: str | int | None = None
    message: str = ""
    severity: str = "error"

    def location(self) -> str:
        """Return `path:line:column` with the parts that are known."""
        parts = [one_line(self.path)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column not in (None, ""):
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """Return the one-line form printed to the terminal."""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.location()}: {prefix}{one_line(self.message)}"

    def annotation(self) -> str:
        """Return the GitHub Actions workflow command for this problem."""
        kind = "warning" if self.severity == "warning" else "error"
        fields = [f"file={self.path}"]
        if self.line is not None:
            fields.append(f"line={self.line}")
        text = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        col = f" (column {self.column})" if self.column not in (None, "") else ""
        return f"::{kind} {','.join(fields)}::{text}{col}"


def one_line(text: str) -> str:
    """`text` with line breaks and control characters escaped (\\x85), so a problem stays on one line."""
    # A file name or a quoted cell may hold them; the message must not be cut in two.
    if not _ODD.search(text):
        return text
    return _ODD.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}", text)


_ODD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def relative(path: Path, root: Path) -> str:
    """Return `path` relative to the project root, with forward slashes, for messages."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return path.as_posix()


class BuildError(click.ClickException):
    """Raised with every problem found in the inputs; printed one line each, exit code 1."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_sort_key)
        super().__init__("\n".join(p.format() for p in self.problems))

    @classmethod
    def single(cls, path: str, message: str, line: int | None = None, column=None) -> "BuildError":
        """Build the error for one problem."""
        return cls([Problem(path, line, column, message)])

    def show(self, file=None) -> None:
        """Print every problem, as annotations too when running under GitHub Actions."""
        print_problems(self.problems, file)
        errors = sum(p.severity == "error" for p in self.problems)
        click.echo(f"{errors} error(s); nothing was written.", err=True, file=file)


def print_problems(problems, file=None) -> None:
    """Print problems one a line, and as annotations under GitHub Actions."""
    for problem in problems:
        click.echo(problem.format(), err=True, file=file)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in problems:
            click.echo(problem.annotation(), file=file)


def _sort_key(p: Problem):
    return (p.path, p.line or 0, str(p.column or ""), p.message)


class InternalError(click.ClickException):
    """A bug in the portal itself (never a mistake in the inputs): shown with its traceback and a request to report it."""

    exit_code = 70  # EX_SOFTWARE: a failure of the tool, not of the files it was given

    def __init__(self, exc: BaseException):
        import traceback

        self.trace = "".join(traceback.format_exception(exc)).rstrip()
        super().__init__(f"{type(exc).__name__}: {exc}")

    def show(self, file=None) -> None:
        """Print the traceback, then say it is a bug and how to report it."""
        click.echo(self.trace, err=True, file=file)
        click.echo("This is a bug in the portal, not a mistake in your files: please report it with the lines above. "
                   "Nothing was written.", err=True, file=file)


def explain(exc: BaseException, root: Path | None = None) -> click.ClickException:
    """The form shown to the user of an exception that escaped a command: a located problem, or a bug report."""
    if isinstance(exc, click.ClickException):
        return exc
    import jinja2

    root = root or Path.cwd()
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = relative(Path(exc.filename), root) if exc.filename else f"templates/{exc.name or '?'}"
        return BuildError.single(where, f"template syntax: {exc.message}", exc.lineno)
    if isinstance(exc, jinja2.TemplateNotFound):
        return BuildError.single(f"templates/{exc.name}", "template not found: the portal needs this file "
                                 "(copy it from the portal's own templates/)")
    if isinstance(exc, OSError):
        where = relative(Path(exc.filename), root) if exc.filename else "(the system)"
        return BuildError.single(str(where), f"{exc.strerror or exc}; nothing was replaced")
    if isinstance(exc, MemoryError):
        return BuildError.single(str(root), "not enough memory for these inputs")
    return InternalError(exc)
