"""data/datapackage.json checked: first its shape (every key the portal reads has the kind of value
it expects), then what its resources declare (paths, fields, sources, indicators and charts).

The shape is checked before anything else reads the package, so a number where a list belongs, or
a pattern that is not a regular expression, is a message naming the key rather than a crash further on.
"""

from __future__ import annotations

import math
import re

from . import freshness, provenance
from .errors import Problem
from .rules import describe_rules

TYPES = ("string", "integer", "number", "date", "year")
# Older declarations name a chart type; the kind drawn now follows the shape of the data (chart_kinds.py).
CHART_TYPES = ("bar", "grouped", "progress", "line")
NUMERIC = ("integer", "number", "year")
CONTROL_ESCAPE = re.compile(r"(\\*)(\\u(?:000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|[fF]{3}[eEfF]))")
# Longer patterns are refused: a regular expression is run on every cell of its column.
MAX_PATTERN = 500


def check_package_shape(package, text: str, shown: str) -> list[Problem]:
    """Problems with the kinds of values in the package description, each with its key's line."""
    problems: list[Problem] = []

    def bad(where: str, message: str, needle: str | None = None) -> None:
        problems.append(Problem(shown, _line_of(text, needle) if needle else None, None, f"{where}: {message}"))

    for number, line in enumerate(text.split("\n"), start=1):
        # JSON lets a text hold a control character only escaped, such as \u0007: found here, by its line.
        for match in CONTROL_ESCAPE.finditer(line):
            if len(match.group(1)) % 2 == 0:  # not itself an escaped backslash
                problems.append(Problem(shown, number, match.start(2) + 1,
                                        f"a control character, {match.group(2)}, is not allowed in a text; delete it"))
    if not isinstance(package, dict):
        bad("the package", "must be a JSON object with a \"resources\" list")
        return problems
    resources = package.get("resources")
    if not isinstance(resources, list) or not resources:
        bad("the package", "needs a \"resources\" list describing each CSV file", '"resources"')
        return problems
    if "name" in package and not isinstance(package["name"], str):
        bad("the package", "\"name\" must be a text", '"name"')
    for key in ("licenses", "sources", "contributors"):
        if key in package and not (isinstance(package[key], list) and all(isinstance(x, dict) for x in package[key])):
            bad(key, "must be a list of objects", f'"{key}"')
    for index, resource in enumerate(resources):
        where = f"resources[{index}]"
        if not isinstance(resource, dict):
            bad(where, "must be an object describing one CSV file")
            continue
        name = resource.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9._-]+", name):
            bad(where, "needs a \"name\" of lowercase letters, digits, dots, hyphens or underscores")
            continue
        where = f"resource {name}"
        needle = f'"name": "{name}"'
        for key in ("titles", "descriptions"):
            if key in resource and not _texts(resource[key]):
                bad(where, f"\"{key}\" must map language codes to texts", needle)
        if "licenses" in resource and not (isinstance(resource["licenses"], list)
                                           and all(isinstance(x, dict) for x in resource["licenses"])):
            bad(where, "\"licenses\" must be a list of objects", needle)
        if "sources" in resource and not (isinstance(resource["sources"], list)
                                          and all(isinstance(x, dict) for x in resource["sources"])):
            bad(where, "\"sources\" must be a list of objects", needle)
        _check_schema(resource.get("schema"), where, needle, bad)
        rules = resource.get("rules", [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            bad(where, "\"rules\" must be a list of objects such as {\"rule\": \"non-decreasing\", \"field\": …}", needle)
        else:
            for rule in rules:
                if "fields" in rule and not _names(rule["fields"]):
                    bad(where, f"rule {rule.get('rule')!r}: \"fields\" must be a list of field names", needle)
                for key in ("field", "limit", "numerator", "denominator", "every", "rule"):
                    if key in rule and not isinstance(rule[key], str):
                        bad(where, f"rule {rule.get('rule')!r}: \"{key}\" must be a name", needle)
                for key in ("scale", "tolerance"):
                    if key in rule and not _number(rule[key]):
                        bad(where, f"rule {rule.get('rule')!r}: \"{key}\" must be a number", needle)
        if "indicator" in resource:
            _check_indicator(resource["indicator"], where, needle, bad)
    return problems


def _check_schema(schema, where: str, needle: str, bad) -> None:
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        bad(where, "needs \"schema\" with a list of \"fields\"", needle)
        return
    names = []
    for number, spec in enumerate(schema["fields"], start=1):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
            bad(where, f"field {number} must be an object with a \"name\"", needle)
            continue
        name = spec["name"]
        names.append(name)
        at = f"{where}, field {name}"
        kind = spec.get("type", "string")
        if not isinstance(kind, str) or kind not in TYPES:
            bad(at, f"\"type\" must be one of {', '.join(TYPES)}, not {kind!r}", f'"name": "{name}"')
            continue
        for key in ("titles", "descriptions"):
            if key in spec and not _texts(spec[key]):
                bad(at, f"\"{key}\" must map language codes to texts", f'"name": "{name}"')
        if "unit" in spec and not (isinstance(spec["unit"], str) or _texts(spec["unit"])):
            bad(at, "\"unit\" must be a text, or texts by language code", f'"name": "{name}"')
        if "enumTitles" in spec and not (isinstance(spec["enumTitles"], dict)
                                         and all(_texts(v) for v in spec["enumTitles"].values())):
            bad(at, "\"enumTitles\" must map each value to texts by language code", f'"name": "{name}"')
        _check_constraints(spec.get("constraints", {}), kind, at, f'"name": "{name}"', bad)
    if len(set(names)) != len(names):
        bad(where, "two fields have the same name", needle)
    key = schema.get("primaryKey", [])
    if not (_names(key) or isinstance(key, str)) or not set([key] if isinstance(key, str) else key) <= set(names):
        bad(where, "\"primaryKey\" must be a list of the resource's field names", needle)
    foreign = schema.get("foreignKeys", [])
    if not isinstance(foreign, list):
        bad(where, "\"foreignKeys\" must be a list", needle)
        return
    for fk in foreign:
        reference = fk.get("reference") if isinstance(fk, dict) else None
        if (not isinstance(reference, dict) or not _field_list(fk.get("fields"))
                or not _field_list(reference.get("fields")) or not isinstance(reference.get("resource"), str)):
            bad(where, "each foreign key needs \"fields\" and a \"reference\" naming its \"resource\" and \"fields\"", needle)
        elif not set(_as_list(fk["fields"])) <= set(names):
            bad(where, f"foreign key names an unknown field {fk['fields']!r}", needle)


def _check_constraints(rules, kind: str, where: str, needle: str, bad) -> None:
    if not isinstance(rules, dict):
        bad(where, "\"constraints\" must be an object such as {\"required\": true}", needle)
        return
    for key in ("required", "unique"):
        if key in rules and not isinstance(rules[key], bool):
            bad(where, f"constraint \"{key}\" must be true or false, not {rules[key]!r}", needle)
    for key in ("minimum", "maximum"):
        if key not in rules:
            continue
        if kind not in NUMERIC:
            bad(where, f"constraint \"{key}\" is only for integer, number and year fields", needle)
        elif not _number(rules[key]):
            bad(where, f"constraint \"{key}\" must be a number, not {rules[key]!r}", needle)
    if "enum" in rules:
        values = rules["enum"]
        wanted = (int, float) if kind in NUMERIC else str
        if (not isinstance(values, list) or not values
                or not all(isinstance(v, wanted) and not isinstance(v, bool) for v in values)):
            bad(where, f"constraint \"enum\" must be a list of {'numbers' if kind in NUMERIC else 'texts'}", needle)
    if "pattern" in rules:
        pattern = rules["pattern"]
        if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN:
            bad(where, f"constraint \"pattern\" must be a regular expression of at most {MAX_PATTERN} characters",
                needle)
        else:
            try:
                re.compile(pattern)
            except (re.error, RecursionError, OverflowError) as exc:
                bad(where, f"constraint \"pattern\" is not a valid regular expression: {exc}", needle)


def _check_indicator(indicator, where: str, needle: str, bad) -> None:
    if not isinstance(indicator, dict):
        bad(where, "\"indicator\" must be an object with \"slug\", \"headline\" and \"chart\"", needle)
        return
    headline, chart = indicator.get("headline", {}), indicator.get("chart", {})
    if not isinstance(headline, dict) or not isinstance(headline.get("where", {}), dict):
        bad(where, "indicator \"headline\" must be an object such as {\"value\": \"cards_issued\"}", needle)
    elif not all(isinstance(headline[k], str) for k in ("value", "of", "target") if k in headline):
        bad(where, "indicator \"headline\" names fields: \"value\", \"of\" and \"target\" must be texts", needle)
    if not isinstance(chart, dict):
        bad(where, "indicator \"chart\" must be an object such as {\"type\": \"bar\", \"x\": …, \"y\": …}", needle)
        return
    for key in ("measures", "parts"):
        if key in chart and not _names(chart[key]):
            bad(where, f"chart \"{key}\" must be a list of field names", needle)
    for key in ("type", "x", "y", "target", "total", "category"):
        if key in chart and not isinstance(chart[key], str):
            bad(where, f"chart \"{key}\" must be a text", needle)


def _texts(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _names(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _field_list(value) -> bool:
    return isinstance(value, str) or (_names(value) and bool(value))


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def check_package(package, text: str, shown: str, problems: list[Problem]) -> list[dict]:
    """Check the descriptors the portal relies on; return the usable ones."""
    if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
        problems.append(Problem(shown, 1, None, "expected an object with a \"resources\" list"))
        return []
    usable = []
    names = {r.get("name") for r in package["resources"] if isinstance(r, dict)}
    for index, res in enumerate(package["resources"]):
        name = res.get("name", f"#{index + 1}") if isinstance(res, dict) else f"#{index + 1}"
        line = _line_of(text, f'"name": "{name}"')

        def bad(message: str) -> None:
            problems.append(Problem(shown, line, None, f"resource {name}: {message}"))

        if not isinstance(res, dict) or not isinstance(res.get("path"), str):
            bad("needs a \"path\" to its CSV file")
            continue
        if "/" in res["path"] or "\\" in res["path"] or not res["path"].endswith(".csv"):
            bad("\"path\" must be a .csv file name inside data/")
            continue
        fields = res.get("schema", {}).get("fields")
        if not isinstance(fields, list) or not fields:
            bad("needs \"schema\" with a list of \"fields\"")
            continue
        if not isinstance(res.get("titles"), dict):
            bad("needs \"titles\" in every language")
        for f in fields:
            if f.get("type", "string") not in TYPES:
                bad(f"field {f.get('name')}: type must be one of {', '.join(TYPES)}")
        for message in describe_rules(res):
            bad(message)
        field_names = {f.get("name"): f.get("type", "string") for f in fields}  # name -> type
        provenance.check_resource(res, {s.get("name") for s in package.get("sources", []) if isinstance(s, dict)},
                                  field_names, bad)
        if res.get("updateFrequency") is not None and freshness.parse_duration(res["updateFrequency"]) is None:
            bad("\"updateFrequency\" must be an ISO 8601 duration such as \"P1M\" (monthly) or \"P1Y\" (yearly)")
        indicator = res.get("indicator")
        if indicator is not None:
            _check_indicator_fields(indicator, field_names, bad)
        for fk in res.get("schema", {}).get("foreignKeys", []):
            if fk.get("reference", {}).get("resource") not in names:
                bad(f"foreign key refers to an unknown resource {fk.get('reference', {}).get('resource')!r}")
        usable.append(res)
    slugs = [r["indicator"]["slug"] for r in usable if isinstance(r.get("indicator"), dict) and "slug" in r["indicator"]]
    for slug in sorted({s for s in slugs if slugs.count(s) > 1}):
        problems.append(Problem(shown, _line_of(text, f'"slug": "{slug}"'), None, f"indicator slug {slug!r} is used twice"))
    return usable


def _check_indicator_fields(indicator: dict, field_names: set, bad) -> None:
    slug = indicator.get("slug")
    if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        bad("indicator needs a \"slug\" of lowercase letters, digits and hyphens")
    tags = indicator.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        bad("indicator \"tags\" must be a list of words, in any of the languages")
    chart = indicator.get("chart", {})
    headline = indicator.get("headline", {})
    if chart.get("type") is not None and chart.get("type") not in CHART_TYPES:
        bad(f"chart type must be one of {', '.join(CHART_TYPES)}, or left out (the data's shape chooses)")
    if not (chart.get("measures") or chart.get("parts") or chart.get("y")):
        bad("chart needs \"measures\" (the figures to draw) or \"parts\" and \"total\"")
    used = [headline.get(k) for k in ("value", "of", "target")] + list(headline.get("where", {}))
    used += [chart.get(k) for k in ("x", "y", "target", "total", "category")]
    used += chart.get("measures", []) + chart.get("parts", [])
    used += [a.get("field") for a in chart.get("annotations", []) if isinstance(a, dict)]
    for name in used:
        if name is not None and name not in field_names:
            bad(f"indicator refers to an unknown field {name!r}")
    _check_indicator_kinds(chart, headline, field_names, bad)


# What each chart type needs, and the kinds of fields the headline and chart compute with.
CHART_NEEDS = {"bar": ("x", "y"), "grouped": ("x", "measures"), "progress": ("total", "parts")}
MEASURE_TYPES = ("integer", "number")


def _check_indicator_kinds(chart: dict, headline: dict, types: dict, bad) -> None:
    """Problems with the fields an indicator computes with: present for its chart type, and numbers."""
    for key in CHART_NEEDS.get(chart.get("type"), ()):
        if not chart.get(key):
            bad(f"a {chart['type']} chart needs \"{key}\"")
    if not headline.get("value"):
        bad("indicator \"headline\" needs \"value\", the field it shows")
    measures = [headline.get(k) for k in ("value", "of", "target")] + [chart.get(k) for k in ("y", "total", "target")]
    measures += list(chart.get("measures", [])) + list(chart.get("parts", []))
    for name in dict.fromkeys(m for m in measures if m in types):
        if types[name] not in MEASURE_TYPES:
            bad(f"indicator field {name!r} is {types[name]}, but the headline and chart compute with it: "
                "it must be integer or number")
    if chart.get("x") in types and types[chart["x"]] in MEASURE_TYPES:
        bad(f"chart \"x\" {chart['x']!r} must be a date, year or text field, not a measure")
