"""Measurement fonts: a small copy of the chart font makes vl-convert faster and changes no byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portal import fonts, svg_fonts
from portal.charts import FONT

ROOT = Path(__file__).resolve().parents[1]
NOTO = [({"Noto Sans"}, 80, 0, Path("/f/NotoSans-Regular.ttf")), ({"Noto Sans"}, 200, 0, Path("/f/NotoSans-Bold.ttf")),
        ({"Noto Sans"}, 80, 100, Path("/f/NotoSans-Italic.ttf")), ({"DejaVu Sans", "DejaVu Sans Book"}, 80, 0, Path("/f/DejaVuSans.ttf"))]
# Renders one chart to SVG and to PNG in a fresh process (vl-convert's fonts are per process),
# with the measurement fonts registered or not, and prints digests of both.
RENDER = """
import hashlib, json, sys
from pathlib import Path
import vl_convert as vlc
from portal import fonts, svg_fonts
from portal.charts import FONT
spec_path, cache, use = sys.argv[1:]
if use == "yes":
    folder = fonts.load_measure_fonts(Path(cache), FONT)
    assert folder is not None, "no measurement fonts made"
    vlc.register_font_directory(str(folder))
spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
svg = vlc.vegalite_to_svg(spec)
png = vlc.svg_to_png(svg, scale=1.5)
print(json.dumps([hashlib.sha256(svg.encode()).hexdigest(), hashlib.sha256(png).hexdigest()]))
"""


def test_the_first_installed_family_of_the_list_is_measured():
    assert fonts.measured_faces(FONT, NOTO) == {"Regular": Path("/f/NotoSans-Regular.ttf"), "Bold": Path("/f/NotoSans-Bold.ttf")}
    # Names are compared without their quotes; families listed earlier win.
    assert fonts.measured_faces("system-ui, 'DejaVu Sans', 'Noto Sans'", NOTO) is None  # DejaVu has no bold here
    roboto = [({"Roboto"}, 80, 0, Path("/f/Roboto-Regular.ttf")), ({"Roboto"}, 200, 0, Path("/f/Roboto-Bold.ttf"))]
    assert fonts.measured_faces(FONT, NOTO + roboto)["Bold"] == Path("/f/Roboto-Bold.ttf")


def test_no_subset_when_the_first_name_is_installed_or_nothing_matches():
    # Registering a subset under an installed family's name would hide that font's other glyphs.
    assert fonts.measured_faces("Noto Sans, sans-serif", NOTO) is None
    assert fonts.measured_faces("Unknown, Other", NOTO) is None
    assert fonts.load_measure_fonts(None, FONT) is None


# Draws every shipped indicator chart in one language in a fresh process, measured with the fonts
# in a given folder, and prints each SVG and the PNG of its wide one.
RENDER_CHARTS = """
import json, sys
from pathlib import Path
from portal import chart_kinds, charts
from portal.build.inputs import load_inputs
from portal.i18n import Formatter, load_translations
root, folder, code = sys.argv[1:]
inputs = load_inputs(Path(root), clock="2027-01-01T00:00+07:00")
charts.use_fonts(Path(folder))
lang = next(lang for lang in inputs.config.languages if lang.code == code)
out = {}
for dataset in inputs.datasets:
    if dataset.indicator and chart_kinds.views(dataset, inputs.config.province_code):
        chart = charts.render_chart(dataset, inputs.config.province_code, Formatter(lang, load_translations(lang)))
        out[chart.slug] = [chart.svgs, charts.svg_to_png(chart.svgs["wide"], 1.5).hex()]
