"""Announcements: Markdown files with YAML front matter, checked and turned into safe HTML."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import markdown
import nh3
import yaml

from .errors import BuildError, Problem, relative

ANNOUNCEMENTS_DIR = Path("content") / "announcements"
FILE_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[a-z]{2})\.md$")
REQUIRED = {"title": str, "date": dt.date, "summary": str, "tags": list}
OPTIONAL = {"author": str, "draft": bool}
MARKDOWN_EXTENSIONS = ["tables", "footnotes", "attr_list", "sane_lists", "smarty", "toc"]
ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "time", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "time": {"datetime"},
}


@dataclass(frozen=True)
class Announcement:
    """One news item in one language."""

    src_path: Path
    lang: str
    slug: str
    date: dt.date
    title: str
    summary: str
    tags: tuple[str, ...]
    author: str | None
    draft: bool
    body_html: str

    @property
    def key(self) -> str:
        """What links the translations of one announcement: date and slug."""
        return f"{self.date.isoformat()}-{self.slug}"


def load_announcements(root: Path, languages: tuple[str, ...]) -> list[Announcement]:
    """Read every announcement file; raise BuildError listing every problem in every file."""
    folder = root / ANNOUNCEMENTS_DIR
    problems: list[Problem] = []
    items = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.name.startswith(".") or path.is_dir():
            continue
        shown = relative(path, root)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raw = path.read_bytes()
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(Problem(shown, line, None, "not valid UTF-8; save the file as UTF-8"))
            continue
        item = make_announcement(path, shown, text, languages, problems)
        if item is not None:
            items.append(item)
    seen: dict[tuple, str] = {}
    for item in items:
        key = (item.lang, item.slug)
        if key in seen:
            problems.append(Problem(relative(item.src_path, root), 1, None,
                                    f"slug {item.slug!r} is already used by {seen[key]} in the same language"))
        seen.setdefault(key, relative(item.src_path, root))
    if problems:
        raise BuildError(problems)
    return sorted(items, key=lambda a: (a.date, a.slug, a.lang), reverse=True)


def make_announcement(path: Path, shown: str, text: str, languages, problems: list[Problem]):
    """Check one file's name and front matter and render its body; None when it has problems."""
    name = unicodedata.normalize("NFC", path.name)
    match = FILE_NAME.match(name)
    if not match:
        problems.append(Problem(shown, None, None, "file name must look like YYYY-MM-DD-short-title.LANG.md "
                                "(lowercase ASCII letters, digits and hyphens; LANG such as vi, en, ar)"))
        return None
    if match["lang"] not in languages:
        problems.append(Problem(shown, None, None, f"language {match['lang']!r} is not one of {', '.join(languages)}"))
        return None
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(shown, 1, None, "the file must start with front matter between two lines of ---"))
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(Problem(shown, 1, None, "front matter is not closed by a line of ---"))
        return None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problems.append(Problem(shown, line, None, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    if not isinstance(meta, dict):
        problems.append(Problem(shown, 2, None, "front matter must be a list of `key: value` lines"))
        return None
    before = len(problems)
    _check_front_matter(meta, lines[:end], shown, problems)
    if len(problems) > before:
        return None
    if meta["date"] != dt.date.fromisoformat(match["date"]):
        problems.append(Problem(shown, _key_line(lines, "date"), None,
                                f"date {meta['date']} differs from the date in the file name ({match['date']})"))
        return None
    return Announcement(
        src_path=path,
        lang=match["lang"],
        slug=match["slug"],
        date=meta["date"],
        title=meta["title"].strip(),
        summary=meta["summary"].strip(),
        tags=tuple(t.strip() for t in meta["tags"]),
        author=meta.get("author"),
        draft=meta.get("draft", False),
        body_html=render_markdown("\n".join(lines[end + 1:])),
    )


def render_markdown(text: str) -> str:
    """Render Markdown to HTML, then keep only safe markup (no script, handlers or foreign frames)."""
    # The page title is the only <h1>: a body that uses "#" headings is shifted down one level.
    shift = 2 if re.search(r"^#(?!#)", text, re.MULTILINE) else 1
    html = markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS,
                             extension_configs={"toc": {"baselevel": shift}}, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _check_front_matter(meta: dict, lines: list[str], shown: str, problems: list[Problem]) -> None:
    known = {**REQUIRED, **OPTIONAL}
    for key, kind in known.items():
        if key not in meta:
            if key in REQUIRED:
                problems.append(Problem(shown, 1, None, f"front matter is missing `{key}`"))
            continue
        value = meta[key]
        line = _key_line(lines, key)
        if kind is dt.date:
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                problems.append(Problem(shown, line, None, f"`date` must be a date written YYYY-MM-DD, not {value!r}"))
        elif kind is list:
            if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
                problems.append(Problem(shown, line, None, "`tags` must be a list of words, such as [\"căn cước\", \"VNeID\"]"))
        elif not isinstance(value, kind) or (kind is str and not value.strip()):
            problems.append(Problem(shown, line, None, f"`{key}` must be {'text' if kind is str else kind.__name__}"))
    for key in sorted(set(meta) - set(known), key=str):
        hint = difflib.get_close_matches(str(key), list(known), n=1)
        extra = f"; did you mean `{hint[0]}`?" if hint else f"; known keys: {', '.join(known)}"
        problems.append(Problem(shown, _key_line(lines, str(key)), None, f"unknown key `{key}`{extra}"))


def _key_line(lines: list[str], key: str) -> int:
    for number, line in enumerate(lines, start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 1
