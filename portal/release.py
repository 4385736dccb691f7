"""The open-data release in /data/: CSV, JSON and spreadsheet of every dataset with its metadata,
the data package, a README per dataset, SHA-256 checksums and one zip of everything, all at
addresses that never change."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .config import Config
from .data import Dataset
from .i18n import Formatter

RELEASE_DIR = "data"
CHECKSUMS = "SHA256SUMS"
# Spreadsheet programs guess a legacy code page for CSV without a byte-order mark and garble Vietnamese.
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Zip entries carry a time stamp; the latest data date (or this) keeps two builds byte-identical.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def release_paths(package_name: str) -> dict[str, str]:
    """Addresses of the release files shared by every dataset, relative to the site root."""
    return {
        "package": f"{RELEASE_DIR}/datapackage.json",
        "zip": f"{RELEASE_DIR}/{package_name}.zip",
        "checksums": f"{RELEASE_DIR}/{CHECKSUMS}",
    }


def dataset_paths(name: str) -> dict[str, str]:
    """Addresses of one dataset's files, relative to the site root."""
    return {ext: f"{RELEASE_DIR}/{name}.{ext}" for ext in ("csv", "json", "xlsx")} | {
        "readme": f"{RELEASE_DIR}/{name}.README.md", "metadata": f"{RELEASE_DIR}/{name}.metadata.json",
        "jsonld": f"{RELEASE_DIR}/{name}.jsonld"}


def N_(text: str) -> str:
    """Marks a message for the catalogues; it is translated where it is used, per language."""
    return text


# The titles of the name columns the downloads add beside codes.
NAME_TITLE = N_("%(column)s (name)")
NAME_IN_TITLE = N_("%(column)s (name in %(language)s)")
NAME_NOTE = N_("The name of the code in the column %(column)s, added to the downloads (the source file holds the code only).")
# Media types of the downloads, for the data package and the catalogues.
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class FileFacts:
    """What the data package, the catalogues and the checksums state of a published file."""

    size: int
    sha256: str  # hexadecimal

    @classmethod
    def of(cls, content: bytes) -> "FileFacts":
        """The facts of `content`."""
        return cls(len(content), hashlib.sha256(content).hexdigest())


def load_package(root: Path) -> dict:
    """The data package as written in data/ (already checked when the datasets were loaded)."""
    return json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))


def make_release(package: dict, datasets, config: Config, gettexts: dict,
                 tables=None) -> Iterator[tuple[str, bytes, FileFacts]]:
    """The files of /data/ that the zip holds (downloads, metadata, data package, READMEs), one at a
    time as (path, bytes, facts), so that a large release is never in memory whole; the checksums
    and the zip are made from them (make_checksums, make_zip).

    `gettexts` maps a language code to its gettext function, for the READMEs; `tables`, if given,
    stands in for make_tables (a cached copy, say).
    """
    facts: dict[str, FileFacts] = {}
    names = name_columns(package, datasets, config, gettexts)
    for dataset in datasets:
        paths = dataset_paths(dataset.name)
        made = dict(zip((paths["csv"], paths["json"], paths["xlsx"]),
                        (tables or make_tables)(dataset, names[dataset.name])))
        made[paths["metadata"]] = make_metadata(dataset, names[dataset.name], config)
        for path, content in made.items():
            facts[path] = FileFacts.of(content)
            yield path, content, facts[path]
    made = {release_paths(package["name"])["package"]: make_package(package, datasets, facts, names)}
    made |= {dataset_paths(d.name)["readme"]: make_readme(d, config, gettexts, facts) for d in datasets}
    for path, content in made.items():
        yield path, content, FileFacts.of(content)


