"""The stages of a build that has work to do, gathered so the build imports them (and pandas,
Altair and vl-convert with them) only then; and the summary of what they made."""

from ..metadata import make_head_facts
from ..news import make_unpublished
from .charts import CHART_SOURCES, prepare_charts, start_charts
from .inputs import load_inputs
from .output import write_assets, write_indexes, write_release, write_search_index
from .pages import plan_editions, render_pages
from .record import Summary

__all__ = ["CHART_SOURCES", "load_inputs", "make_head_facts", "make_summary", "plan_editions", "prepare_charts",
           "render_pages", "start_charts", "write_assets", "write_indexes", "write_release", "write_search_index"]


def make_summary(inputs, editions, charts, unpublished: bool) -> Summary:
    """What a build made, for its closing line; with `unpublished`, also the announcements a
    published build would leave out, and why."""
    return Summary(sum(len(e.pages) for e in editions), sum(len(files) for files in charts.files.values()),
                   len(inputs.datasets), 0.0, inputs.warnings,
                   make_unpublished(inputs.news, inputs.clock, inputs.config) if unpublished else {})
