"""Datasets: the CSV files in data/ read and checked against data/datapackage.json."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import pickle
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import freshness, provenance, revisions as revisions_mod, units as units_mod
from .descriptor import check_package, check_package_shape
from .errors import BuildError, Problem, relative
from .rules import check_rules
from .schema import (check_foreign_keys, check_province_rows, check_with_frictionless, frictionless_inputs,
                     referred_resources)

if TYPE_CHECKING:
    import pandas as pd

PACKAGE_FILE = "datapackage.json"
# The reference validator reads about 25,000 rows a second: past this size the portal's own
# streaming checks, which cover the same Table Schema rules, stand alone.
FRICTIONLESS_MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class Field:
    """One column of a dataset, as its schema describes it."""

    name: str
    type: str
    titles: dict
    unit: str | dict | None = None
    constraints: dict = field(default_factory=dict)
    enum_titles: dict = field(default_factory=dict)
    descriptions: dict = field(default_factory=dict)

    @property
    def is_percent(self) -> bool:
        """True when the values are percentages (0–100)."""
        return self.unit == "%"


@dataclass(frozen=True)
class Dataset:
    """One CSV file with its schema, its typed rows and what the portal shows of it."""

    name: str
    src_path: Path
    titles: dict
    descriptions: dict
    fields: tuple[Field, ...]
    frame: pd.DataFrame
    sources: tuple[dict, ...]  # each {language code: citation}
    licence: dict
    primary_key: tuple[str, ...]
    indicator: dict | None
    rules: tuple[dict, ...] = ()
    notes: tuple[dict, ...] = ()  # each {"where": {field: value}, "texts": {language: text}}
    update_frequency: str | None = None  # an ISO 8601 duration such as "P1M"
    overdue: bool = False  # its next update was due before the build's day
    units: dict = field(default_factory=dict)  # the units its rows name: code -> names, level, parent, end
    revisions: tuple[dict, ...] = ()  # the changes to its published figures (data/revisions.csv)

    @property
    def time_field(self) -> str | None:
        """The date or year column, if the dataset has one."""
        return next((f.name for f in self.fields if f.type in ("date", "year")), None)

    @functools.cached_property
    def as_of(self) -> dt.date | None:
        """The latest date the rows speak for (31 December for a year)."""
        name = self.time_field
        if name is None or self.frame.empty:
            return None
        latest = self.frame[name].max()
        return dt.date(int(latest), 12, 31) if self.field(name).type == "year" else latest

    @functools.cached_property
    def period(self) -> str | None:
        """The period the rows cover, as an ISO 8601 date or interval (every page about it states the same)."""
        name = self.time_field
        if name is None or self.frame.empty:
            return None
        values = self.frame[name]
        low, high = values.min(), values.max()
        text = [str(int(v)) if self.field(name).type == "year" else v.isoformat() for v in (low, high)]
        return text[0] if text[0] == text[1] else f"{text[0]}/{text[1]}"

    @functools.cached_property
    def unit_codes(self) -> frozenset[str]:
        """The codes of the units its rows give figures for."""
        if units_mod.CODE not in self.frame.columns:
            return frozenset()
        return frozenset(str(c) for c in self.frame[units_mod.CODE].dropna().unique())

    def field(self, name: str) -> Field:
        """Return the field called `name`."""
        return next(f for f in self.fields if f.name == name)

    def records(self, frame: pd.DataFrame | None = None) -> list[dict]:
        """Rows (of `frame`, a part of this dataset, or all) as plain dicts, dates as ISO strings."""
        if frame is not None:
            return _plain_rows(frame)
        global _LAST_RECORDS
        owner, rows = _LAST_RECORDS
        if owner is None or owner() is not self:
            rows = tuple(_plain_rows(self.frame))
            _LAST_RECORDS = (weakref.ref(self), rows)
        return [dict(row) for row in rows]  # copies: a caller may add to its rows

    # Kept (in the build's memo, or sent to a worker) with its rows pickled apart and read back only
    # when something asks for them: a rebuild whose pages do not change never loads pandas.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for name in ("as_of", "period", "unit_codes"):  # so that asking for them later needs no rows
            state[name] = getattr(self, name)
        if "frame" in state:  # else still pickled, as it was read back
            state[_ROWS] = pickle.dumps(state.pop("frame"), protocol=pickle.HIGHEST_PROTOCOL)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __getattr__(self, name: str):
        # Only called for what the instance lacks: the rows of a dataset read back from a pickle.
        rows = self.__dict__.get(_ROWS) if name == "frame" else None
        if rows is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.__dict__["frame"] = frame = pickle.loads(rows)
        del self.__dict__[_ROWS]
        return frame


_ROWS = "_pickled_rows"
# The plain rows of the dataset last asked for all of them: its chart, indicator, feeds and
# downloads each go through them several times, one dataset after another. Only the last one's
# are kept, so that the rows of hundreds of datasets never sit in memory twice.
_LAST_RECORDS: tuple = (None, ())


def _plain_rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def per_dataset(function: Callable) -> Callable:
    """`function(dataset, *args)`, worked out once for each dataset object still alive (and `args`).

    Every language's pages and charts ask the same of a dataset, and converting its rows is most of
    the work (seconds at hundreds of datasets). A dataset never changes once read, the weak
    reference makes sure an entry is of the very same object, and callers never change what they get.
    """
    kept: dict[int, tuple] = {}

    @functools.wraps(function)
    def remembered(dataset, *args):
        found = kept.get(id(dataset))
        if found and found[0]() is dataset and found[1] == args:
            return found[2]
        value = function(dataset, *args)
        kept[id(dataset)] = (weakref.ref(dataset, lambda _ref, key=id(dataset): kept.pop(key, None)), args, value)
        return value

    return remembered


def no_memo(kind: str, inputs: tuple, make: Callable, keep: Callable | None = None):
    """The `remember` of a load that keeps nothing: make() every time.

    A memo's `remember` returns a value an earlier build made from the same `kind` and `inputs`
    when `keep(value)` accepts it, else make(), kept for later builds when `keep` accepts that.
    """
    return make()


def _valid(verdict) -> bool:
    return verdict == "valid"


def _checked(remember, kind: str, descriptor: dict, digests: list, today: dt.date | None, check) -> list[Problem]:
    """check()'s problems, or those an earlier build found in the same files, description and day.

    `digests` are the files the check reads; with one unknown (a very large file), it always runs.
    """
    if not all(digests):
        return check()
    inputs = (json.dumps(descriptor, sort_keys=True, ensure_ascii=False), digests, today.isoformat() if today else None)
    return remember(kind, inputs, check, keep=lambda found: isinstance(found, list))


def _read_table(remember, path: Path, descriptor: dict, shown: str,
                problems: list[Problem]) -> tuple[pd.DataFrame | None, str | None]:
    """read_table, or the typed rows a build already read from the same bytes and description;
    with the digest of the file's bytes (None for a very large or unreadable file)."""
    import pandas as pd

    from .table import read_table

    try:
        # A very large table is streamed each time: a pickled copy would need its size again in memory.
        if path.stat().st_size > FRICTIONLESS_MAX_BYTES:
            return read_table(path, descriptor, shown, problems), None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return read_table(path, descriptor, shown, problems), None  # which says what is wrong with the file

    def read() -> tuple:
        found: list[Problem] = []
        return read_table(path, descriptor, shown, found), found

    # Only clean tables are kept: problems are reported every time.
    frame, found = remember("table", (json.dumps(descriptor, sort_keys=True, ensure_ascii=False), shown, digest), read,
                            keep=lambda made: isinstance(made[0], pd.DataFrame) and not made[1])
    problems += found
    return frame, digest