def name_columns(package: dict, datasets, config: Config, gettexts: dict) -> dict[str, tuple]:
    """The columns of names the downloads add beside coded columns, by dataset name.

    Each is (coded column, name column, titles by language, {code: name}, descriptions by
    language): a code that refers to
    a table with a `name` column (the units) gets that name; a column with enumTitles gets its
    value's title, in one column per language when the languages word it differently.
    """
    by_name = {d.name: d for d in datasets}
    codes = [lang.code for lang in config.languages]
    found: dict[str, tuple] = {}
    for resource in package.get("resources", []):
        dataset = by_name.get(resource["name"])
        if dataset is None:
            continue
        taken = {f.name for f in dataset.fields}
        columns = []
        references = {}
        for key in resource.get("schema", {}).get("foreignKeys", []):
            fields, target = key.get("fields"), key.get("reference", {})
            if isinstance(fields, str) and isinstance(target.get("fields"), str):
                references[fields] = (target.get("resource") or dataset.name, target["fields"])
        for f in dataset.fields:
            title = lambda lang: f.titles.get(lang) or f.titles.get("en") or f.name  # noqa: E731
            notes = {lang: gettexts[lang](NAME_NOTE) % {"column": f.name} for lang in codes}
            target = references.get(f.name)
            referred = by_name.get(target[0]) if target else None
            if referred is not None and "name" in {g.name for g in referred.fields}:
                column = f"{f.name.removesuffix('_code')}_name"
                values = {str(code): str(name) for code, name in zip(referred.frame[target[1]], referred.frame["name"])}
                titles = {lang: gettexts[lang](NAME_TITLE) % {"column": title(lang)} for lang in codes}
                columns.append((f.name, column, titles, values, notes))
                # Names in other languages, where the referred table has them (name_en, name_ar, ...).
                for lang in codes:
                    worded = f"name_{lang}"
                    if worded in {g.name for g in referred.fields}:
                        values = {str(code): None if name is None or name != name else str(name)
                                  for code, name in zip(referred.frame[target[1]], referred.frame[worded])}
                        names = {other: gettexts[other](NAME_IN_TITLE) % {
                            "column": title(other), "language": config.language(lang).name} for other in codes}
                        columns.append((f.name, f"{column}_{lang}", names, values, notes))
            elif f.enum_titles:
                worded = {lang: {str(v): t.get(lang) or t.get("en") or str(v) for v, t in f.enum_titles.items()}
                          for lang in codes}
                if len({json.dumps(w, sort_keys=True) for w in worded.values()}) == 1:
                    titles = {lang: gettexts[lang](NAME_TITLE) % {"column": title(lang)} for lang in codes}
                    columns.append((f.name, f"{f.name}_name", titles, worded[codes[0]], notes))
                else:
                    for lang in codes:
                        names = {other: gettexts[other](NAME_IN_TITLE) % {
                            "column": title(other), "language": config.language(lang).name} for other in codes}
                        columns.append((f.name, f"{f.name}_name_{lang}", names, worded[lang], notes))
        found[dataset.name] = tuple(c for c in columns if c[1] not in taken)
    return {d.name: found.get(d.name, ()) for d in datasets}


def make_tables(dataset: Dataset, names: tuple = ()) -> tuple[bytes, bytes, bytes]:
    """The dataset's CSV, JSON and spreadsheet downloads, with the name columns `names` (see name_columns)."""
    columns, rows = named_rows(dataset, names)
    return make_csv(columns, rows), make_json(rows), make_xlsx(dataset, columns, rows)


def named_rows(dataset: Dataset, names: tuple = ()) -> tuple[list[str], list[dict]]:
    """The column names and rows of the downloads: each name column right after its code."""
    columns = []
    for f in dataset.fields:
        columns.append(f.name)
        columns += [column for code, column, *_rest in names if code == f.name]
    rows = dataset.records()
    for code, column, _titles, values, _notes in names:
        for row in rows:
            value = row[code]
            row[column] = values.get(str(value)) if value is not None else None
    return columns, [{c: row[c] for c in columns} for row in rows]


def make_csv(columns: list[str], rows: list[dict]) -> bytes:
    """Rows as UTF-8 CSV with a byte-order mark, formula-safe."""
    buffer = io.StringIO(newline="")
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row[n]) for n in columns])
    return buffer.getvalue().encode("utf-8")


