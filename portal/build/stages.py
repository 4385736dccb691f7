"""The stages of a build that has work to do, gathered so the build imports them (and pandas,
Altair and vl-convert with them) only then."""

from ..metadata import make_metas
from ..news import make_unpublished
from .charts import place_charts, prepare_fonts
from .inputs import load_inputs
from .output import write_assets, write_indexes, write_release, write_search_index
from .pages import plan_editions, render_pages

__all__ = ["load_inputs", "make_metas", "make_unpublished", "place_charts", "plan_editions", "prepare_fonts", "render_pages",
           "write_assets", "write_indexes", "write_release", "write_search_index"]