def load_datasets(root: Path, today: dt.date | None = None, warnings: list[Problem] | None = None,
                  remember=no_memo, digests: dict | None = None) -> list[Dataset]:
    """Read data/datapackage.json and every CSV it lists; raise BuildError with every problem.

    Warnings (such as data older than its declared update frequency) go to `warnings`; what each
    dataset was read from, as a digest, to `digests`. `remember(kind, inputs, make, keep)` may
    return what an earlier build made from the same inputs instead of make() (see no_memo).
    """
    today = today or dt.date.today()
    data_dir = root / "data"
    package_path = data_dir / PACKAGE_FILE
    shown = relative(package_path, root)
    try:
        text = package_path.read_text(encoding="utf-8")
        package = json.loads(text)
    except FileNotFoundError:
        raise BuildError.single(shown, "file not found: every dataset must be described here")
    except UnicodeDecodeError as exc:
        raise BuildError.single(shown, f"not valid UTF-8 (byte {exc.start})")
    except json.JSONDecodeError as exc:
        raise BuildError.single(shown, f"JSON syntax: {exc.msg}", exc.lineno, exc.colno)
    except RecursionError:
        raise BuildError.single(shown, "lists or objects nest too deeply (hundreds of levels); flatten them") from None

    problems: list[Problem] = check_package_shape(package, text, shown)
    if problems:
        raise BuildError(problems)  # the checks below rely on every value being of its kind
    descriptors = check_package(package, text, shown, problems)
    known_sources = {s.get("name") for s in package.get("sources", []) if isinstance(s, dict) and s.get("name")}
    tables: dict[str, pd.DataFrame | None] = {}
    file_digests: dict[str, str | None] = {}
    shown_csvs = {}
    for descriptor in descriptors:
        csv_path = data_dir / descriptor["path"]
        shown_csv = shown_csvs[descriptor["name"]] = relative(csv_path, root)
        if csv_path.is_symlink() and not csv_path.resolve().is_relative_to(data_dir.resolve()):
            # Its rows would be published as open data: a link must not bring in a file from elsewhere.
            problems.append(Problem(shown_csv, None, None, "this is a link to a file outside data/; copy the file here"))
            tables[descriptor["name"]], file_digests[descriptor["name"]] = None, None
            continue
        frame, digest = _read_table(remember, csv_path, descriptor, shown_csv, problems)
        tables[descriptor["name"]], file_digests[descriptor["name"]] = frame, digest
        if frame is not None:
            problems += provenance.check_row_sources(frame, [f.get("name") for f in descriptor["schema"]["fields"]],
                                                     known_sources, shown_csv)
            # Checked again only when the table, its description or the day changes.
            problems += _checked(remember, "rules", descriptor, [shown_csv, digest], today,
                                 lambda: check_rules(descriptor, frame, shown_csv, today))
    by_name = {d["name"]: d for d in descriptors}
    for descriptor in descriptors:
        if tables[descriptor["name"]] is None:
            continue
        shown_csv, refers = shown_csvs[descriptor["name"]], referred_resources(descriptor)
        described = {"resources": [by_name.get(name) for name in refers]}  # the referred tables' types count too
        problems += _checked(remember, "foreign-keys", described, [shown_csv] + [file_digests.get(name) for name in refers], None,
                             lambda: check_foreign_keys(descriptor, tables, shown_csv))
    small = all((data_dir / d["path"]).stat().st_size <= FRICTIONLESS_MAX_BYTES
                for d in descriptors if (data_dir / d["path"]).exists())
    # A file that cannot be read at all is already explained; the reference validator would only
    # repeat it once for every file that refers to it.
    unreadable = any(table is None for table in tables.values())
    if len(descriptors) == len(package["resources"]) and small and not unreadable:
        # Only clean results are remembered, one per resource, keyed by the package description and
        # every file the resource's check reads: after one CSV changes, only that one is validated again.
        keys = frictionless_inputs(text, descriptors, data_dir, file_digests)
        unchecked = [name for name, key in keys.items()
                     if remember("frictionless", key, lambda: None, keep=_valid) != "valid"]
        if unchecked:
            found = check_with_frictionless(package_path, root, problems,
                                            None if len(unchecked) == len(keys) else unchecked)
            problems += found
            if not found:
                for name in unchecked:
                    remember("frictionless", keys[name], lambda: "valid", keep=_valid)
    if revisions_mod.RESOURCE in shown_csvs:
        problems += revisions_mod.check(tables, descriptors, shown_csvs[revisions_mod.RESOURCE])
    overdue = set()
    for descriptor in descriptors:
        late = freshness.overdue_problem(descriptor, tables.get(descriptor["name"]), shown_csvs[descriptor["name"]], today)
        if late is not None:
            overdue.add(descriptor["name"])
            problems.append(late)
    problems += check_province_rows(root, descriptors, tables, shown_csvs)
    if warnings is not None:
        warnings += [p for p in problems if p.severity == "warning"]
    problems = [p for p in problems if p.severity == "error"]
    if problems:
        raise BuildError(problems)

    licence = (package.get("licenses") or [{}])[0]
    package_sources = tuple(_source_titles(s) for s in package.get("sources", []))
    named_sources = {s["name"]: s for s in package_sources if s.get("name")}
    # A dataset that names none of its sources falls back on the package's only source, if it has one.
    sources = package_sources if len(package_sources) == 1 else ()
    revision_rows = tables.get(revisions_mod.RESOURCE)
    revision_records = [{k: _plain(v) for k, v in r.items()} for r in revision_rows.to_dict("records")] \
        if revision_rows is not None else []
    unit_rows = tables.get(units_mod.UNITS_RESOURCE)
    unit_table = units_mod.unit_table(unit_rows.to_dict("records")) if unit_rows is not None else {}
    datasets = []
    for d in descriptors:
        fields = tuple(_make_field(f) for f in d["schema"]["fields"])
        datasets.append(
            Dataset(
                name=d["name"],
                src_path=data_dir / d["path"],
                titles=d["titles"],
                descriptions=d.get("descriptions", {}),
                fields=fields,
                frame=tables[d["name"]],
                sources=provenance.resolve_sources([provenance.reference(s) or _source_titles(s)
                                                    for s in d.get("sources", [])], named_sources, sources),
                licence=d.get("licenses", [licence])[0],
                primary_key=tuple(d["schema"].get("primaryKey", [])),
                indicator=d.get("indicator"),
                rules=tuple(d.get("rules", [])),
                notes=tuple(d.get("notes", [])),
                update_frequency=d.get("updateFrequency"),
                overdue=d["name"] in overdue,
                revisions=tuple(r for r in revision_records if r.get("dataset") == d["name"]),
                units=units_mod.for_codes(unit_table, tables[d["name"]][units_mod.CODE].dropna().unique())
                if units_mod.CODE in tables[d["name"]].columns else {},
            )
        )
    if digests is not None:
        for d in descriptors:
            # Being overdue changes the pages, though not the files: it counts in the digest.
            digest = _source_digest(text, d["name"], file_digests.get(d["name"]),
                                    [file_digests.get(n) for n in referred_resources(d)[1:]] + [file_digests.get(revisions_mod.RESOURCE, "")])
            digests[d["name"]] = digest + ("+overdue" if digest and d["name"] in overdue else "")
    return datasets


def _source_digest(package_text: str, name: str, file_digest: str | None, referred: list | None = None) -> str:
    """Everything a Dataset is made of: the whole package description, the file's bytes and those
    of the tables it refers to (whose unit names it shows)."""
    if file_digest is None or None in (referred or []):
        return ""
    return hashlib.sha256(f"{package_text}\0{name}\0{file_digest}\0{referred or []}".encode("utf-8")).hexdigest()


def _source_titles(source: dict) -> dict:
    """A source's citation by language; the standard `title` stands in for missing languages."""
    titles = dict(source.get("titles", {}))
    titles.setdefault("", source.get("title", ""))
    # Kept beside the citations so rows can name their source and readers can follow its link.
    for key in ("name", "path"):
        if source.get(key):
            titles[key] = source[key]
    return titles


def _make_field(spec: dict) -> Field:
    return Field(
        name=spec["name"],
        type=spec.get("type", "string"),
        titles=spec.get("titles", {}),
        unit=spec.get("unit"),
        constraints=spec.get("constraints", {}),
        enum_titles=spec.get("enumTitles", {}),
        descriptions=spec.get("descriptions", {}),
    )


def _plain(value):
    # pandas' NA, by its type's name: comparing with pd.NA would make this module import pandas.
    if value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
