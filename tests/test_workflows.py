"""The CI files shipped for users parse, and every command they run exists."""

import re
from pathlib import Path

import pytest
import yaml

from build import cli

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / ".github/workflows/portal.yml", ROOT / "docs/gitlab-ci.yml"]


def commands(node):
    """Every shell line a workflow runs."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "before_script") and isinstance(value, (str, list)):
                lines = value if isinstance(value, list) else value.splitlines()
                yield from (line.strip() for line in lines if line.strip())
            else:
                yield from commands(value)
    elif isinstance(node, list):
        for item in node:
            yield from commands(item)


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([\w./-]+|\$\(STAMP\)):", text, re.MULTILINE)) | {".venv/.installed"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_workflow_parses_and_runs_only_real_commands(path):
    workflow = yaml.safe_load(path.read_text())
    lines = list(commands(workflow))
    assert lines
    targets = make_targets()
    for line in lines:
        for target in re.findall(r"\bmake ([\w./-]+)", line):
            assert target in targets, f"{path.name}: no make target {target!r}"
        for match in re.finditer(r"build\.py (\S+)((?: --?[\w-]+)*)", line):
            command = cli.commands.get(match.group(1))
            assert command is not None, f"{path.name}: build.py has no command {match.group(1)!r}"
            options = {opt for param in command.params for opt in param.opts}
            for option in re.findall(r"--[\w-]+", line[match.start():]):
                assert option in options, f"{path.name}: build.py {match.group(1)} has no option {option}"


def test_github_workflow_triggers_and_deploys_from_main():
    workflow = yaml.safe_load((ROOT / ".github/workflows/portal.yml").read_text())
    triggers = workflow.get("on") or workflow.get(True)  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    assert "content/**" in triggers["push"]["paths"] and "data/**" in triggers["pull_request"]["paths"]
    deploy = workflow["jobs"]["deploy"]
    assert "refs/heads/main" in deploy["if"] and deploy["needs"] == "test"
    assert any(step.get("uses", "").startswith("actions/deploy-pages") for step in deploy["steps"])


def test_publishing_jobs_keep_the_build_cache_between_runs():
    github = yaml.safe_load((ROOT / ".github/workflows/portal.yml").read_text())
    cached = [step["with"]["path"] for step in github["jobs"]["deploy"]["steps"]
              if step.get("uses", "").startswith("actions/cache")]
    assert cached == [".cache"]
    gitlab = yaml.safe_load((ROOT / "docs/gitlab-ci.yml").read_text())
    assert gitlab["pages"]["cache"]["paths"] == [".cache/"]
    # pip's own cache must not live inside the build cache, which is pruned.
    assert not gitlab["variables"]["PIP_CACHE_DIR"].endswith(".cache/pip")
