"""The open-data release in /data/: CSV and JSON of every dataset, the data package, a README per
dataset, SHA-256 checksums and one zip of everything, all at addresses that never change."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

from .config import Config
from .data import Dataset
from .i18n import Formatter
from .units import CODE, unit_name

# Beside each unit code, its official name, so a download is readable without units.csv.
UNIT_NAME = "unit_name"
UNIT_NAME_FIELD = {"name": UNIT_NAME, "type": "string",
                   "titles": {"vi": "Tên đơn vị hành chính", "en": "Administrative unit name", "ar": "اسم الوحدة الإدارية"},
                   "descriptions": {"vi": "Tên chính thức của đơn vị có mã ở cột unit_code (lấy từ units.csv).",
                                    "en": "The official name of the unit whose code is in unit_code (from units.csv).",
                                    "ar": "الاسم الرسمي للوحدة التي يرد رمزها في unit_code (من units.csv)."}}


def _named_units(dataset: Dataset) -> bool:
    return any(f.name == CODE for f in dataset.fields) and all(f.name != UNIT_NAME for f in dataset.fields)

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
    return {ext: f"{RELEASE_DIR}/{name}.{ext}" for ext in ("csv", "json")} | {"readme": f"{RELEASE_DIR}/{name}.README.md"}


def load_package(root: Path) -> dict:
    """The data package as written in data/ (already checked when the datasets were loaded)."""
    return json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))


def make_release(package: dict, datasets, config: Config, gettexts: dict, tables=None) -> dict[str, bytes]:
    """Every file of /data/ except the HTML catalogue: {path: bytes}.

    `gettexts` maps a language code to its gettext function, for the READMEs; `tables`, if given,
    stands in for make_tables (a cached copy, say).
    """
    files: dict[str, bytes] = {}
    for dataset in datasets:
        paths = dataset_paths(dataset.name)
        files[paths["csv"]], files[paths["json"]] = (tables or make_tables)(dataset)
    paths = release_paths(package["name"])
    files[paths["package"]] = make_package(package, datasets, files)
    for dataset in datasets:
        files[dataset_paths(dataset.name)["readme"]] = make_readme(dataset, config, gettexts, files)
    inside = dict(files)
    inside[paths["checksums"]] = make_checksums(files)
    files[paths["zip"]] = make_zip(inside, package["name"], _zip_stamp(datasets))
    files[paths["checksums"]] = make_checksums(files)
    return files


def make_tables(dataset: Dataset) -> tuple[bytes, bytes]:
    """The dataset's CSV and JSON downloads."""
    return make_csv(dataset), make_json(dataset)


def make_csv(dataset: Dataset) -> bytes:
    """The dataset as UTF-8 CSV with a byte-order mark, formula-safe."""
    names = [f.name for f in dataset.fields]
    buffer = io.StringIO(newline="")
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\n")
    named = _named_units(dataset)
    writer.writerow(names + [UNIT_NAME] * named)
    for row in dataset.records():
        name = [_csv_cell(unit_name(dataset.units, row[CODE], "") if row[CODE] is not None else None)] if named else []
        writer.writerow([_csv_cell(row[n]) for n in names] + name)
    return buffer.getvalue().encode("utf-8")


def make_json(dataset: Dataset) -> bytes:
    """The dataset as one JSON document: its description, then its rows."""
    document = {
        "name": dataset.name,
        "titles": dataset.titles,
        "sources": [source.get("en") or source[""] for source in dataset.sources],
        "licence": dataset.licence,
        "as_of": dataset.as_of.isoformat() if dataset.as_of else None,
        "fields": [{"name": f.name, "type": f.type, "titles": f.titles, "unit": f.unit} for f in dataset.fields],
        "data": dataset.records(),
    }
    if _named_units(dataset):
        document["fields"].append({k: UNIT_NAME_FIELD[k] for k in ("name", "type", "titles")} | {"unit": None})
        for row in document["data"]:
            row[UNIT_NAME] = unit_name(dataset.units, row[CODE], "") if row[CODE] is not None else None
    return _json_bytes(document)


def make_package(package: dict, datasets, files: dict[str, bytes]) -> bytes:
    """datapackage.json with standard Frictionless properties beside the portal's own."""
    package = json.loads(json.dumps(package))
    by_name = {d.name: d for d in datasets}
    for resource in package["resources"]:
        published = files[dataset_paths(resource["name"])["csv"]]
        dataset = by_name[resource["name"]]
        resource.update({
            "title": dataset.titles.get("en", dataset.name),
            "description": dataset.descriptions.get("en", ""),
            "mediatype": "text/csv",
            "bytes": len(published),
            "hash": "sha256:" + hashlib.sha256(published).hexdigest(),
        })
        if dataset.as_of:
            resource["asOf"] = dataset.as_of.isoformat()
        if _named_units(dataset):
            resource["schema"]["fields"].append(json.loads(json.dumps(UNIT_NAME_FIELD)))
        for spec in resource["schema"]["fields"]:
            spec.setdefault("title", spec.get("titles", {}).get("en", spec["name"]))
            if spec.get("descriptions", {}).get("en"):
                spec.setdefault("description", spec["descriptions"]["en"])
    package["title"] = package.get("titles", {}).get("en", package.get("name", ""))
    return _json_bytes(package)


def make_readme(dataset: Dataset, config: Config, gettexts: dict, files: dict[str, bytes]) -> bytes:
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
            (_("Downloads"), ", ".join(f"{p.rsplit('/', 1)[1]} ({fmt.number(len(files[p]))} B)"
                                       for p in (paths["csv"], paths["json"]))),
        ]
        lines += [f"- {label}: {value}" for label, value in facts] + [""]
        lines += [f"### {_('Columns')}", "", f"| {_('Column')} | {_('Meaning')} | {_('Type')} | {_('Unit')} |",
                  "|---|---|---|---|"]
        for f in dataset.fields:
            unit = f.unit if isinstance(f.unit, str) else (f.unit or {}).get(lang.code, "")
            lines.append(f"| `{f.name}` | {_cell(f.titles.get(lang.code, f.name))} | {f.type} | {_cell(unit) or '–'} |")
        lines.append("")
    return ("\n".join(lines)).encode("utf-8")


def make_checksums(files: dict[str, bytes]) -> bytes:
    """A SHA256SUMS file for the release files, checkable with `sha256sum -c` inside data/."""
    prefix = f"{RELEASE_DIR}/"
    lines = [f"{hashlib.sha256(content).hexdigest()}  {path.removeprefix(prefix)}"
             for path, content in sorted(files.items()) if path.startswith(prefix)]
    return ("\n".join(lines) + "\n").encode("ascii")


def make_zip(files: dict[str, bytes], folder: str, stamp: tuple) -> bytes:
    """One zip of the release, the same bytes for the same files: fixed times, order and permissions."""
    buffer = io.BytesIO()
    prefix = f"{RELEASE_DIR}/"
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{path.removeprefix(prefix)}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[path], compresslevel=9)
    return buffer.getvalue()


def _zip_stamp(datasets) -> tuple:
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
