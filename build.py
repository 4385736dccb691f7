#!/usr/bin/env python3
"""Command line of the Project 06 transparency portal: build and check the static site."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from portal.errors import BuildError, print_problems
from portal.site import build_site, load_inputs

ROOT = Path(__file__).resolve().parent


def _progress(items, label):
    """Show a progress bar on long steps when a person is watching the terminal."""
    if not sys.stderr.isatty():
        return items
    return _bar(items, label)


def _bar(items, label):
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


CLOCK = click.option("--clock", default=None, metavar="DATETIME",
                     help="Build as of this moment, such as 2024-02-01T00:00+07:00 (default: SOURCE_DATE_EPOCH or now).")
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


@click.group()
@click.option("--project", type=click.Path(file_okay=False, exists=True, path_type=Path), default=ROOT,
              show_default="this folder", help="Project folder holding site.toml, data/, content/ and templates/.")
@click.pass_context
def cli(ctx: click.Context, project: Path):
    """Build the Project 06 transparency portal of Nghệ An from content/, data/ and templates/."""
    ctx.obj = project.resolve()


@cli.command()
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              show_default="site/ in the project", help="Folder to write the site into (replaced as a whole).")
@click.option("--base-url", default=None, help="Public address of the site, such as https://example.org/p06/.")
@CLOCK
@STRICT
@click.pass_obj
def build(project: Path, output: Path | None, base_url: str | None, clock: str | None, strict: bool):
    """Check every input, then build the site; on any error nothing is written."""
    output = output or project / "site"
    summary = build_site(project, output, base_url=base_url, progress=_progress, clock=clock, strict=strict)
    print_problems(summary.warnings)
    click.echo(summary.line(output))


@cli.command()
@CLOCK
@STRICT
@click.pass_obj
def check(project: Path, clock: str | None, strict: bool):
    """Check config, data and content without writing anything (exit 1 on errors)."""
    inputs = load_inputs(project, clock=clock, strict=strict)
    print_problems(inputs.warnings)
    click.echo(f"OK: {len(inputs.datasets)} datasets, {len(inputs.news)} announcements, "
               f"{len(inputs.config.languages)} languages.")


if __name__ == "__main__":
    cli()
