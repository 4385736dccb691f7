"""Announcements: Markdown files with YAML front matter, checked and turned into safe HTML."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path


from .config import PORTAL_TZ
from .errors import BuildError, Problem, relative
from .front_matter import check_front_matter, parse_front_matter
from .text import CONTROL, control_problems
from .markup import Markup, Names, NestedTooDeeply, make_markup, render_markdown, slugify  # noqa: F401 (re-exported)

ANNOUNCEMENTS_DIR = Path("content") / "announcements"
IMAGES_DIR = Path("content") / "images"
FILE_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[a-z]{2})\.md$")
# Short titles that would land on the news pages' own addresses, or that Windows refuses as file names.
RESERVED_SLUGS = frozenset({"index", "page", "tags", "archive", "feed", "con", "prn", "aux", "nul",
                            *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})
WORDS_PER_MINUTE = 200
# Bounds that keep one careless file from exhausting the build: Markdown nests by recursion.
MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class Announcement:
    """One news item in one language."""

    src_path: Path
    lang: str
    slug: str
    date: dt.date  # in the province's time zone
    moment: dt.datetime  # the date, or date and time, with its time zone
    title: str
    summary: str
    tags: tuple[str, ...]
    author: str | None
    draft: bool
    # The sanitised HTML (see body_html), compressed: ten thousand announcements would otherwise
    # hold about 90 MiB of text in the build and in every process it forks.
    body: bytes
    has_time: bool = False
    publish_at: dt.datetime | None = None
    expire_at: dt.datetime | None = None
    image: str | None = None
    image_alt: str | None = None
    words: int = 0
    charts: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    images: tuple[str, ...] = ()  # every picture, from front matter and text

    @property
    def body_html(self) -> str:
        """The sanitised HTML of the text; charts, figures and pictures are still tokens."""
        return zlib.decompress(self.body).decode("utf-8")

    @property
    def key(self) -> str:
        """What links the translations of one announcement: date and slug."""
        return f"{self.date.isoformat()}-{self.slug}"

    @property
    def appears_at(self) -> dt.datetime:
        """When the announcement may first be published: its date, or `publish_at` if later."""
        return max(self.moment, self.publish_at) if self.publish_at else self.moment

    @property
    def reading_minutes(self) -> int:
        """Estimated reading time, at least one minute."""
        return max(1, math.ceil(self.words / WORDS_PER_MINUTE))

    @property
    def datetime_attr(self) -> str:
        """The value for a <time datetime> attribute."""
        return self.moment.isoformat() if self.has_time else self.date.isoformat()


@dataclass(frozen=True)
class Rules:
    """What loading needs to know beyond the files themselves."""

    languages: tuple[str, ...]
    names: Names = Names()
    site_host: str | None = None
    backlink_titles: dict = field(default_factory=dict)  # language -> footnote backlink title


def load_announcements(root: Path, languages: tuple[str, ...], names: Names = Names(),
                       site_host: str | None = None, backlink_titles: dict | None = None) -> list[Announcement]:
    """Read every announcement file; raise BuildError listing every problem in every file."""
    rules = Rules(tuple(languages), names, site_host, backlink_titles or {})
    loaded = [load_announcement(root, rules, path) for path in list_announcements(root)]
    return make_news_items(root, [item for item, _found in loaded], [p for _item, found in loaded for p in found])


def list_announcements(root: Path) -> list[Path]:
    """The announcement files, sorted by name."""
    folder = root / ANNOUNCEMENTS_DIR
    # Names sorted as strings, and plain reads: with thousands of files, pathlib's own costs add up.
    names: list[str] = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries if not entry.name.startswith(".") and not entry.is_dir())
    return [folder / name for name in names]


def make_news_items(root: Path, items: list, problems: list[Problem]) -> list[Announcement]:
    """The announcements read (None for a file with problems), newest first; raise BuildError with
    `problems` and every short title used twice in a language."""
    problems = list(problems)
    items = [item for item in items if item is not None]
    seen: dict[tuple, Announcement] = {}
    for item in items:
        key = (item.lang, item.slug)
        if key in seen:
            problems.append(Problem(relative(item.src_path, root), 1, None, f"slug {item.slug!r} is already used by "
                                    f"{relative(seen[key].src_path, root)} in the same language"))
        seen.setdefault(key, item)
    if problems:
        raise BuildError(problems)
    return sorted(items, key=lambda a: (a.moment, a.slug, a.lang), reverse=True)


def usable_images(root: Path) -> list[str]:
    """The pictures an announcement may show, since whether one exists decides if it loads."""
    folder = root / IMAGES_DIR
    return [name for name in sorted(p.name for p in folder.iterdir()) if _image_exists(root, name)] if folder.is_dir() else []


def load_announcement(root: Path, rules: Rules, path: Path) -> tuple[Announcement | None, list[Problem]]:
    """One file's announcement (None when it has problems) and its problems."""
    shown = relative(path, root)
    if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        return None, [Problem(shown, None, None, "this is a link to a file outside the project; copy the file here")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(shown, None, None, f"cannot read the file: {exc.strerror or exc}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(shown, None, None, f"the file has {len(raw):,} bytes; an announcement may have at most "
                              f"{MAX_FILE_BYTES:,} (put large documents in the open data instead)")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, None, "not valid UTF-8; save the file as UTF-8")]
    problems: list[Problem] = []
    return make_announcement(path, shown, text, rules, problems, root), problems


