"""The fonts a box is drawn with: each box font's faces, in the order each character tries them, from packages.

Pure Pillow and fontTools; no Django. Text is shaped by libraqm (bundled with Pillow's wheels), so right-to-left and
complex scripts join and order as they should; a Pillow built without it falls back to basic layout, said once in
the log. A character the box's font lacks comes from the next face that has it: Noto Sans (Greek, Cyrillic,
Devanagari), Noto Sans Arabic, Heebo (Hebrew) and IPAexGothic (Japanese) from Python packages, WenQuanYi Micro Hei
(Chinese, Korean) and Symbola (emoji) from Debian's (fonts-wqy-microhei, fonts-symbola); a face that is not
installed is skipped, said once in the log.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import itertools
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import fontpkg
from fontTools.ttLib import TTFont
from PIL import ImageFont, features

log = logging.getLogger(__name__)

if features.check_feature("raqm"):
    LAYOUT_ENGINE = ImageFont.Layout.RAQM
else:
    LAYOUT_ENGINE = ImageFont.Layout.BASIC
    log.warning(
        "Pillow was built without libraqm: text is laid out without shaping, so Arabic letters will not join and "
        "right-to-left lines run left to right. Install Pillow's wheel (it bundles libraqm) to fix this."
    )


@dataclass(frozen=True)
class Face:
    """One font file at fixed variation axes: a fontpkg family, a file inside another installed Python package,
    or (an absolute file) one that a Debian package installs."""

    package: str
    family: str
    axes: tuple[tuple[str, float], ...] = ()  # variable-font (axis name, value)
    file: str = ""  # inside the package (or absolute); "" asks fontpkg's registry for the family
    weight: int = 400  # which of a fontpkg family's files, for families that ship one file per weight


HEAVY = (("Weight", 800), ("Width", 62.5))  # bold and condensed, to sit well next to Anton
ANTON = Face("fontpkg_anton", "Anton")
NOTO_SANS_HEAVY = Face("fontpkg_noto_sans", "Noto Sans", HEAVY)
NOTO_SANS = Face("fontpkg_noto_sans", "Noto Sans")
KALAM = Face("fontpkg_kalam", "Kalam", weight=700)  # bold: the regular's strokes are thin for a meme
NOTO_SANS_ARABIC = Face("fontpkg_noto_sans_arabic", "Noto Sans Arabic")
HEEBO = Face("fontpkg_heebo", "Heebo")  # Hebrew
IPAEX_GOTHIC = Face("japanize_matplotlib", "IPAexGothic", file="fonts/ipaexg.ttf")  # Japanese
# Chinese characters that Japanese does not use, and Korean (Debian's fonts-wqy-microhei).
WQY_MICROHEI = Face("fonts-wqy-microhei", "WenQuanYi Micro Hei", file="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SYMBOLA = Face("fonts-symbola", "Symbola", file="/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf")


def _scripts(axes: tuple[tuple[str, float], ...]) -> tuple[Face, ...]:
    """The fonts every box falls back on, at the box font's weight where the font can vary it."""
    return (
        Face(NOTO_SANS_ARABIC.package, NOTO_SANS_ARABIC.family, axes),
        Face(HEEBO.package, HEEBO.family, axes[:1]),  # Heebo varies its weight only
        IPAEX_GOTHIC,
        WQY_MICROHEI,
        SYMBOLA,  # emoji, drawn in the text's colour and outlined like it
    )


# Faces tried in order for each character.
FONTS: dict[str, tuple[Face, ...]] = {
    "thick": (ANTON, NOTO_SANS_HEAVY, *_scripts(HEAVY)),
    "thin": (NOTO_SANS, *_scripts(())),
    "comic": (KALAM, NOTO_SANS, *_scripts(())),
}

Run = tuple[str, Face]  # text drawn in one call with one face


@functools.cache
def box_faces(font: str) -> tuple[Face, ...]:
    """The box font's faces that are installed (a missing one is said once in the log)."""
    faces = tuple(face for face in FONTS.get(font, FONTS["thick"]) if face_path(face) is not None)
    return faces or (ANTON,)


@functools.cache
def face_path(face: Face) -> str | None:
    """The face's font file, or None when its package is not installed."""
    if not face.file:
        return _fontpkg_path(face)
    if face.file.startswith("/"):
        path = Path(face.file)
    else:
        # find_spec, not an import: the package may be heavy to import (japanize_matplotlib loads matplotlib).
        spec = importlib.util.find_spec(face.package)
        path = Path(spec.submodule_search_locations[0], face.file) if spec else None
    if path is None or not path.is_file():
        log.warning("font %s is not installed (package %s): its characters show as boxes", face.family, face.package)
        return None
    return str(path)


def _fontpkg_path(face: Face) -> str:
    try:
        return str(fontpkg.path(face.family, weight=face.weight))
    except fontpkg.FontpkgError:
        # The registry can miss a family; the package's files/ folder still has it.
        files = importlib.resources.files(face.package) / "files"
        fonts = [f for f in files.iterdir() if f.name.endswith((".ttf", ".otf"))]
        return str(min(fonts, key=lambda f: ("Italic" in f.name, f.name)))


@functools.cache
def face_coverage(path: str) -> frozenset[int]:
    with TTFont(path, lazy=True, fontNumber=0) as font:  # the first font of a collection (.ttc), as Pillow's
        return frozenset(font["cmap"].getBestCmap())


@functools.lru_cache(maxsize=128)  # a face costs ~0.2 MB; the sizes in use repeat
def face_font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(face_path(face), size, layout_engine=LAYOUT_ENGINE)
    if face.axes:
        wanted = dict(face.axes)
        axes = font.get_variation_axes()
        font.set_variation_by_axes([wanted.get(a["name"].decode(), a["default"]) for a in axes])
    return font


def _face_for(ch: str, faces: tuple[Face, ...], current: Face) -> Face:
    # Combining marks and joiners stay in their neighbour's run so shaping isn't split.
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return current
    for face in faces:
        if ord(ch) in face_coverage(face_path(face)):
            return face
    # No face has it: draw it anyway with the last face. It shows as a missing-glyph
    # box, which tells the reader something was there; dropping it could silently
    # turn a whole line into nothing.
    return faces[-1]


def segment(word: str, faces: tuple[Face, ...]) -> tuple[Run, ...]:
    """A word cut into runs of one face each."""
    tagged = []
    face = faces[0]
    for ch in word:
        face = _face_for(ch, faces, face)
        tagged.append((ch, face))
    return tuple(
        ("".join(ch for ch, _ in group), face)
        for face, group in itertools.groupby(tagged, key=lambda pair: pair[1])
    )
