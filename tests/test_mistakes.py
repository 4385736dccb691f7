"""Careless and hostile inputs: every mistake ends in `path[:line[:column]]: message`, exit 1, the site untouched.

Named cases first (each one once broke the build with a traceback), then generated ones: broken
package descriptions, front matter, file names and CSV cells.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from build import cli
from conftest import TINY_PACKAGE, tree_digest, write_project

CLOCK = "2024-03-01T00:00+07:00"
# One problem a line: a location (a path, then an optional line and column), then the message.
LOCATED = re.compile(r"^\S.*?(:\d+(:\d+)?)?: \S")
GENERATED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])
ARTICLE = "content/announcements/2024-02-01-ban-tin-thu.vi.md"
VALID_FRONT = 'title: "Bản tin thử"\ndate: 2024-02-01\nsummary: "Tóm tắt thử."\ntags: ["thử"]\n'


def invoke(root: Path, command: str = "check"):
    return CliRunner().invoke(cli, ["--project", str(root), command, "--clock", CLOCK])


def assert_told(result) -> list[str]:
    """The command ended in located messages and exit 1, without a traceback; return the problem lines."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if not line.endswith("nothing was written.")]
    assert lines and all(LOCATED.match(line) for line in lines), result.output
    return lines


def assert_told_or_fine(result, root: Path) -> None:
    """check either accepts the input or explains it; build then rejects it the same way, leaving site/ as it was."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 0:
        return
    lines = assert_told(result)
    before = tree_digest(root / "site")
    built = invoke(root, "build")
    assert assert_told(built) == lines
    assert tree_digest(root / "site") == before


@pytest.fixture(scope="module")
def project(tiny_site, tmp_path_factory):
    """A copy of the built tiny project; each test puts back what it changed."""
    root = tmp_path_factory.mktemp("mistakes") / "p"
    shutil.copytree(tiny_site, root)
    return root


@pytest.fixture
def fresh(project):
    originals = {p: p.read_bytes() for p in project.rglob("*")
                 if p.is_file() and p.relative_to(project).parts[0] in ("data", "content", "templates", "site.toml")}
    yield project
    for folder in ("content/announcements", "data"):
        for path in (project / folder).iterdir():
            if path not in originals:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    for path, content in originals.items():
        if path.is_symlink():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        path.write_bytes(content)


def package_with(change) -> str:
    package = copy.deepcopy(TINY_PACKAGE)
    change(package)
    return json.dumps(package, ensure_ascii=False, indent=1)


def counts_field(index: int, key: str, value):
    return lambda p: p["resources"][0]["schema"]["fields"][index].__setitem__(key, value)


def constraint(index: int, key: str, value):
    return lambda p: p["resources"][0]["schema"]["fields"][index]["constraints"].__setitem__(key, value)


NAMED = {
    "field type of the wrong kind": {"data/datapackage.json": package_with(counts_field(2, "type", 5))},
    "constraints of the wrong kind": {"data/datapackage.json": package_with(counts_field(2, "constraints", [1]))},
    "minimum of the wrong kind": {"data/datapackage.json": package_with(constraint(2, "minimum", "x"))},
    "enum of the wrong kind": {"data/datapackage.json": package_with(constraint(2, "enum", "x"))},
    "no resources key": {"data/datapackage.json": json.dumps({"name": "x"})},
    "resources not a list": {"data/datapackage.json": json.dumps({"resources": {"a": 1}})},
    "invalid regex": {"data/datapackage.json": package_with(constraint(1, "pattern", "("))},
    "indicator chart a list": {"data/datapackage.json": package_with(
        lambda p: p["resources"][0]["indicator"].__setitem__("chart", [1]))},
    "headline on a text field": {"data/datapackage.json": package_with(
        lambda p: p["resources"][0]["indicator"]["headline"].__setitem__("value", "unit_code"))},
    "progress chart without parts": {"data/datapackage.json": package_with(
        lambda p: p["resources"][0]["indicator"]["chart"].__setitem__("type", "progress"))},
    "no province-wide rows": {"data/counts.csv": "date,unit_code,issued\n2023-06-30,412,1000\n"},
    "rules not a list of objects": {"data/datapackage.json": package_with(lambda p: p["resources"][0].__setitem__("rules", [1]))},
    "impossible date in a file name": {"content/announcements/2024-02-30-x.en.md": f"---\n{VALID_FRONT}---\n"},
    "deep nesting in Markdown": {ARTICLE: f"---\n{VALID_FRONT}---\n" + "".join("    " * i + "- x\n" for i in range(300))},
    "deep emphasis in Markdown": {ARTICLE: f"---\n{VALID_FRONT}---\n" + "*" * 3000 + "x" + "*" * 3000 + "\n"},
    "control character in a text": {ARTICLE: f"---\n{VALID_FRONT}---\nhello\x07 there\n"},
    "control character in front matter": {ARTICLE: "---\n" + VALID_FRONT.replace("thử.", "th\x1bử.") + "---\n"},
    "control character in a dataset title": {"data/datapackage.json": package_with(
        lambda p: p["resources"][0]["titles"].__setitem__("en", "Test\u0000counts"))},
    "control character as a YAML escape": {ARTICLE: "---\n" + VALID_FRONT.replace('"Bản tin thử"', '"Bản\\a tin"') + "---\n"},
    "control character in a CSV cell": {"data/units.csv": "code,name,type,parent_code\n40,T\x01,province,\n412,H,district,40\n"},
    "1e309 with no maximum": {
        "data/datapackage.json": package_with(lambda p: (counts_field(2, "type", "number")(p),
                                                         p["resources"][0]["schema"]["fields"][2]["constraints"].pop("minimum"))),
        "data/counts.csv": "date,unit_code,issued\n2023-06-30,40,1000\n2023-12-31,40,1e309\n"},
    "NUL in a site.toml format": {"site.toml": None},
    "languages not codes": {"site.toml": None},
    "template syntax error": {"templates/news_list.html": None},
    "announcement that is not UTF-8": {ARTICLE: b"---\ntitle: \xff\n---\n"},
    "package nested too deeply": {"data/datapackage.json": "[" * 100_000 + "]" * 100_000},
    "site.toml nested too deeply": {"site.toml": None},
    "announcement too large": {ARTICLE: f"---\n{VALID_FRONT}---\n" + "x " * 1_100_000},
}
SITE_TOML_EDITS = {
    "NUL in a site.toml format": ('percent_format = "', 'percent_format = "\\u0000'),
    "languages not codes": ('languages = [', 'languages = [[1], '),
    "site.toml nested too deeply": ('[site]', 'deep = ' + "[" * 100_000 + "]" * 100_000 + '\n[site]'),
}


@pytest.mark.parametrize("case", list(NAMED))
def test_a_named_mistake_is_told_not_crashed_on(fresh, case):
    root = fresh
    for name, content in NAMED[case].items():
        path = root / name
        if name == "site.toml":
            old, new = SITE_TOML_EDITS[case]
            path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        elif name.startswith("templates/"):
            path.write_text(path.read_text(encoding="utf-8").replace("{{ heading }}", "{{ heading ", 1), encoding="utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    before = tree_digest(root / "site")
    result = invoke(root, "build")
    lines = assert_told(result)
    assert tree_digest(root / "site") == before
    if not case.startswith("template"):  # templates are read by build only
        assert assert_told(invoke(root, "check")) == lines


def test_a_data_file_that_is_a_folder(fresh):
    (fresh / "data/counts.csv").unlink()
    (fresh / "data/counts.csv").mkdir()
    assert assert_told(invoke(fresh)) == ["data/counts.csv: this is a folder, not a CSV file (listed in datapackage.json)"]


def test_a_missing_template(fresh):
    (fresh / "templates/news_list.html").unlink()
    before = tree_digest(fresh / "site")
    assert assert_told(invoke(fresh, "build"))[0].startswith("templates/news_list.html: template not found")
    assert tree_digest(fresh / "site") == before


def test_messages_name_the_line_and_column(fresh):
    (fresh / ARTICLE).write_text(f"---\n{VALID_FRONT}---\nhello\x07 there\n", encoding="utf-8")
    (fresh / "content/announcements/2024-02-30-x.en.md").write_text(f"---\n{VALID_FRONT}---\n", encoding="utf-8")
    assert assert_told(invoke(fresh)) == [
        "content/announcements/2024-02-01-ban-tin-thu.vi.md:7:6: a control character, U+0007, is not allowed in a "
        "text; delete it",
        "content/announcements/2024-02-30-x.en.md: the date in the file name, 2024-02-30, is not a real date",
    ]


def test_a_bug_in_the_portal_shows_its_traceback_and_asks_for_a_report(fresh, monkeypatch):
    import portal.build.inputs

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(portal.build.inputs, "load_config", broken)
    result = invoke(fresh)
    assert result.exit_code == 70
    assert "Traceback" in result.output and "please report it" in result.output


# Values of every kind JSON has, and a few the portal once tripped over.
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=8), st.sampled_from(["(", "[a-", "string", "date", "integer", "", "counts", "units"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, prefix + (index,))


PACKAGE_PATHS = [path for path in _paths(TINY_PACKAGE) if path]


@GENERATED
@given(path=st.sampled_from(PACKAGE_PATHS), value=JSON_VALUES, delete=st.booleans())
def test_any_broken_package_description_is_told(fresh, path, value, delete):
    package = copy.deepcopy(TINY_PACKAGE)
    parent = package
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    (fresh / "data/datapackage.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    assert_told_or_fine(invoke(fresh), fresh)


YAML_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                        st.sampled_from(["2024-02-01", "2024-02-30", "2024-02-01T25:00", "[a, b]", "{x: 1}", "&a x",
                                         "*b", "!!python/object:os.system", "'unclosed", "\"a\\x07\"", "|", ">-"]))
KEYS = st.sampled_from(["title", "date", "summary", "tags", "draft", "publish_at", "expire_at", "image",
                        "image_alt", "author", "titel", "", " ", "- x", "? y"])


@GENERATED
@given(entries=st.lists(st.tuples(KEYS, YAML_VALUES), max_size=8), raw=st.booleans())
def test_any_broken_front_matter_is_told(fresh, entries, raw):
    lines = [f"{key}: {value if raw else json.dumps(value, ensure_ascii=False)}" for key, value in entries]
    (fresh / ARTICLE).write_text("---\n" + "\n".join(lines) + "\n---\nText.\n", encoding="utf-8")
    assert_told_or_fine(invoke(fresh), fresh)


FILE_NAMES = st.one_of(
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}-[a-z0-9-]{0,12}\.[a-z]{0,3}\.md\Z"),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=20),
)


@GENERATED
@given(name=FILE_NAMES)
def test_any_announcement_file_name_is_told_or_accepted(fresh, name):
    if name in (".", "..") or len(name.encode()) > 200:
        return
    path = fresh / "content/announcements" / name
    if path.exists():
        return
    path.write_text(f"---\n{VALID_FRONT.replace('2024-02-01', name[:10])}---\nText.\n", encoding="utf-8")
    try:
        assert_told_or_fine(invoke(fresh), fresh)
    finally:
        path.unlink()


CELLS = st.one_of(st.text(max_size=12), st.sampled_from(["1e309", "-1e309", "NaN", "inf", "1_000", "١٢", "0x10",
                                                         "2023-02-30", "9" * 400, "\"", "a,b", "\r", "\x00"]))


@GENERATED
@given(row=st.integers(0, 1), column=st.integers(0, 2), cell=CELLS)
def test_any_csv_cell_is_told_or_accepted(fresh, row, column, cell):
    rows = [["2023-06-30", "40", "1000"], ["2023-12-31", "40", "1500"]]
    rows[row][column] = cell
    import csv
    import io
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["date", "unit_code", "issued"], *rows])
    (fresh / "data/counts.csv").write_text(out.getvalue(), encoding="utf-8")
    assert_told_or_fine(invoke(fresh), fresh)


def test_a_linked_images_folder_brings_in_nothing_from_outside(fresh, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"\x89PNG not part of the project")
    images = fresh / "content/images"
    shutil.rmtree(images, ignore_errors=True)
    images.symlink_to(outside, target_is_directory=True)
    try:
        (fresh / ARTICLE).write_text(f"---\n{VALID_FRONT}image: secret.png\nimage_alt: \"x\"\n---\n", encoding="utf-8")
        assert assert_told(invoke(fresh)) == [
            "content/announcements/2024-02-01-ban-tin-thu.vi.md:6: picture 'secret.png' not found in content/images/"]
    finally:
        images.unlink()


CRASHING_STEP = """\
import os, sys
from portal.build.executor import map_ordered