def load_images(root: Path, items) -> dict[str, bytes]:
    """The bytes of every picture the announcements show, by file name."""
    return {name: (root / IMAGES_DIR / name).read_bytes() for item in items for name in item.images}


def make_announcement(path: Path, shown: str, text: str, rules: Rules, problems: list[Problem],
                      root: Path | None = None) -> Announcement | None:
    """Check one file's name, front matter and text; None when it has problems (added to `problems`)."""
    name = unicodedata.normalize("NFC", path.name)
    match = FILE_NAME.match(name)
    if not match:
        problems.append(Problem(shown, None, None, "file name must look like YYYY-MM-DD-short-title.LANG.md "
                                "(lowercase ASCII letters, digits and hyphens; LANG such as vi, en, ar)"))
        return None
    if match["lang"] not in rules.languages:
        problems.append(Problem(shown, None, None, f"language {match['lang']!r} is not one of {', '.join(rules.languages)}"))
        return None
    if match["slug"] in RESERVED_SLUGS:
        problems.append(Problem(shown, None, None, f"the short title {match['slug']!r} is reserved for the "
                                "portal's own pages; choose another"))
        return None
    try:
        file_date = dt.date.fromisoformat(match["date"])
    except ValueError:
        problems.append(Problem(shown, None, None, f"the date in the file name, {match['date']}, is not a real date"))
        return None
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    controls = control_problems(text)
    if controls:
        problems.extend(Problem(shown, line, column, message) for line, column, message in controls)
        return None
    lines = text.split("\n")
    if lines[0].strip() != "---":
        problems.append(Problem(shown, 1, None, "the file must start with front matter between two lines of ---"))
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        problems.append(Problem(shown, 1, None, "front matter is not closed by a line of ---"))
        return None
    before = len(problems)
    parsed = parse_front_matter("\n".join(lines[1:end]), shown, problems)
    body = _make_body(lines[end + 1:], end + 2, match["lang"], shown, rules, problems, root)
    if parsed is None:
        return None
    meta, key_lines = parsed
    values = check_front_matter(meta, key_lines, shown, problems)
    _check_together(values, key_lines, file_date, shown, problems, root)
    if len(problems) > before or body is None:
        return None
    moment, has_time = values["date"]
    publish_at = values.get("publish_at", (None,))[0]
    expire_at = values.get("expire_at", (None,))[0]
    image = values.get("image")
    return Announcement(
        src_path=path, lang=match["lang"], slug=match["slug"], date=file_date, moment=moment, has_time=has_time,
        title=values["title"], summary=values["summary"], tags=values["tags"], author=values.get("author"),
        draft=values.get("draft", False), body=zlib.compress(body.html.encode("utf-8"), 1),
        publish_at=publish_at, expire_at=expire_at,
        image=image, image_alt=values.get("image_alt"), words=body.words, charts=body.charts,
        figures=body.figures, images=tuple(dict.fromkeys(([image] if image else []) + list(body.images))),
    )


def _check_together(values: dict, key_lines: dict, file_date: dt.date, shown: str, problems: list[Problem],
                    root: Path | None) -> None:
    """Rules between keys: the file name's date, expiry after publication, a picture and its description."""
    def problem(key: str, message: str) -> None:
        problems.append(Problem(shown, key_lines.get(key, 1), None, message))

    if "date" in values:
        moment = values["date"][0]
        if moment.astimezone(PORTAL_TZ).date() != file_date:
            problem("date", f"date {values['date_text']} differs from the date in the file name "
                            f"({file_date.isoformat()}), in Asia/Ho_Chi_Minh time")
        appears = max(moment, values["publish_at"][0]) if "publish_at" in values else moment
        if "expire_at" in values and values["expire_at"][0] <= appears:
            problem("expire_at", f"`expire_at` ({values['expire_at'][0].isoformat()}) must be later than the "
                                 f"moment the announcement appears ({appears.isoformat()})")
    image = values.get("image")
    if image and "image_alt" not in key_lines:
        problem("image", "`image_alt` is needed with `image`: describe the picture for readers who cannot see it")
    if "image_alt" in values and "image" not in key_lines:
        problem("image_alt", "`image_alt` describes a picture, but `image` is missing")
    if image and root is not None and not _image_exists(root, image):
        problem("image", f"picture {image!r} not found in content/images/")