def make_json(rows: list[dict]) -> bytes:
    """Rows as a JSON array of records, which pandas.read_json and most tools read as they are."""
    # Keys in column order, as in the CSV, rather than sorted.
    return (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode()


def make_xlsx(dataset: Dataset, columns: list[str], rows: list[dict]) -> bytes:
    """Rows as a spreadsheet: numbers as numbers, dates as dates, text never run as a formula.

    The file is the same bytes for the same rows: fixed document times and zip entry times.
    """
    from openpyxl import Workbook

    types = {f.name: f.type for f in dataset.fields}
    book = Workbook()
    sheet = book.active
    sheet.title = dataset.name[:31]
    sheet.append(columns)
    for row in rows:
        cells = []
        for name in columns:
            value = row[name]
            if types.get(name) == "date" and value is not None:
                value = dt.date.fromisoformat(value)
            cells.append(value)
        sheet.append(cells)
    for line in sheet.iter_rows(min_row=1):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would store "=…" as a formula
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    stamp = dt.datetime.combine(dataset.as_of or dt.date(1980, 1, 1), dt.time())
    book.properties.created = book.properties.modified = stamp
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp.timetuple()[:6] if stamp.year >= 1980 else ZIP_EPOCH,
                      stamp.isoformat() + "Z")


def _fixed_zip(data: bytes, stamp: tuple, moment: str) -> bytes:
    """The same workbook with every entry's time set to `stamp`, and its "modified" time (openpyxl
    writes the clock's) set to `moment`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + moment.encode(), content)
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o100644 << 16
            target.writestr(fixed, content, compresslevel=9)
    return out.getvalue()


def make_metadata(dataset: Dataset, names: tuple, config: Config) -> bytes:
    """NAME.metadata.json: what the rows of NAME.csv, NAME.json and NAME.xlsx mean, and where they come from."""
    paths = dataset_paths(dataset.name)
    fields = []
    for f in dataset.fields:
        fields.append({"name": f.name, "type": f.type, "titles": f.titles, "descriptions": f.descriptions,
                       "unit": f.unit})
        fields += [{"name": column, "type": "string", "titles": titles, "descriptions": notes, "describes": code}
                   for code, column, titles, _v, notes in names if code == f.name]
    document = {
        "name": dataset.name,
        "titles": dataset.titles,
        "descriptions": dataset.descriptions,
        "sources": [source.get("en") or source[""] for source in dataset.sources],
        "licence": {"name": config.licence_name, "path": config.licence_url},
        "as_of": dataset.as_of.isoformat() if dataset.as_of else None,
        "rows": len(dataset.frame),
        "primary_key": list(dataset.primary_key),
        "fields": fields,
        "downloads": {ext: paths[ext].rsplit("/", 1)[1] for ext in MEDIA_TYPES},
    }
    return _json_bytes(document)


def make_package(package: dict, datasets, facts: dict[str, FileFacts], names: dict | None = None) -> bytes:
    """datapackage.json with standard Frictionless properties beside the portal's own."""
    package = json.loads(json.dumps(package))
    by_name = {d.name: d for d in datasets}
    for resource in package["resources"]:
        published = facts[dataset_paths(resource["name"])["csv"]]
        dataset = by_name[resource["name"]]
        _add_name_fields(resource, (names or {}).get(dataset.name, ()))
        resource.update({
            "title": dataset.titles.get("en", dataset.name),
            "description": dataset.descriptions.get("en", ""),
            "mediatype": "text/csv",
            "bytes": published.size,
            "hash": "sha256:" + published.sha256,
        })
        if dataset.as_of:
            resource["asOf"] = dataset.as_of.isoformat()
        for spec in resource["schema"]["fields"]:
            spec.setdefault("title", spec.get("titles", {}).get("en", spec["name"]))
            if spec.get("descriptions", {}).get("en"):
                spec.setdefault("description", spec["descriptions"]["en"])
    package["title"] = package.get("titles", {}).get("en", package.get("name", ""))
    return _json_bytes(package)