print(json.dumps(out, sort_keys=True))
"""


@pytest.mark.parametrize("lang", ["vi", "ar"])
def test_charts_come_out_the_same_measured_with_the_copies_of_the_font(tmp_path, lang):
    import shutil

    if fonts.measured_faces(FONT, fonts.installed_fonts() or []) is None:
        pytest.skip("no installed family of the chart font list has a regular and a bold file")
    folder = fonts.load_measure_fonts(tmp_path / "memo", FONT)
    assert set(fonts.copy_families(folder)) == set(svg_fonts.COPIES)
    without = tmp_path / "without-copies"
    shutil.copytree(folder, without, ignore=shutil.ignore_patterns(fonts.COPY_FAMILY.format("*") + "-*"))
    assert fonts.copy_families(without) == {}

    def draw(fonts_folder: Path) -> dict:
        result = subprocess.run([sys.executable, "-c", RENDER_CHARTS, str(ROOT), str(fonts_folder), lang],
                                capture_output=True, text=True, timeout=300, cwd=ROOT, check=True)
        return json.loads(result.stdout)

    with_faces = draw(folder)
    assert with_faces and with_faces == draw(without)
    # The names the copies are registered under are the build's own: readers' devices never see them.
    families = fonts.copy_families(folder).values()
    assert not any(family in svg for svgs, _png in with_faces.values() for svg in svgs.values() for family in families)


def test_a_text_is_measured_with_the_narrowest_copy_that_holds_all_its_letters():
    assert svg_fonts.copy_for("Tỷ lệ tài khoản định danh điện tử – 40 %") == "latin"
    assert svg_fonts.copy_for("\u202bالهدف 40%\u202c") == "arabic"
    assert svg_fonts.copy_for("ڤيتنام، گ و پ") == "arabic"  # letters Arabic borrows for foreign names
    assert svg_fonts.copy_for("ۖ") is None  # a Quranic mark: only the whole font has it
    assert svg_fonts.copy_for("۴۵") is None  # Persian digits
    assert svg_fonts.copy_for("Привет") is None  # Cyrillic


def _render(spec: Path, cache: Path, use: bool) -> list[str]:
    result = subprocess.run([sys.executable, "-c", RENDER, str(spec), str(cache), "yes" if use else "no"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_charts_are_byte_identical_with_the_measurement_fonts(shipped_site, tmp_path, lang):
    faces = fonts.measured_faces(FONT, fonts.installed_fonts() or [])
    if faces is None:
        pytest.skip("no installed family of the chart font list has a regular and a bold file")
    spec = shipped_site / f"charts/eid-accounts.{lang}.wide.vl.json"
    assert _render(spec, tmp_path, use=True) == _render(spec, tmp_path, use=False)
    made = sorted((tmp_path / fonts.FOLDER).glob("*/*.ttf"))
    copies = sorted(f"{fonts.COPY_FAMILY.format(name)}-{style}.ttf" for name in svg_fonts.COPIES for style in fonts.STYLES)
    assert [p.name for p in made] == copies + ["system-ui-Bold.ttf", "system-ui-Regular.ttf"]
    # Far smaller than the fonts they come from: that is the whole point.
    arabic = fonts.arabic_faces(FONT, fonts.installed_fonts() or []) or {}
    for path in made:
        style = path.stem.rsplit("-", 1)[1]
        sources = [faces[style]] + ([arabic[style]] if style in arabic else [])
        assert path.stat().st_size * 3 < sum(source.stat().st_size for source in sources)


def test_the_arabic_family_is_the_first_listed_after_the_measured_one_with_arabic_letters(monkeypatch):
    import fontTools.ttLib

    arabic = [({"Noto Sans Arabic"}, 80, 0, Path("/f/NotoSansArabic-Regular.ttf")),
              ({"Noto Sans Arabic"}, 200, 0, Path("/f/NotoSansArabic-Bold.ttf"))]
    latin_only = [({"Arial"}, 80, 0, Path("/f/Arial.ttf")), ({"Arial"}, 200, 0, Path("/f/Arial-Bold.ttf"))]

    class FakeFont:
        """Only the character map is read: an alef in the Arabic family's file, Latin letters elsewhere."""

        def __init__(self, path, lazy=False):
            self.arabic = "Arabic" in Path(path).name

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def getBestCmap(self):
            return {0x627: "alef"} if self.arabic else {0x41: "A"}

    monkeypatch.setattr(fontTools.ttLib, "TTFont", FakeFont)
    assert fonts.arabic_faces("system-ui, 'Noto Sans', Arial, 'Noto Sans Arabic'", NOTO + latin_only + arabic) == {
        "Regular": Path("/f/NotoSansArabic-Regular.ttf"), "Bold": Path("/f/NotoSansArabic-Bold.ttf")}
    assert fonts.arabic_faces("system-ui, 'Noto Sans', Arial", NOTO + latin_only) is None
    # Listed first, the Arabic family is the measured one itself: nothing is merged into it.
    assert fonts.arabic_faces("system-ui, 'Noto Sans Arabic', 'Noto Sans'", NOTO + arabic) is None