def write_new_announcement(root: Path, title: str, lang: str, languages, today: dt.date, slug: str | None = None) -> Path:
    """Write a new announcement file with a front matter template; return its path."""
    shown = "new"
    title = " ".join(title.split())
    if not title:
        raise BuildError.single(shown, "the title is empty")
    if CONTROL.search(title) or (slug and CONTROL.search(slug)):
        raise BuildError.single(shown, "the title holds a control character; type it again without")
    if lang not in languages:
        raise BuildError.single(shown, f"language {lang!r} is not one of {', '.join(languages)}")
    slug = slug if slug is not None else slugify(title)
    if not slug:
        raise BuildError.single(shown, f"cannot make a short title in Latin letters from {title!r}; give one with --slug")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) or slug in RESERVED_SLUGS:
        raise BuildError.single(shown, f"--slug {slug!r} must be lowercase ASCII letters, digits and hyphens, "
                                "and not one of the reserved names")
    folder = root / ANNOUNCEMENTS_DIR
    for other in sorted(folder.glob(f"*-{slug}.{lang}.md")) if folder.is_dir() else []:
        match = FILE_NAME.match(other.name)
        if match and match["slug"] == slug:
            raise BuildError.single(relative(other, root), f"slug {slug!r} is already used in this language; "
                                    "choose another title or --slug")
    path = folder / f"{today.isoformat()}-{slug}.{lang}.md"
    folder.mkdir(parents=True, exist_ok=True)
    template = (f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\ndate: {today.isoformat()}\n"
                "summary: \"\"\ntags: []\ndraft: true\n"
                f"# publish_at: {today.isoformat()}T08:00+07:00\n# expire_at: {today.isoformat()}T17:00+07:00\n"
                "# image: picture.jpg\n# image_alt: \"\"\n# author: \"\"\n---\n\n"
                "<!-- Write the text here in Markdown; see \"Adding an announcement\" in README.md. -->\n")
    with path.open("x", encoding="utf-8") as handle:
        handle.write(template)
    return path


def _make_body(lines: list[str], first_line: int, lang: str, shown: str, rules: Rules,
               problems: list[Problem], root: Path | None) -> Markup | None:
    """Render the text and report its shortcode and picture problems with their lines."""
    source = "\n".join(lines)
    backlink = rules.backlink_titles.get(lang)
    try:
        body = make_markup(source, lang, rules.names, rules.site_host, backlink)
    except (RecursionError, NestedTooDeeply):
        problems.append(Problem(shown, first_line, None, "the text nests too deeply (lists, quotes or emphasis "
                                "inside one another, hundreds of levels); flatten it"))
        return None
    before = len(problems)
    seen: dict[str, int] = {}
    for ref in body.references:
        nth = seen[ref.raw] = seen.get(ref.raw, -1) + 1
        if ref.problem:
            problems.append(Problem(shown, _line_of(lines, ref.raw, nth, first_line), None, ref.problem))
    for address, message in body.image_problems:
        problems.append(Problem(shown, _line_of(lines, address, 0, first_line), None, message))
    for name in body.images:
        if root is not None and not _image_exists(root, name):
            problems.append(Problem(shown, _line_of(lines, f"images/{name}", 0, first_line), None,
                                    f"picture {name!r} not found in content/images/"))
    return body if len(problems) == before else None


def _line_of(lines: list[str], needle: str, nth: int, first_line: int) -> int:
    hits = [number for number, line in enumerate(lines, start=first_line) if needle in line]
    return hits[min(nth, len(hits) - 1)] if hits else first_line


def _image_exists(root: Path, name: str) -> bool:
    folder = (root / IMAGES_DIR).resolve()
    path = (folder / name).resolve()
    # A link in content/images/, or content/images/ itself as a link, must not bring in a file
    # from elsewhere on the disk.
    return path.is_file() and path.parent == folder and folder == root.resolve() / IMAGES_DIR