def step(number):
    if number == 5:
        os.abort()  # as a crash in native code (the chart renderer) would
    return number

try:
    list(map_ordered(step, list(range(20)), jobs=2))
except Exception as exc:
    print(type(exc).__name__)
"""


def test_a_worker_that_crashes_ends_the_build_instead_of_hanging_it(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "crash.py"
    script.write_text(CRASHING_STEP)
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(root)})
    assert result.stdout.strip() == "WorkerDied"


@pytest.mark.parametrize("args", [["new", "Tin\x07 mới"], ["build", "--base-url", "https://example.org/\x00/"],
                                  ["build", "--clock", "2024-13-01"], ["check", "--clock", "\x00"]])
def test_a_mistake_on_the_command_line_is_told(fresh, args):
    result = CliRunner().invoke(cli, ["--project", str(fresh), *args])
    assert_told(result)
    assert not list((fresh / "content/announcements").glob("*tin*moi*"))


@pytest.mark.parametrize("name, message", [
    ("data/counts.csv", "data/counts.csv: this is a link to a file outside data/; copy the file here"),
    ("content/announcements/2024-02-01-ngoai.vi.md",
     "content/announcements/2024-02-01-ngoai.vi.md: this is a link to a file outside the project; copy the file here"),
])
def test_a_link_to_a_file_outside_the_project_is_refused(fresh, tmp_path, name, message):
    outside = tmp_path / "outside.txt"
    outside.write_text((fresh / name).read_text(encoding="utf-8") if (fresh / name).exists()
                       else f"---\n{VALID_FRONT}---\nText.\n", encoding="utf-8")
    (fresh / name).unlink(missing_ok=True)
    (fresh / name).symlink_to(outside)
    assert message in assert_told(invoke(fresh))
