"""Meme rendering: style, wrap and fit each line into its box, draw it, encode.

Pure Pillow; no Django. Box geometry mirrors memegen's template config.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
import itertools
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import fontpkg
from fontTools.ttLib import TTFont
from PIL import Image, ImageColor, ImageDraw, ImageFont

from .images import normalize_mode


@dataclass(frozen=True)
class TextBox:
    x: float = 0.0  # left edge, fraction of image width (memegen anchor_x)
    y: float = 0.0  # top edge, fraction of image height (anchor_y)
    width: float = 1.0  # fraction of width (scale_x)
    height: float = 0.2  # fraction of height (scale_y)
    align: str = "center"  # "center" | "left" | "right"
    angle: float = 0.0  # degrees, counter-clockwise like memegen
    style: str = "upper"  # "upper" | "none" (as typed) | "mock" (aLtErNaTiNg)
    color: str = "white"  # any Pillow colour string / #hex
    font: str = "thick"  # "thick" (Anton) | "thin" (Noto Sans); unknown -> thick


TOP_AND_BOTTOM: tuple[TextBox, TextBox] = (
    TextBox(x=0.025, y=0.02, width=0.95, height=0.18),
    TextBox(x=0.025, y=0.80, width=0.95, height=0.18),
)

MIN_FONT_SIZE = 8
RESAMPLE = Image.Resampling.LANCZOS
_FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "webp": "WEBP"}


@dataclass(frozen=True)
class Face:
    """One font file from an installed fontpkg package, at fixed variation axes."""

    package: str
    family: str
    axes: tuple[tuple[str, float], ...] = ()  # variable-font (axis name, value)


ANTON = Face("fontpkg_anton", "Anton")
# Bold and condensed so Greek/Cyrillic sit well next to Anton.
NOTO_SANS_HEAVY = Face("fontpkg_noto_sans", "Noto Sans", (("Weight", 800), ("Width", 62.5)))
NOTO_SANS = Face("fontpkg_noto_sans", "Noto Sans")

# Faces tried in order for each character; the last also draws what no face has.
FONTS: dict[str, tuple[Face, ...]] = {
    "thick": (ANTON, NOTO_SANS_HEAVY),
    "thin": (NOTO_SANS,),
}

Run = tuple[str, Face]  # text drawn in one call with one face
Word = tuple[Run, ...]


@dataclass(frozen=True)
class Layout:
    """Wrapped lines at one font size; vertical extents are relative to baselines."""

    size: int
    stroke: int
    pitch: int  # baseline to baseline
    lines: list[list[Run]]
    top: float  # ink top of the first line (negative: above its baseline)
    bottom: float  # ink bottom of the last line

    @property
    def height(self) -> float:
        return -self.top + (len(self.lines) - 1) * self.pitch + self.bottom


def render_meme(
    image: Image.Image,
    boxes: Sequence[TextBox],
    lines: Sequence[str],
    *,
    width: int | None = None,
    height: int | None = None,
    format: str = "jpeg",
    quality: int = 85,
) -> bytes:
    """Resize image, draw each line in its box, and return the encoded file."""
    pillow_format = _pillow_format(format)
    canvas = _resize(normalize_mode(image), width, height)
    for box, text in zip(boxes, lines):
        _draw_box(canvas, box, text)
    return _encode(canvas, pillow_format, quality)


def style_text(text: str, style: str) -> str:
    """Apply a memegen text style; unknown styles leave the text as typed."""
    if style == "upper":
        return text.upper()
    if style == "mock":
        return _mock(text)
    return text


def _mock(text: str) -> str:
    # Alternate over letters only, so spaces and punctuation don't break the rhythm.
    letters = itertools.count()
    return "".join(
        (ch.upper() if next(letters) % 2 else ch.lower()) if ch.isalpha() else ch
        for ch in text
    )


# --- resize and encode ------------------------------------------------------


def _pillow_format(name: str) -> str:
    try:
        return _FORMATS[name.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown output format {name!r}; use jpeg, png or webp") from None


def _resize(image: Image.Image, width: int | None, height: int | None) -> Image.Image:
    # Always returns a new image, so drawing never touches the caller's.
    return image.resize(_target_size(image.size, width, height), RESAMPLE)


def _target_size(size: tuple[int, int], width: int | None, height: int | None) -> tuple[int, int]:
    limits = [(limit, now) for limit, now in zip((width, height), size) if limit is not None]
    if not limits:
        return size
    if any(limit <= 0 for limit, _ in limits):
        raise ValueError("width and height must be positive numbers of pixels")
    scale = min(limit / current for limit, current in limits)  # both given: fit inside
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _encode(image: Image.Image, pillow_format: str, quality: int) -> bytes:
    if pillow_format == "JPEG" and image.mode == "RGBA":
        image = _flatten(image)
    buffer = io.BytesIO()
    image.save(buffer, pillow_format, quality=quality)  # PNG ignores quality
    return buffer.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    # JPEG has no alpha; transparent uploads (stickers, logos) expect a light page.
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A"))
    return background


# --- one box ----------------------------------------------------------------


def _draw_box(canvas: Image.Image, box: TextBox, text: str) -> None:
    text = style_text(text, box.style).strip()
    left, top, width, height = _box_pixels(box, canvas.size)
    if not text or width < 1 or height < 1:
        return
    faces = FONTS.get(box.font, FONTS["thick"])
    layout = _fit(_paragraphs(text, faces), faces, width, height)
    fill = ImageColor.getrgb(box.color)
    layer = _draw_layout(layout, (width, height), box.align, fill, _outline_for(fill))
    _paste(canvas, layer, (left, top), box.angle)


def _box_pixels(box: TextBox, size: tuple[int, int]) -> tuple[int, int, int, int]:
    w, h = size
    return round(box.x * w), round(box.y * h), round(box.width * w), round(box.height * h)


def _outline_for(fill: tuple[int, ...]) -> str:
    # Black outline, except around dark text where black would vanish.
    r, g, b = fill[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 96 else "white"


def _paste(canvas: Image.Image, layer: Image.Image, corner: tuple[int, int], angle: float) -> None:
    left, top = corner
    if angle:
        rotated = layer.rotate(angle, Image.Resampling.BICUBIC, expand=True)
        left += (layer.width - rotated.width) // 2  # keep the box centre fixed
        top += (layer.height - rotated.height) // 2
        layer = rotated
    if canvas.mode == "RGBA":
        # paste() would multiply alpha twice; composite a crop instead.
        region = canvas.crop((left, top, left + layer.width, top + layer.height))
        region.alpha_composite(layer)
        canvas.paste(region, (left, top))
    else:
        canvas.paste(layer, (left, top), layer)


# --- fonts and glyph coverage ----------------------------------------------


@functools.cache
def _font_path(face: Face) -> str:
    try:
        return str(fontpkg.path(face.family))
    except fontpkg.FontpkgError:
        # The registry can miss a family; the package's files/ folder still has it.
        files = importlib.resources.files(face.package) / "files"
        fonts = [f for f in files.iterdir() if f.name.endswith((".ttf", ".otf"))]
        return str(min(fonts, key=lambda f: ("Italic" in f.name, f.name)))


@functools.cache
def _coverage(path: str) -> frozenset[int]:
    with TTFont(path, lazy=True) as font:
        return frozenset(font["cmap"].getBestCmap())


@functools.lru_cache(maxsize=128)  # a face costs ~0.2 MB; the sizes in use repeat
def _font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(_font_path(face), size)
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
        if ord(ch) in _coverage(_font_path(face)):
            return face
    # No face has it (CJK, emoji): draw it anyway with the last face. It shows as a
    # missing-glyph box, which tells the reader something was there; dropping it
    # could silently turn a whole line into nothing.
    return faces[-1]


def _segment(word: str, faces: tuple[Face, ...]) -> Word:
    tagged = []
    face = faces[0]
    for ch in word:
        face = _face_for(ch, faces, face)
        tagged.append((ch, face))
    return tuple(
        ("".join(ch for ch, _ in group), face)
        for face, group in itertools.groupby(tagged, key=lambda pair: pair[1])
    )


def _paragraphs(text: str, faces: tuple[Face, ...]) -> list[list[Word]]:
    # Typed newlines are kept as forced breaks.
    return [[_segment(word, faces) for word in line.split()] for line in text.splitlines()]


# --- fit and wrap -----------------------------------------------------------


def _fit(paragraphs: list[list[Word]], faces: tuple[Face, ...], width: int, height: int) -> Layout:
    """Largest font size whose wrapped block fits the box (binary search)."""
    best = None
    low, high = MIN_FONT_SIZE, max(MIN_FONT_SIZE, height)
    while low <= high:
        size = (low + high) // 2
        layout = _layout(paragraphs, faces, size, width, height, last_resort=False)
        if layout is not None and layout.height <= height:
            best, low = layout, size + 1
        else:
            high = size - 1
    # Nothing fits: smallest size, long words broken; the overflow is clipped.
    return best or _layout(paragraphs, faces, MIN_FONT_SIZE, width, height, last_resort=True)


def _layout(
    paragraphs: list[list[Word]],
    faces: tuple[Face, ...],
    size: int,
    width: int,
    height: int,
    *,
    last_resort: bool,
) -> Layout | None:
    """Wrap at one size; None when it cannot fit, unless this is the last resort."""
    font = _font(faces[0], size)
    stroke = max(1, round(size / 15))
    pitch = _cap_height(faces[0], size) + font.getmetrics()[1] + 2 * stroke
    # One line more than can show is enough to know the block overflows.
    max_lines = height // pitch + 1
    wrapped = _wrap(paragraphs, size, font.getlength(" "), width - 2 * stroke, last_resort)
    lines = list(itertools.islice(wrapped, max_lines + 1))
    if None in lines or (len(lines) > max_lines and not last_resort):
        return None
    top, _ = _ink_extent(lines[0], size)
    _, bottom = _ink_extent(lines[-1], size)
    return Layout(size, stroke, pitch, lines, top - stroke, bottom + stroke)


def _wrap(
    paragraphs: list[list[Word]],
    size: int,
    space: float,
    max_width: float,
    break_words: bool,
) -> Iterator[list[Run] | None]:
    """Greedy word wrap, lazily, so overflowing text stops early.

    Yields None and stops at a word too wide for a line, unless break_words.
    """
    for words in paragraphs:
        line: list[Word] = []
        line_width = 0.0
        for word in words:
            word_width = _word_width(word, size)
            if word_width <= max_width:
                pieces: Iterator[tuple[Word, float]] = iter([(word, word_width)])
            elif break_words:
                pieces = _break_word(word, size, max_width)
            else:
                yield None
                return
            for piece, piece_width in pieces:
                if line and line_width + space + piece_width <= max_width:
                    line.append(piece)
                    line_width += space + piece_width
                    continue
                if line:
                    yield _join(line)
                line, line_width = [piece], piece_width
        yield _join(line)


@functools.lru_cache(maxsize=512)
def _cap_height(face: Face, size: int) -> int:
    return -_font(face, size).getbbox("H", anchor="ls")[1]


def _word_width(word: Word, size: int) -> float:
    return sum(_font(face, size).getlength(text) for text, face in word)


def _break_word(word: Word, size: int, max_width: float) -> Iterator[tuple[Word, float]]:
    """Split a word that is wider than the box into pieces that fit, char by char."""
    piece: list[Run] = []
    piece_width = 0.0
    for text, face in word:
        font = _font(face, size)
        for ch in text:
            ch_width = font.getlength(ch)
            if piece and piece_width + ch_width > max_width:
                yield tuple(piece), piece_width
                piece, piece_width = [], 0.0
            piece = _append(piece, ch, face)
            piece_width += ch_width
    if piece:
        yield tuple(piece), piece_width


def _join(words: list[Word]) -> list[Run]:
    """Words to runs with spaces; same-face neighbours merge into one draw call."""
    runs: list[Run] = []
    for word in words:
        if runs:
            runs[-1] = (runs[-1][0] + " ", runs[-1][1])
        for text, face in word:
            runs = _append(runs, text, face)
    return runs


def _append(runs: list[Run], text: str, face: Face) -> list[Run]:
    if runs and runs[-1][1] == face:
        runs[-1] = (runs[-1][0] + text, face)
    else:
        runs.append((text, face))
    return runs


def _ink_extent(runs: list[Run], size: int) -> tuple[float, float]:
    # Measured without the outline: stroking glyphs just to measure is slow.
    if not runs:
        return 0.0, 0.0
    boxes = [_font(face, size).getbbox(text, anchor="ls") for text, face in runs]
    return min(box[1] for box in boxes), max(box[3] for box in boxes)


# --- draw -------------------------------------------------------------------


def _draw_layout(
    layout: Layout, size: tuple[int, int], align: str, fill: tuple[int, ...], outline: str
) -> Image.Image:
    """Draw the block on a transparent layer the size of the box: it clips."""
    width, height = size
    layer = Image.new("RGBA", size)
    draw = ImageDraw.Draw(layer)
    baseline = max(0.0, (height - layout.height) / 2) - layout.top
    for runs in layout.lines:
        if baseline - layout.pitch > height:
            break  # this and later lines would fall wholly below the box
        placed = _place_runs(runs, layout, width, align)
        # All outlines first, then all fills, so one run's outline never covers
        # the next run's letters.
        for x, text, font in placed:
            draw.text((x, baseline), text, outline, font, "ls", stroke_width=layout.stroke)
        for x, text, font in placed:
            draw.text((x, baseline), text, fill, font, "ls")
        baseline += layout.pitch
    return layer


def _place_runs(
    runs: list[Run], layout: Layout, box_width: int, align: str
) -> list[tuple[float, str, ImageFont.FreeTypeFont]]:
    """Left x of each run on a line aligned in the box."""
    fonts = [_font(face, layout.size) for _, face in runs]
    advances = [font.getlength(text) for (text, _), font in zip(runs, fonts)]
    x = _line_start(sum(advances), layout.stroke, box_width, align)
    placed = []
    for (text, _), font, advance in zip(runs, fonts, advances):
        placed.append((x, text, font))
        x += advance
    return placed


def _line_start(line_width: float, stroke: int, box_width: int, align: str) -> float:
    if align == "left":
        return stroke
    if align == "right":
        return box_width - stroke - line_width
    return (box_width - line_width) / 2
