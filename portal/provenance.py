"""Provenance: which source each row comes from, and the notes attached to rows.

The package lists its sources once, each with a `name`; a dataset names the sources it draws on,
and a `source` column (names separated by spaces) says which of them give each row's figures.
Notes in the dataset description are attached to the rows they are about, so a dated claim never
sits in a description that outlives it.
"""

from __future__ import annotations

import datetime as dt

from .errors import Problem

SOURCE_COLUMN = "source"


def source_names(value) -> list[str]:
    """The source names written in one `source` cell."""
    return str(value).split() if value not in (None, "") else []


def reference(source) -> str | None:
    """The name a resource's source entry refers to ({"name": N} with no citation of its own), or None."""
    if isinstance(source, str):
        return source
    if isinstance(source, dict) and source.get("name") and not (source.get("title") or source.get("titles")):
        return source["name"]
    return None


def check_resource(res: dict, known: set[str], field_names: set[str], bad) -> None:
    """Report, through `bad`, source references and notes that name nothing the package has."""
    refs = res.get("sources", [])
    if not isinstance(refs, list):
        bad("\"sources\" must be a list of source names (or source objects)")
        return
    for ref in map(reference, refs):
        if ref is not None and ref not in known:
            bad(f"refers to an unknown source {ref!r}; the package's sources are: {', '.join(sorted(known)) or 'none'}")
    notes = res.get("notes", [])
    if not isinstance(notes, list):
        bad("\"notes\" must be a list of {\"where\": {...}, \"texts\": {...}}")
        return
    for note in notes:
        if not isinstance(note, dict) or not isinstance(note.get("where"), dict) or not isinstance(note.get("texts"), dict):
            bad("each note needs \"where\" (the columns and values of the rows it is about) and \"texts\" by language")
            continue
        for name in note["where"]:
            if name not in field_names:
                bad(f"a note refers to an unknown field {name!r}")


def check_row_sources(frame, fields: list[str], known: set[str], shown: str) -> list[Problem]:
    """A problem for each `source` cell naming a source the package does not list."""
    if SOURCE_COLUMN not in frame.columns:
        return []
    column = fields.index(SOURCE_COLUMN) + 1
    problems = []
    for row, value in frame[SOURCE_COLUMN].items():
        unknown = [name for name in source_names(value) if name not in known]
        if unknown:
            problems.append(Problem(shown, int(row), column, f"unknown source {unknown[0]!r}; the package's sources "
                                    f"are: {', '.join(sorted(known)) or 'none'} ({SOURCE_COLUMN})"))
        if len(problems) >= 50:
            break
    return problems


def resolve_sources(refs: list, by_name: dict[str, dict], fallback: tuple[dict, ...]) -> tuple[dict, ...]:
    """A dataset's sources as citation dicts: named references looked up, objects taken as they are."""
    if not refs:
        return fallback
    return tuple(by_name[ref] if isinstance(ref, str) else ref for ref in refs if not isinstance(ref, str) or ref in by_name)


def row_sources(dataset, row: dict) -> tuple[dict, ...]:
    """The sources of one row: those its `source` cell names, else all of the dataset's."""
    names = source_names(row.get(SOURCE_COLUMN))
    if not names:
        return dataset.sources
    by_name = {s.get("name"): s for s in dataset.sources}
    return tuple(by_name[n] for n in names if n in by_name) or dataset.sources


def _matches(row: dict, where: dict) -> bool:
    for name, wanted in where.items():
        value = row.get(name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        if value != wanted and str(value) != str(wanted):
            return False
    return True


def row_notes(dataset, row: dict, lang: str) -> list[str]:
    """The notes about one row, in `lang` (English, then any text, standing in)."""
    return [note["texts"].get(lang) or note["texts"].get("en") or next(iter(note["texts"].values()), "")
            for note in dataset.notes if _matches(row, note["where"])]


def table_notes(dataset, rows: list[dict], lang: str) -> tuple[list[list[int]], list[str]]:
    """For the rows of a table: the note numbers of each row, and the notes' texts in order."""
    texts: list[str] = []
    marks = []
    for row in rows:
        numbers = []
        for text in row_notes(dataset, row, lang):
            if text not in texts:
                texts.append(text)
            numbers.append(texts.index(text) + 1)
        marks.append(numbers)
    return marks, texts


def cited_sources(dataset, rows: list[dict]) -> tuple[dict, ...]:
    """The sources that the given rows cite, in the dataset's order."""
    names = {n for row in rows for n in source_names(row.get(SOURCE_COLUMN))}
    if not names or SOURCE_COLUMN not in dataset.frame.columns:
        return dataset.sources
    return tuple(s for s in dataset.sources if s.get("name") in names)
