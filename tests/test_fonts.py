"""Measurement fonts: a small copy of the chart font makes vl-convert faster and changes no byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portal import fonts
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
from portal import fonts
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


def _render(spec: Path, cache: Path, use: bool) -> list[str]:
    result = subprocess.run([sys.executable, "-c", RENDER, str(spec), str(cache), "yes" if use else "no"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("lang", ["vi", "ar"])
def test_charts_are_byte_identical_with_the_measurement_fonts(shipped_site, tmp_path, lang):
    faces = fonts.measured_faces(FONT, fonts.installed_fonts() or [])
    if faces is None:
        pytest.skip("no installed family of the chart font list has a regular and a bold file")
    spec = shipped_site / f"charts/eid-accounts.{lang}.wide.vl.json"
    assert _render(spec, tmp_path, use=True) == _render(spec, tmp_path, use=False)
    made = sorted((tmp_path / fonts.FOLDER).glob("*/*.ttf"))
    assert [p.name for p in made] == ["system-ui-Bold.ttf", "system-ui-Regular.ttf"]
    # Far smaller than the fonts they come from: that is the whole point.
    assert all(p.stat().st_size * 3 < faces[p.stem.rsplit("-", 1)[1]].stat().st_size for p in made)


def test_the_fonts_are_made_once_and_reused(tmp_path):
    if fonts.measured_faces(FONT, fonts.installed_fonts() or []) is None:
        pytest.skip("no installed family of the chart font list has a regular and a bold file")
    first = fonts.load_measure_fonts(tmp_path, FONT)
    stamp = (first / "system-ui-Regular.ttf").stat().st_mtime_ns
    assert fonts.load_measure_fonts(tmp_path, FONT) == first
    assert (first / "system-ui-Regular.ttf").stat().st_mtime_ns == stamp
