"""Checks of the tables' rows: the data package validated by the reference library of the standard
(Frictionless), values their foreign keys must find, and the province-wide rows indicators show."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import Problem, relative

TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "date": "a real date in the form YYYY-MM-DD",
    "year": "a year",
    "string": "text",
}


def check_with_frictionless(package_path: Path, root: Path, found: list[Problem],
                            names: list[str] | None = None) -> list[Problem]:
    """Validate the package (or only the resources `names`) with frictionless; return its problems
    at rows not already reported.

    The portal's own reader already explains encoding, header and cell mistakes in plain words;
    this pass makes sure nothing the standard's validator would reject slips through.
    """
    # Imported here: the library is large and only this check needs it.
    from frictionless import Package, system

    flagged_rows = {(p.path, p.line) for p in found}
    flagged_files = {p.path for p in found if p.line in (None, 1)}
    shown_package = relative(package_path, root)
    from frictionless import FrictionlessException

    with system.use_context(trusted=False):
        try:
            descriptor = _utf8(json.loads(package_path.read_text(encoding="utf-8")))
            if names is None:
                package = Package(descriptor, basepath=str(package_path.parent))
                reports = [package.validate()]
            else:
                # Reading every resource description costs more than checking one table: a package of
                # just the named resources and those their foreign keys refer to gives the same reports.
                package = Package(_only(descriptor, names), basepath=str(package_path.parent))
                reports = [package.get_resource(n).validate() for n in names]
        except FrictionlessException as exc:
            # The description itself breaks the standard in a way the portal's own checks let pass.
            return [Problem(shown_package, None, None, f"data package: {exc.error.message}")]
    errors = [error for report in reports for error in report.errors]
    problems = [Problem(shown_package, None, None, f"data package: {error.message}") for error in errors]
    for task in (task for report in reports for task in report.tasks):
        path = relative(package_path.parent / task.place, root) if task.place else shown_package
        if path in flagged_files:
            continue
        for error in task.errors:
            row = getattr(error, "row_number", None)
            column = getattr(error, "field_number", None)
            if (path, row) in flagged_rows:
                continue
            if column is None:
                # One row-level message a row: a blank row also breaks the primary key, say it once.
                flagged_rows.add((path, row))
            problems.append(Problem(path, row, getattr(error, "field_number", None), _wording(error, package, task)))
    return problems


def _utf8(descriptor: dict) -> dict:
    """The package `descriptor` with every table's encoding UTF-8 unless it says otherwise: the
    portal reads nothing else, and frictionless would otherwise guess it from each file's bytes
    (about a seventh of its check)."""
    resources = [{"encoding": "utf-8", **r} if isinstance(r, dict) else r for r in descriptor.get("resources", [])]
    return {**descriptor, "resources": resources}


def _only(descriptor: dict, names: list[str]) -> dict:
    """The package `descriptor` with only the resources `names` and the ones they refer to."""
    keep = set(names)
    for resource in descriptor["resources"]:
        if resource.get("name") in names:
            for key in resource.get("schema", {}).get("foreignKeys", []):
                keep.add(key.get("reference", {}).get("resource") or resource["name"])
    return {**descriptor, "resources": [r for r in descriptor["resources"] if r.get("name") in keep]}


def _wording(error, package, task) -> str:
    """Say a frictionless error the way the portal's own messages do."""
    cell = getattr(error, "cell", None)
    field = getattr(error, "field_name", None)
    if error.type == "type-error":
        kind = _field_type(package, task.name, field)
        return f'value "{cell}" is not {TYPE_WORDS.get(kind, kind)} ({field})'
    if error.type == "constraint-error":
        return f'value "{cell}" breaks the rule {error.note} ({field})'
    if error.type == "blank-row":
        return "the row is blank; delete it"
    if error.type == "primary-key":
        return f"duplicate row: the primary key is {error.note}"
    if error.type == "foreign-key":
        return f"unknown reference: {error.note}"
    return f"{error.title.lower()}: {error.note}" if error.note else error.message


def _field_type(package, resource_name: str, field_name: str | None) -> str:
    try:
        return package.get_resource(resource_name).schema.get_field(field_name).type
    except Exception:  # the field may be unknown when the header itself is wrong
        return "string"


def check_foreign_keys(d: dict, tables: dict, shown: str) -> list[Problem]:
    """A problem for each value of the resource `d` that its foreign keys' tables do not hold."""
    problems: list[Problem] = []
    frame = tables[d["name"]]
    names = [f["name"] for f in d["schema"]["fields"]]
    for fk in d["schema"].get("foreignKeys", []):
        column = fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0]
        ref = fk["reference"]
        target_field = ref["fields"] if isinstance(ref["fields"], str) else ref["fields"][0]
        target = tables.get(ref["resource"])
        if target is None:
            continue
        if column not in frame.columns or target_field not in target.columns:
            named = repr(column) if column not in frame.columns else f"{target_field!r} of {ref['resource']}"
            problems.append(Problem(shown, None, None, f"a foreign key names the field {named}, which does not exist (foreignKeys)"))
            continue
        values = frame[column]
        unknown = values.notna() & ~values.isin(set(target[target_field].dropna()))
        for row, value in values[unknown].head(50).items():
            problems.append(Problem(shown, int(row), names.index(column) + 1,
                                    f"value \"{value}\" is not a known {target_field} in {ref['resource']} ({column})"))
        if unknown.sum() > 50:
            problems.append(Problem(shown, None, None, f"… and {int(unknown.sum()) - 50} more unknown {column} values"))
    return problems


def check_province_rows(root: Path, descriptors: list[dict], tables: dict, shown_csvs: dict) -> list[Problem]:
    """An indicator's headline and chart show the province-wide rows: a table of indicators needs some."""
    from .config import load_config  # already read and checked by the build, so this cannot fail here

    province = None
    problems = []
    for d in descriptors:
        frame = tables.get(d["name"])
        if not d.get("indicator") or frame is None or "unit_code" not in frame.columns:
            continue
        province = province or load_config(root).province_code
        if not (frame["unit_code"] == province).any():
            problems.append(Problem(shown_csvs[d["name"]], None, None, f"no province-wide rows (unit_code {province}, "
                                    f"as site.toml says): the indicator {d['indicator'].get('slug')!r} shows those"))
    return problems


def frictionless_inputs(text: str, descriptors: list[dict], data_dir: Path, known: dict) -> dict[str, tuple]:
    """What each resource's reference check reads: the package description, its file and the files it refers to.

    `known` holds the digests of files already read, by resource name.
    """
    digests = {d["name"]: known.get(d["name"]) or hashlib.sha256((data_dir / d["path"]).read_bytes()).hexdigest()
               for d in descriptors}
    package = hashlib.sha256(text.encode("utf-8")).hexdigest()  # once, not once per resource
    return {d["name"]: (package, d["name"], [(name, digests.get(name)) for name in referred_resources(d)]) for d in descriptors}


def referred_resources(descriptor: dict) -> list[str]:
    """The resource's own name, then the resources its foreign keys name."""
    foreign = descriptor.get("schema", {}).get("foreignKeys", [])
    return [descriptor["name"], *sorted({fk.get("reference", {}).get("resource") or descriptor["name"] for fk in foreign})]
