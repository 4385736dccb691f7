"""build.py: exit codes and messages, atomic writes, deterministic output."""

import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from build import cli
from conftest import tree_digest, write_project


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_build_prints_a_summary_and_writes_the_site(tiny_site):
    digest = tree_digest(tiny_site / "site")
    assert "index.html" in digest and "en/indicators/counts.html" in digest and "ar/news/index.html" in digest
    assert any(name.startswith("assets/vega.") and name.endswith(".js") for name in digest)


def test_cli_build_summary_line(tmp_path):
    root = write_project(tmp_path / "p")
    result = run("--project", str(root), "build", "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    # 4 pages a language, 1 indicator page and its embed page, a search page and a 404 page each,
    # and in Vietnamese one announcement, its tag and its year.
    assert "Built 27 pages, 3 charts and 2 datasets in" in result.output
    assert (tmp_path / "out" / "index.html").is_file()


def test_failed_build_leaves_the_previous_site_exactly_as_it_was(tiny_site, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(tiny_site, root)
    before = tree_digest(root / "site")
    (root / "data" / "counts.csv").write_text("date,unit_code,issued\n2023-12-31,40,abc\n", encoding="utf-8")
    result = run("--project", str(root), "build")
    assert result.exit_code == 1
    assert 'data/counts.csv:2:3: value "abc" is not an integer (digits only, no separators) (issued)' in result.output
    assert "Traceback" not in result.output
    assert tree_digest(root / "site") == before
    assert sorted(os.listdir(root)) == sorted(os.listdir(tiny_site))  # no temporary folders left behind


def test_check_reports_every_problem_and_writes_nothing(tmp_path):
    root = write_project(tmp_path / "p", {
        "data/counts.csv": "date,unit_code,issued\n2023-13-01,40,1\n2023-12-31,77,x\n",
        "content/announcements/2024-02-01-ban-tin-thu.vi.md": "---\ntitle: 1\n---\n",
    })
    result = run("--project", str(root), "check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert 'data/counts.csv:2:1: value "2023-13-01" is not a real date in the form YYYY-MM-DD (date)' in lines
    assert 'data/counts.csv:3:2: value "77" is not a known code in units (unit_code)' in lines
    assert not (root / "site").exists()


def test_content_errors_come_after_data_is_valid_and_name_the_file(tmp_path):
    root = write_project(tmp_path / "p", {"content/announcements/2024-02-01-ban-tin-thu.vi.md": "---\ntitle: [\n---\n"})
    result = run("--project", str(root), "check")
    assert result.exit_code == 1
    assert result.output.startswith("content/announcements/2024-02-01-ban-tin-thu.vi.md:")


def test_github_actions_annotations(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    root = write_project(tmp_path / "p", {"data/counts.csv": "date,unit_code,issued\n2023-12-31,40,-1\n"})
    result = run("--project", str(root), "check")
    assert "::error file=data/counts.csv,line=2::value \"-1\" is below the minimum 0 (issued) (column 3)" in result.output


def test_template_mistake_names_the_template_and_line(tmp_path):
    root = write_project(tmp_path / "p")
    news = (root / "templates" / "news_list.html").read_text().replace("{{ heading }}", "{{ missing_name.x }}")
    (root / "templates" / "news_list.html").write_text(news)
    result = run("--project", str(root), "build")
    assert result.exit_code == 1
    assert result.output.startswith("templates/news_list.html:12: template error while rendering news/index.html")


def test_refuses_to_replace_a_project_folder(tmp_path):
    root = write_project(tmp_path / "p")
    result = run("--project", str(root), "build", "--output", str(root))
    assert result.exit_code == 1 and "must not contain the project" in result.output


def test_two_builds_are_byte_identical(tiny_site, tmp_path):
    run("--project", str(tiny_site), "build", "--output", str(tmp_path / "again"))
    assert tree_digest(tmp_path / "again") == tree_digest(tiny_site / "site")


def test_shipped_check_passes():
    result = run("check")
    lines = result.output.splitlines()
    assert result.exit_code == 0 and lines[-1] == "OK: 8 datasets, 3 announcements, 3 languages."
    # The shipped figures are older than their declared update cycle: check says so, without failing.
    assert lines[:-1] and all(": warning: overdue:" in line for line in lines[:-1])


def test_downloads_never_carry_a_live_spreadsheet_formula(tmp_path):
    units = "code,name,type,parent_code\n40,=HYPERLINK(\"http://x\"),province,\n412,+SUM(A1),district,40\n"
    root = write_project(tmp_path / "p", {"data/units.csv": units})
    assert run("--project", str(root), "build").exit_code == 0
    published = (root / "site/data/units.csv").read_text(encoding="utf-8").splitlines()
    assert published[1] == "40,\"'=HYPERLINK(\"\"http://x\"\")\",province," and published[2] == "412,'+SUM(A1),district,40"
    # The name beside each code is as safe as the name itself.
    assert (root / "site/data/counts.csv").read_text(encoding="utf-8").splitlines()[1].startswith(
        "2023-06-30,40,\"'=HYPERLINK(")
    import openpyxl
    for name in ("units", "counts"):
        sheet = openpyxl.load_workbook(root / f"site/data/{name}.xlsx").active
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"], name  # text, never a formula
        assert "=HYPERLINK(\"http://x\")" in [c.value for c in cells]


def test_long_tables_show_the_latest_rows_and_say_so(tmp_path):
    # Generated test data: 150 monthly rows.
    import datetime as dt
    lines = ["date,unit_code,issued"] + [
        f"{(dt.date(2011, 1, 1) + dt.timedelta(days=31 * i)).replace(day=1).isoformat()},40,{i}" for i in range(150)]
    root = write_project(tmp_path / "p", {"data/counts.csv": "\n".join(lines) + "\n"})
    assert run("--project", str(root), "build").exit_code == 0
    from conftest import parse
    page = parse(root / "site/en/indicators/counts.html")
    assert len(page.select("table.data-table tbody tr")) == 100
    assert page.select_one(".table-note").get_text() == "Showing the last 100 of 150 rows; the downloads hold them all."
    assert len((root / "site/data/counts.csv").read_text().splitlines()) == 151


def test_source_date_epoch_changes_nothing_in_the_output(tiny_site, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    run("--project", str(tiny_site), "build", "--output", str(tmp_path / "epoch"))
    assert tree_digest(tmp_path / "epoch") == tree_digest(tiny_site / "site")


def test_every_command_line_option_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    undocumented = [f"{name} {option}" for name, command in cli.commands.items() for param in command.params
                    for option in param.opts if option.startswith("--") and option not in readme]
    assert not undocumented, f"document these in README.md: {undocumented}"
