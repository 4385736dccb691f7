"""Fonts for chart text measurement: small copies of the chart fonts vl-convert would measure with.

vl-convert lays out every chart label by opening its font file once per glyph, so most of the
time it spends on a chart goes to mapping a 500 KB font into memory thousands of times. A subset
of the same font (same outlines and advance widths, Latin and Vietnamese letters only), registered
under the first name in the chart's font list, is found first and is a sixth of the size: Latin
and Vietnamese charts come out byte for byte the same, only faster.

A glyph the first font lacks sends vl-convert through every installed font in turn, opening each
one, and it takes the first with that letter (on Debian, a condensed bold DejaVu for all Arabic
text). So the Arabic letters of the list's Arabic family (Noto Sans Arabic) are merged into the
same subset: Arabic labels are measured with the font the list names for them, and no other file
is opened.

Beside that subset lie copies of it cut to the letters of Latin text and of Arabic text
(svg_fonts.COPIES), each registered under a name of its own: a chart whose texts one of them holds
is measured and drawn with it, and vl-convert reads smaller shaping tables for each text.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

STYLES = {"Regular": 80, "Bold": 200}  # fontconfig weights of the two styles charts use
# Basic Latin, Latin-1 and Extended-A, Vietnamese (ơ, ư and the letters with two marks), combining
# marks, general punctuation, the đồng sign and the minus sign.
UNICODES = [*range(0x20, 0x7F), *range(0xA0, 0x180), 0x1A0, 0x1A1, 0x1AF, 0x1B0, *range(0x300, 0x324),
            *range(0x1EA0, 0x1F00), *range(0x2000, 0x2070), 0x20AB, 0x2212]
# The Arabic block and the joiners and direction marks Arabic text carries; the contextual forms
# come along through the font's own substitutions.
ARABIC = [*range(0x600, 0x700), 0x200C, 0x200D, 0x200E, 0x200F]
ARABIC_PROBE = 0x627  # alef: a family with it is taken for Arabic
FOLDER = "fonts"
# What a fonts folder holds; another number makes the fonts again in a folder of its own. 2: each
# font has its Latin-only copy beside it (see svg_fonts.py), which a chart process would
# otherwise cut for itself, at about 0.4 s per style. 3: that copy is also registered, under a
# name of its own (LATIN_FAMILY), for charts whose texts are all in Latin letters. 4: so is a
# copy with the letters of Arabic text (svg_fonts.COPIES).
FOLDER_FORMAT = 4
# A chart whose texts a copy of the font holds (svg_fonts.COPIES) is measured with that copy, named
# first: the same outlines, advances and kerning give the same SVG, and vl-convert, which reads the
# font file for the text it lays out, reads less (a quarter to a third less time per ranked SVG).
COPY_FAMILY = "p06-{}"
LATIN_FAMILY = COPY_FAMILY.format("latin")


def installed_fonts() -> list[tuple[set[str], int, int, Path]] | None:
    """(family names, weight, slant, file) of each installed font, from fontconfig; None without it."""
    try:
        listed = subprocess.run(["fc-list", "--format", "%{family}|%{weight}|%{slant}|%{file}\n"],
                                capture_output=True, text=True, timeout=30, check=True, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    fonts = []
    for line in listed.stdout.splitlines():
        families, weight, slant, file = line.rsplit("|", 3) if line.count("|") >= 3 else ("", "0", "0", "")
        if weight.isdigit() and slant.isdigit():
            fonts.append(({name.strip() for name in families.split(",")}, int(weight), int(slant), Path(file)))
    return fonts


@functools.lru_cache(maxsize=4)
def fingerprint(font_list: str) -> str:
    """A digest of the installed fonts the charts are measured and drawn with, for the chart cache key."""
    return fingerprint_of(font_list, installed_fonts())


def fingerprint_of(font_list: str, fonts) -> str:
    """fingerprint() for the installed fonts `fonts`: which families of the list exist, and the files used."""
    digest = hashlib.sha256(font_list.encode())
    if fonts is None:
        return "no fontconfig"
    for name in _names(font_list):
        # Any face of a listed family appearing or going changes which font is found first.
        digest.update(repr(sorted((w, s, p.name) for names, w, s, p in fonts if name in names)).encode())
    faces = measured_faces(font_list, fonts) or {}
    arabic = arabic_faces(font_list, fonts) if faces else {}
    for _style, path in sorted(faces.items()) + sorted((arabic or {}).items()):
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable " + str(path).encode())
    return digest.hexdigest()[:16]


def measured_faces(font_list: str, fonts) -> dict[str, Path] | None:
    """The upright Regular and Bold files of the first family in `font_list` that is installed.

    None when that family lacks either style in a plain font file, or when the first name of the
    list is itself installed (the subset would then hide it).
    """
    names = _names(font_list)
    for number, name in enumerate(names):
        faces = _styles(name, fonts)
        if faces == {}:
            continue
        return faces if number else None
    return None


def arabic_faces(font_list: str, fonts) -> dict[str, Path] | None:
    """Regular and Bold of the first family listed after the measured one that has Arabic letters."""
    from fontTools.ttLib import TTFont

    names = _names(font_list)
    measured = next((n for n, name in enumerate(names) if _styles(name, fonts) != {}), len(names))
    for name in names[measured + 1:]:
        faces = _styles(name, fonts)
        if faces:
            with TTFont(faces["Regular"], lazy=True) as font:
                if ARABIC_PROBE in (font.getBestCmap() or {}):
                    return faces
    return None


def _names(font_list: str) -> list[str]:
    return [name.strip().strip("'\"") for name in font_list.split(",")]


def _styles(name: str, fonts) -> dict[str, Path] | None:
    """{} when `name` is not installed, None when it lacks a plain upright Regular or Bold file."""
    faces = [font for font in fonts if name in font[0]]
    if not faces:
        return {}
    found = {}
    for style, weight in STYLES.items():
        files = sorted(path for _names, w, slant, path in faces if w == weight and slant == 0
                       and path.suffix.lower() in (".ttf", ".otf"))
        if not files:
            return None
        found[style] = files[0]
    return found


def load_measure_fonts(cache_folder: Path | None, font_list: str) -> Path | None:
    """The folder of measurement fonts in the cache, made on first use; None where none can be made."""
    if cache_folder is None:
        return None
    fonts = installed_fonts()
    faces = measured_faces(font_list, fonts) if fonts else None
    if faces is None:
        return None
    family = _names(font_list)[0]
    arabic = arabic_faces(font_list, fonts) or {}
    from .svg_fonts import COPIES

    digest = hashlib.sha256(family.encode() + repr((UNICODES, ARABIC, COPIES, FOLDER_FORMAT)).encode())
    for style, path in sorted(faces.items()) + sorted(arabic.items()):
        digest.update(style.encode() + b"\0" + path.read_bytes())
    folder = cache_folder / FOLDER / digest.hexdigest()[:16]
    if _intact(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Chart workers start together: one makes the fonts while the others wait for it.
    with open(folder.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _intact(folder):
            try:
                _make_fonts(faces, arabic, family, folder)
            except Exception:  # noqa: BLE001 - a font that cannot be subset only costs speed
                return None
    return folder


def copy_families(folder: Path) -> dict[str, str]:
    """The family each copy of the fonts in `folder` (from load_measure_fonts) is registered under,
    by copy name (see svg_fonts.COPIES), for the copies whose faces it holds."""
    from .svg_fonts import COPIES

    families = {name: COPY_FAMILY.format(name) for name in COPIES}
    return {name: family for name, family in families.items() if len(measure_files(folder, family)) == len(STYLES)}


def measure_files(folder: Path, font_list: str) -> dict[str, Path]:
    """The measurement font files in `folder` (from load_measure_fonts), by style."""
    family = _names(font_list)[0]
    faces = {style: folder / f"{family}-{style}.ttf" for style in STYLES}
    return {style: path for style, path in faces.items() if path.exists()}


def _make_fonts(faces: dict[str, Path], arabic: dict[str, Path], family: str, folder: Path) -> None:
    from fontTools import merge
    from fontTools.ttLib import TTFont

    from .svg_fonts import COPIES, copy_path, make_copy

    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        for style, path in faces.items():
            font = _subset(path, UNICODES)
            if style in arabic:
                font = merge.Merger().merge([_saved(font), _saved(_subset(arabic[style], ARABIC))])
            _rename(font, family, style).save(staging / f"{family}-{style}.ttf")
            for name in COPIES:
                copy = make_copy(staging / f"{family}-{style}.ttf", name)
                copy_path(staging / f"{family}-{style}.ttf", name).write_bytes(copy)
                named = COPY_FAMILY.format(name)
                _rename(TTFont(io.BytesIO(copy)), named, style).save(staging / f"{named}-{style}.ttf")
        # What each file holds, so a damaged copy is made again rather than drawn with.
        (staging / "done").write_text("".join(f"{_digest(path)}  {path.name}\n" for path in sorted(staging.glob("*.ttf*"))),
                                      encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _rename(font, family: str, style: str):
    """`font`, its names saying it is `style` of `family`."""
    names = {1: family, 16: family, 4: f"{family} {style}", 6: f"{family}-{style}".replace(" ", "")}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    return font


def _intact(folder: Path) -> bool:
    """Whether `folder` holds the fonts its "done" file lists, each with the bytes it had when made."""
    try:
        listed = [line.split("  ", 1) for line in (folder / "done").read_text(encoding="utf-8").splitlines()]
        return bool(listed) and all(_digest(folder / name) == digest for digest, name in listed)
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _saved(font) -> io.BytesIO:
    """The font as a file in memory: the Merger opens what it merges itself."""
    data = io.BytesIO()
    font.save(data)
    data.seek(0)
    return data


def _subset(path: Path, unicodes: list[int]):
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]  # kerning, mark positioning and Arabic joining change widths
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False  # vl-convert never hints
    font = TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    return font
