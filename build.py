#!/usr/bin/env python3
"""Command line of the Project 06 transparency portal: build and check the static site."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from portal.errors import BuildError
from portal.site import build_site, load_inputs

ROOT = Path(__file__).resolve().parent


def _progress(items, label):
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


@click.group()
def cli():
    """Build the Project 06 transparency portal of Nghệ An from content/, data/ and templates/."""


@cli.command()
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=ROOT / "site",
              show_default="site/", help="Folder to write the site into (replaced as a whole).")
@click.option("--base-url", default=None, help="Public address of the site, such as https://example.org/p06/.")
def build(output: Path, base_url: str | None):
    """Check every input, then build the site; on any error nothing is written."""
    summary = build_site(ROOT, output, base_url=base_url, progress=_progress)
    click.echo(summary.line(output))


@cli.command()
def check():
    """Check config, data and content without writing anything (exit 1 on errors)."""
    inputs = load_inputs(ROOT)
    click.echo(f"OK: {len(inputs.datasets)} datasets, {len(inputs.news)} announcements, "
               f"{len(inputs.config.languages)} languages.")


def main():
    try:
        cli.main(standalone_mode=False)
    except BuildError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
