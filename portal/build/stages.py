"""The stages of a build that has work to do, gathered so the build imports them (and pandas,
Altair and vl-convert with them) only then."""

from ..metadata import make_head_facts
from ..news import make_unpublished
from .charts import CHART_SOURCES, prepare_charts, start_charts
from .inputs import load_inputs
from .output import write_assets, write_indexes, write_release, write_search_index
from .pages import plan_editions, render_pages

__all__ = ["CHART_SOURCES", "load_inputs", "make_head_facts", "make_unpublished", "plan_editions", "prepare_charts",
           "render_pages", "start_charts", "write_assets", "write_indexes", "write_release", "write_search_index"]