def test_arabic_letters_keep_the_widths_of_the_lists_arabic_family(tmp_path):
    from fontTools.ttLib import TTFont

    installed = fonts.installed_fonts() or []
    faces, arabic = fonts.measured_faces(FONT, installed), fonts.arabic_faces(FONT, installed)
    if faces is None or arabic is None:
        pytest.skip("the chart font list has no installed Latin and Arabic families in both styles")
    folder = fonts.load_measure_fonts(tmp_path, FONT)
    for style in fonts.STYLES:
        with TTFont(folder / f"system-ui-{style}.ttf") as made:
            made_cmap, made_widths = made.getBestCmap(), made["hmtx"].metrics
            for source, letters in [(arabic[style], fonts.ARABIC), (faces[style], range(0x41, 0x7B))]:
                with TTFont(source) as original:
                    cmap, widths = original.getBestCmap(), original["hmtx"].metrics
                    shared = [c for c in letters if c in cmap]
                    assert len(shared) > 40
                    assert all(made_widths[made_cmap[c]][0] == widths[cmap[c]][0] for c in shared), (source, style)


def test_the_fonts_are_made_once_and_reused(tmp_path):
    if fonts.measured_faces(FONT, fonts.installed_fonts() or []) is None:
        pytest.skip("no installed family of the chart font list has a regular and a bold file")
    first = fonts.load_measure_fonts(tmp_path, FONT)
    stamp = (first / "system-ui-Regular.ttf").stat().st_mtime_ns
    assert fonts.load_measure_fonts(tmp_path, FONT) == first
    assert (first / "system-ui-Regular.ttf").stat().st_mtime_ns == stamp


def test_an_early_worker_makes_the_fonts_and_starts_the_chart_libraries_before_the_first_chart(tmp_path):
    if fonts.measured_faces(FONT, fonts.installed_fonts() or []) is None:
        pytest.skip("no installed family of the chart font list has a regular and a bold file")
    # In a process of its own: a process that started vl-convert never forks again.
    script = ("import sys; from pathlib import Path; from portal.build.charts import prepare_charts\n"
              "prepare_charts(Path(sys.argv[1])); print('vl_convert' in sys.modules, 'altair' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT, check=True)
    assert result.stdout.split() == ["True", "True"]
    assert len(list((tmp_path / fonts.FOLDER).glob("*/done"))) == 1


def test_the_fonts_charts_are_drawn_with_are_part_of_their_cache_key(tmp_path):
    from portal.charts import MEASURE_FONTS

    files = {name: tmp_path / f"{name}.ttf" for name in ("regular", "bold", "other")}
    for path in files.values():
        path.write_bytes(b"font " + path.name.encode())
    installed = [({"Noto Sans"}, 80, 0, files["regular"]), ({"Noto Sans"}, 200, 0, files["bold"])]
    first = fonts.fingerprint_of(MEASURE_FONTS, installed)
    assert fonts.fingerprint_of(MEASURE_FONTS, list(installed)) == first  # the same fonts, the same key
    files["bold"].write_bytes(b"font bold, another version")
    updated = fonts.fingerprint_of(MEASURE_FONTS, installed)
    assert updated != first
    # A family of the list installed later, or a font outside the list, is noticed or not accordingly.
    arabic = installed + [({"Noto Sans Arabic"}, 80, 0, files["other"])]
    assert fonts.fingerprint_of(MEASURE_FONTS, arabic) != updated
    unrelated = installed + [({"Roboto"}, 80, 0, files["other"])]
    assert fonts.fingerprint_of(MEASURE_FONTS, unrelated) == updated


def test_other_installed_fonts_do_not_change_what_charts_are_measured_with():
    from portal.charts import MEASURE_FONTS

    roboto = [({"Roboto"}, 80, 0, Path("/f/Roboto-Regular.ttf")), ({"Roboto"}, 200, 0, Path("/f/Roboto-Bold.ttf"))]
    assert fonts.measured_faces(MEASURE_FONTS, roboto + NOTO) == fonts.measured_faces(MEASURE_FONTS, NOTO)
