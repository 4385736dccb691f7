"""Benchmark: where one chart's time goes, part by part. The data is synthetic, generated here, not real figures.

Writes the synthetic corpus of bench/compare.py with DATASETS charts, then makes every chart in
every language the way a build does, one part at a time, and prints the CPU time of each part:
the Altair specs, each SVG size (with the measurement font, and again with vl-convert's own
built-in font, which shows what measuring text with a font from a file costs), the font subset
embedded into the SVGs, the preview image and the framed image for articles and slides.

    python bench/chart_parts.py --datasets 5
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import CLOCK, make_corpus  # noqa: E402  (one corpus for every benchmark)

from portal import chart_kinds, charts, fonts, svg_fonts  # noqa: E402
from portal.build.inputs import load_inputs  # noqa: E402
from portal.build.memo import user_folder  # noqa: E402
from portal.chart_images import make_chart_images  # noqa: E402
from portal.i18n import Formatter, load_translations  # noqa: E402
from portal.metadata import make_chart_og_image  # noqa: E402

# vl-convert's generic family, drawn with the font it carries in memory rather than one read from a file.
BUILT_IN_FONT = "sans-serif"


def measure(project: Path, font_folder: Path) -> dict[str, list[float]]:
    """CPU seconds of each part, one figure per chart and language (one untimed chart first starts vl-convert up)."""
    inputs = load_inputs(project, clock=CLOCK)
    folder = fonts.load_measure_fonts(font_folder, charts.MEASURE_FONTS)
    charts.use_fonts(folder)
    faces = fonts.measure_files(folder, charts.FONT) if folder else {}
    times: dict[str, list[float]] = defaultdict(list)

    def timed(part, function, *args, **kwargs):
        start = time.process_time()
        result = function(*args, **kwargs)
        times[part].append(time.process_time() - start)
        return result

    warmed = False
    for lang in inputs.config.languages:
        fmt = Formatter(lang, load_translations(lang))
        for dataset in inputs.datasets:
            if not dataset.indicator or not chart_kinds.views(dataset, inputs.config.province_code):
                continue
            if not warmed:  # vl-convert starts its JavaScript engine on the first call
                charts.render_chart(dataset, inputs.config.province_code, fmt)
                warmed = True
            specs = timed("specs (Altair)", charts.make_chart_specs, dataset, inputs.config.province_code, fmt)
            locale = fmt.d3_format_locale()
            svgs = {}
            for size, spec in specs.items():
                svgs[size] = timed(f"SVG {size}", charts.render_svg, spec, locale)
                built_in = copy.deepcopy(spec)
                built_in.setdefault("config", {})["font"] = BUILT_IN_FONT
                timed(f"SVG {size}, built-in font", charts.convert, "vegalite_to_svg", built_in, format_locale=locale)
            if faces:  # before render_chart, whose own subsets would otherwise be found made
                timed("font subset embedded", svg_fonts.embed_fonts, svgs, faces, charts.FONT)
            chart = charts.render_chart(dataset, inputs.config.province_code, fmt)
            timed("preview image (PNG)", make_chart_og_image, chart, fmt, inputs.config)
            timed("framed image (SVG + PNG)", make_chart_images, chart, dataset, fmt, inputs.config)
    return dict(times)


def table(times: dict[str, list[float]]) -> str:
    """A Markdown table: each part's count, total and mean."""
    lines = ["| part | made | CPU total | CPU mean |", "|---|---|---|---|"]
    for part, values in times.items():
        lines.append(f"| {part} | {len(values)} | {sum(values):.2f} s | {1000 * sum(values) / len(values):.0f} ms |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=5, help="synthetic charts to make (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        project = make_corpus(Path(scratch), posts=3, datasets=args.datasets)["portal"]
        print(f"{args.datasets} synthetic charts in 3 languages (no figure in them is real):\n")
        # The measurement fonts the builds keep per user, made once: else made here, in the scratch folder.
        print(table(measure(project, user_folder() or Path(scratch) / "memo")))


if __name__ == "__main__":
    main()
