#!/usr/bin/env python3
"""Command line of the Project 06 transparency portal: build and check the site, start and schedule news."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from portal.config import PORTAL_TZ, load_config
from portal.errors import explain, print_problems, relative
from portal.links import check_links, shown_path
# Only what every command needs: a rebuild with nothing to do never loads pandas, Altair or vl-convert.
from portal.build import build as build_site, default_jobs, parse_clock

ROOT = Path(__file__).resolve().parent


def _progress(items, label, length=None):
    """Show a progress bar on long steps when a person is watching the terminal."""
    if not sys.stderr.isatty():
        return items
    return _bar(items, label, length)


def _bar(items, label, length):
    with click.progressbar(items, label=label, length=length, file=sys.stderr) as bar:
        yield from bar


CLOCK = click.option("--clock", default=None, metavar="DATETIME",
                     help="Build as of this moment, such as 2024-02-01T00:00+07:00 (default: SOURCE_DATE_EPOCH or now).")
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


class Commands(click.Group):
    """The commands, with any exception that escapes one said as a located problem, or as a bug to report."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except Exception as exc:
            raise explain(exc, ctx.obj) from None


@click.group(cls=Commands)
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
@click.option("--drafts", is_flag=True, help="Also publish announcements marked draft: true (for previews).")
@click.option("--future", is_flag=True, help="Also publish announcements whose date or publish_at is after the clock.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, show_default="one per core",
              help="Processes that share the slow steps; the site is the same for any number.")
@click.pass_obj
def build(project: Path, output: Path | None, base_url: str | None, clock: str | None, strict: bool,
          drafts: bool, future: bool, jobs: int | None):
    """Check every input, then build the site; on any error nothing is written."""
    output = output or project / "site"
    summary = build_site(project, output, base_url=base_url, progress=_progress, clock=clock, strict=strict,
                         drafts=drafts, future=future, jobs=jobs or default_jobs())
    print_problems(summary.warnings)
    click.echo(summary.line(output))


@cli.command()
@CLOCK
@STRICT
@click.option("--links", is_flag=True, help="Also check every internal link, anchor and asset of the built site.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              show_default="site/ in the project", help="The built site that --links checks.")
@click.option("--base-url", default=None, help="Address the site was built for (default: read from its robots.txt).")
@click.pass_obj
def check(project: Path, clock: str | None, strict: bool, links: bool, output: Path | None, base_url: str | None):
    """Check config, data and content without writing anything (exit 1 on errors); --links checks the built site."""
    from portal.build.inputs import load_inputs

    inputs = load_inputs(project, clock=clock, strict=strict, jobs=default_jobs())
    print_problems(inputs.warnings)
    click.echo(f"OK: {len(inputs.datasets)} datasets, {len(inputs.news)} announcements, "
               f"{len(inputs.config.languages)} languages.")
    if links:
        site = output or project / "site"
        report = check_links(site, base_url, shown_path(site, project))
        print_problems(report.problems)
        if report.problems:
            click.echo(f"{len(report.problems)} broken link(s) in {shown_path(site, project)}.", err=True)
            sys.exit(1)
        click.echo(f"OK: {report.links} links in {report.files} files, none broken.")


@cli.command("next-change")
@CLOCK
@click.pass_obj
def next_change(project: Path, clock: str | None):
    """Print when the published news next changes by itself (an item appears or expires), for scheduling a rebuild."""
    from portal.build.inputs import load_inputs
    from portal.news import next_changes

    inputs = load_inputs(project, clock=clock, jobs=default_jobs())
    changes = next_changes(inputs.news, inputs.clock)
    if not changes:
        click.echo("nothing scheduled")
    for change in changes:
        click.echo(f"{change.moment.astimezone(PORTAL_TZ).isoformat()} {change.event} "
                   f"{relative(change.item.src_path, project)}")


@cli.command()
@click.argument("title")
@click.option("--lang", default=None, help="Language code of the text, such as vi (default: the site's first language).")
@click.option("--slug", default=None, help="Short title for the address, when the title has no Latin letters.")
@CLOCK
@click.pass_obj
def new(project: Path, title: str, lang: str | None, slug: str | None, clock: str | None):
    """Start an announcement: write content/announcements/DATE-SLUG.LANG.md (a draft) and print its path."""
    from portal.content import write_new_announcement

    config = load_config(project)
    today = parse_clock(clock).astimezone(PORTAL_TZ).date()
    path = write_new_announcement(project, title, lang or config.default_language.code,
                                  [language.code for language in config.languages], today, slug)
    click.echo(relative(path, project))


@cli.command()
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              show_default=".preview/ in the project", help="Folder to build into and serve (never site/).")
@click.option("--drafts", is_flag=True, help="Also show announcements marked draft: true, and scheduled ones, marked.")
@click.pass_obj
def serve(project: Path, port: int, output: Path | None, drafts: bool):
    """Preview the site: build, serve on 127.0.0.1, rebuild on every change and reload open pages."""
    from portal.serve import PREVIEW_DIR, build_preview, check_preview_output, finish_preview, serve as run_preview

    output = output or project / PREVIEW_DIR
    check_preview_output(project, output)
    run_preview(project, output, port, lambda: build_preview(project, output, drafts),
                lambda: finish_preview(project, output))


if __name__ == "__main__":
    cli()
