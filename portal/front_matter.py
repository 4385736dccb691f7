"""The front matter of an announcement: its YAML read with the line of every key, and each value
checked against the kind its key takes."""

from __future__ import annotations

import datetime as dt
import difflib
import re

import yaml

from .config import PORTAL_TZ
from .errors import Problem
from .markup import IMAGE_NAME
from .text import CONTROL

# Each key and the kind of value it takes; the README documents every one.
REQUIRED = {"title": "text", "date": "moment", "summary": "text", "tags": "tags"}
OPTIONAL = {"draft": "flag", "publish_at": "moment", "expire_at": "moment", "image": "image",
            "image_alt": "text", "author": "text"}
KNOWN = {**REQUIRED, **OPTIONAL}
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
MESSAGES = {
    "text": "`{key}` must be text, such as {key}: \"…\"",
    "moment": "`{key}` must be a date written YYYY-MM-DD, or a date and time such as 2024-01-19T08:00+07:00, not {value!r}",
    "tags": "`tags` must be a list of words, such as [\"căn cước\", \"VNeID\"]",
    "flag": "`{key}` must be true or false, not {value!r}",
    "image": "`image` must be the name of a picture in content/images/, such as hoi-nghi.jpg "
             "(lowercase letters, digits and hyphens; .jpg, .png, .webp, .avif or .gif)",
}


# libyaml, where PyYAML was built with it, parses about seven times faster than pure Python.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML without automatic dates, so every date form is checked by the same rule."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_front_matter(source: str, shown: str, problems: list[Problem]):
    """The front matter as a dict and the line of each key, or None after recording the problem."""
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
        meta = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        # The parser stops at its first mistake: each top-level entry parsed alone finds the others.
        found = _entry_problems(source) or [(_yaml_line(exc, 0), _yaml_message(exc))]
        problems.extend(Problem(shown, line, None, f"front matter is not valid YAML: {message}")
                        for line, message in found)
        return None
    finally:
        loader.dispose()
    if not isinstance(meta, dict):
        problems.append(Problem(shown, 2, None, "front matter must be a list of `key: value` lines"))
        return None
    key_lines: dict[str, int] = {}
    for key_node, _value in node.value if node is not None else []:
        key, line = str(key_node.value), key_node.start_mark.line + 2
        if key in key_lines:
            problems.append(Problem(shown, line, None, f"`{key}` is given twice (first on line {key_lines[key]})"))
        key_lines.setdefault(key, line)
    return meta, key_lines


def _yaml_line(exc: yaml.YAMLError, first: int) -> int:
    """The file line of a YAML mistake in front matter whose entry starts at line `first` of it."""
    # Where the broken construct starts (an unclosed quote or bracket), else where the parser gave up.
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    return first + mark.line + 2 if mark else first + 2


def _yaml_message(exc: yaml.YAMLError) -> str:
    return str(getattr(exc, "problem", None) or exc).splitlines()[0]


def _entry_problems(source: str) -> list[tuple[int, str]]:
    """(line, message) for each top-level entry of the front matter that is not valid YAML by itself."""
    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines) if line[:1] and not line[:1].isspace() and line[:1] not in "#-"]
    found = []
    for start, end in zip(starts, starts[1:] + [len(lines)]):
        loader = _Loader("\n".join(lines[start:end]))
        try:
            loader.get_single_node()
        except yaml.YAMLError as exc:
            found.append((_yaml_line(exc, start), _yaml_message(exc)))
        finally:
            loader.dispose()
    return found


def check_front_matter(meta: dict, key_lines: dict, shown: str, problems: list[Problem]) -> dict:
    """The values of the known keys in the form the portal uses; a problem for each missing, unknown or ill-formed one."""
    values = {}
    for key, kind in KNOWN.items():
        if key not in meta:
            if key in REQUIRED:
                problems.append(Problem(shown, 1, None, f"front matter is missing `{key}`"))
            continue
        value = meta[key]
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and CONTROL.search(text) for text in texts):
            # Written as a YAML escape ("\a", "\x07"), so not seen in the file's own characters.
            problems.append(Problem(shown, key_lines.get(key, 1), None,
                                    f"`{key}` holds a control character (written as an escape); delete it"))
            continue
        checked = _check_value(kind, value)
        if checked is None:
            empty = kind == "text" and isinstance(value, str)
            message = f"`{key}` is empty: write it between the quotes" if empty else MESSAGES[kind].format(key=key, value=value)
            problems.append(Problem(shown, key_lines.get(key, 1), None, message))
        else:
            values[key] = checked
    if "date" in values:
        values["date_text"] = str(meta["date"]).strip()
    for key in sorted(set(map(str, meta)) - set(KNOWN)):
        hint = difflib.get_close_matches(key, list(KNOWN), n=1)
        extra = f"; did you mean `{hint[0]}`?" if hint else f"; known keys: {', '.join(KNOWN)}"
        problems.append(Problem(shown, key_lines.get(key, 1), None, f"unknown key `{key}`{extra}"))
    return values


def _check_value(kind: str, value):
    """The value in the form the portal uses, or None when it is not of the kind."""
    if kind == "text":
        return value.strip() if isinstance(value, str) and value.strip() else None
    if kind == "flag":
        return value if isinstance(value, bool) else None
    if kind == "tags":
        if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
            return None
        return tuple(dict.fromkeys(" ".join(t.split()) for t in value))
    if kind == "image":
        return value if isinstance(value, str) and IMAGE_NAME.match(value) else None
    return parse_moment(value)


def parse_moment(value) -> tuple[dt.datetime, bool] | None:
    """A date or date-time (Asia/Ho_Chi_Minh unless it says otherwise) and whether a time was given."""
    text = value.strip() if isinstance(value, str) else None
    if text is None or not MOMENT.fullmatch(text):
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), PORTAL_TZ), False
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=PORTAL_TZ)), True