def _add_name_fields(resource: dict, names: tuple) -> None:
    """Describe the name columns of the download in its schema, each after the column it names."""
    fields = resource["schema"]["fields"]
    for code, column, titles, _values, notes in reversed(names):
        at = next(i for i, spec in enumerate(fields) if spec["name"] == code) + 1
        fields.insert(at, {"name": column, "type": "string", "titles": titles, "descriptions": notes})


def make_readme(dataset: Dataset, config: Config, gettexts: dict, published: dict[str, FileFacts]) -> bytes:
    """A README in Markdown for one dataset, with a section in each language."""
    paths = dataset_paths(dataset.name)
    lines = [f"# {' · '.join(dict.fromkeys(dataset.titles.get(lang.code, dataset.name) for lang in config.languages))}", ""]
    for lang in config.languages:
        _ = gettexts[lang.code]
        fmt = Formatter(lang)
        lines += [f"## {lang.name}", "", f"**{dataset.titles.get(lang.code, dataset.name)}**", ""]
        if dataset.descriptions.get(lang.code):
            lines += [dataset.descriptions[lang.code], ""]
        sources = "; ".join(s.get(lang.code) or s.get("") or s.get("en", "") for s in dataset.sources)
        facts = [(_("Source"), sources)]
        if dataset.as_of:
            facts.append((_("As of"), fmt.date(dataset.as_of)))
        facts += [
            (_("Licence"), f"{config.licence_name} ({config.licence_url})"),
            (_("Rows"), fmt.number(len(dataset.frame))),
            (_("Downloads"), ", ".join(f"{p.rsplit('/', 1)[1]} ({fmt.number(published[p].size)} B)"
                                       for p in (paths["csv"], paths["json"], paths["xlsx"], paths["metadata"]))),
        ]
        lines += [f"- {label}: {value}" for label, value in facts] + [""]
        lines += [f"### {_('Columns')}", "", f"| {_('Column')} | {_('Meaning')} | {_('Type')} | {_('Unit')} |",
                  "|---|---|---|---|"]
        for f in dataset.fields:
            unit = f.unit if isinstance(f.unit, str) else (f.unit or {}).get(lang.code, "")
            lines.append(f"| `{f.name}` | {_cell(f.titles.get(lang.code, f.name))} | {f.type} | {_cell(unit) or '–'} |")
        lines.append("")
    return ("\n".join(lines)).encode("utf-8")


def make_checksums(facts: dict[str, FileFacts]) -> bytes:
    """A SHA256SUMS file for the release files, checkable with `sha256sum -c` inside data/."""
    prefix = f"{RELEASE_DIR}/"
    lines = [f"{fact.sha256}  {path.removeprefix(prefix)}"
             for path, fact in sorted(facts.items()) if path.startswith(prefix)]
    return ("\n".join(lines) + "\n").encode("ascii")


def make_zip(files: Iterable[tuple[str, bytes]], stamp: tuple, out: BinaryIO) -> None:
    """One zip of the release `files` ((path, bytes), in order, read one at a time) into `out`, the
    same bytes for the same files: fixed times and permissions.

    Its files are at the top, beside SHA256SUMS, so `sha256sum -c SHA256SUMS` works where it is unzipped.
    """
    prefix = f"{RELEASE_DIR}/"
    with zipfile.ZipFile(out, "w") as archive:
        for path, content in files:
            info = zipfile.ZipInfo(path.removeprefix(prefix), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, content, compresslevel=9)


def zip_stamp(datasets) -> tuple:
    """The time of every zip entry: the latest data date, so two builds give the same bytes."""
    dates = [d.as_of for d in datasets if d.as_of]
    latest = max(dates) if dates else None
    return (latest.year, latest.month, latest.day, 0, 0, 0) if latest and latest.year >= 1980 else ZIP_EPOCH


def _json_bytes(document) -> bytes:
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    # A leading sign or "=" would make a spreadsheet run the cell as a formula.
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text
