"""Meme rendering: style, wrap and fit each line into its box, draw it (on every frame of an animation), encode.

Pure Pillow; no Django. Box geometry mirrors memegen's template config; the faces each character is drawn with come
from fonts.py. A line whose first strong character is right-to-left is laid out right to left: its runs in
different faces placed from the right. Chinese and Japanese lines break between characters.
Nothing is ever drawn on the picture but the text: no watermark.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import itertools
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from PIL import Image, ImageColor, ImageDraw, ImageFont

from memes.layout import TextBox, is_colour
from memesite.images import Animation, normalize_mode

from . import fonts
from .fonts import Face, Run

MIN_FONT_SIZE = 8
RESAMPLE = Image.Resampling.LANCZOS
# An animation resizes every frame: bilinear costs half of Lanczos, and a GIF's 256 colours hide the difference.
ANIMATION_RESAMPLE = Image.Resampling.BILINEAR
_FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}
ANIMATED_FORMATS = {"GIF", "WEBP"}  # the formats an animation stays animated in
PALETTE_SAMPLE_FRAMES = 8  # frames a GIF's one palette is taken from
# A worker draws many memes on the same few templates at the same width, often the same text again (a redraw, a
# share link at another size, a template's example): the last pictures resized and boxes drawn are kept, within
# a budget of bytes each (a picture or layer over a quarter of it is not kept).
RESIZED_KEPT_BYTES = 48 * 2**20  # a template at the site's width is 1-3 MB
DECODED_KEPT_BYTES = 64 * 2**20  # a template as stored, decoded: 1-3 MB, an animation up to its frame cap
LAYERS_KEPT_BYTES = 16 * 2**20  # a box's drawn text is a box-sized RGBA layer, about 0.3 MB at the site's width
LAYOUTS_KEPT = 256

Word = tuple[Run, ...]
Token = tuple[Word, bool]  # a word, and whether it follows the one before with no space (inside CJK text)


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
    image: Image.Image | Animation,
    boxes: Sequence[TextBox],
    lines: Sequence[str],
    *,
    width: int | None = None,
    height: int | None = None,
    format: str = "jpeg",
    quality: int = 85,
    animated: bool = True,
    max_side: int | None = None,
) -> bytes:
    """Resize the image, draw each line in its box, and return the encoded file (jpeg, png, webp or gif).

    An Animation (images.open_image with max_frames) stays animated when `animated` is true and the format can
    hold one (gif, webp): each frame gets the text of the boxes whose start..stop window, as fractions of the
    running time, covers the middle of the frame, and max_side (pixels) caps its longer side after the resize.
    Otherwise an animation comes out as its first frame with every box drawn: its static picture."""
    pillow_format = _pillow_format(format)
    if isinstance(image, Animation):
        if animated and pillow_format in ANIMATED_FORMATS:
            return _render_animation(image, boxes, lines, (width, height), max_side, pillow_format, quality)
        image = image.frames[0]
    canvas = _resize(normalize_mode(image), width, height)
    for box, text in zip(boxes, lines):
        drawn = _box_layer(box, text, canvas.size)
        if drawn is not None:
            _composite(canvas, *drawn)
    return _encode(canvas, pillow_format, quality)


def _render_animation(
    animation: Animation,
    boxes: Sequence[TextBox],
    lines: Sequence[str],
    limits: tuple[int | None, int | None],
    max_side: int | None,
    pillow_format: str,
    quality: int,
) -> bytes:
    size = _capped(_target_size(animation.size, *limits), max_side)
    frames = [frame.resize(size, ANIMATION_RESAMPLE) for frame in animation.frames]
    # Each box is laid out and drawn once, then pasted on the frames in its window.
    drawn = [(box, layer) for box, text in zip(boxes, lines) if (layer := _box_layer(box, text, size)) is not None]
    for frame, moment in zip(frames, _moments(animation.durations)):
        for box, layer in drawn:
            if box.start <= moment < box.stop:
                _composite(frame, *layer)
    buffer = io.BytesIO()
    options = {"duration": list(animation.durations)}
    if animation.loop is not None:
        options["loop"] = animation.loop
    if pillow_format == "GIF":
        # Whole frames: keep each under the next, unless see-through parts must clear between frames.
        options["disposal"] = 2 if animation.mode == "RGBA" else 1
        if animation.mode == "RGB":
            frames = _one_palette(frames)
    else:
        options["quality"] = quality
    frames[0].save(buffer, pillow_format, save_all=True, append_images=frames[1:], **options)
    return buffer.getvalue()


def _one_palette(frames: list[Image.Image]) -> list[Image.Image]:
    """The frames in one palette, taken from a sample of them, without dithering: what stays still keeps its
    pixels, so the GIF stores only what moves, and quantizing takes a tenth of what a palette per frame does."""
    sample = frames[:: max(1, len(frames) // PALETTE_SAMPLE_FRAMES)]
    width, height = frames[0].size
    mosaic = Image.new("RGB", (width, height * len(sample)))
    for row, frame in enumerate(sample):
        mosaic.paste(frame, (0, row * height))
    palette = mosaic.quantize(255, method=Image.Quantize.FASTOCTREE)
    return [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]


def _moments(durations: Sequence[int]) -> list[float]:
    """The middle of each frame, as a fraction of the running time."""
    total = sum(durations)
    ends = list(itertools.accumulate(durations))
    return [(end - duration / 2) / total for end, duration in zip(ends, durations)]


def _capped(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    if max_side is None or max(size) <= max_side:
        return size
    scale = max_side / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def style_text(text: str, style: str) -> str:
    """Apply a memegen text style; unknown styles leave the text as typed."""
    if style == "upper":
        return text.upper()
    if style == "mock":
        return _mock(text)
    if style == "lower":
        return text.lower()
    if style == "title":
        return text.title()
    if style == "default":
        # memegen's: text typed all in lower case gets a capital; anything else is kept as typed.
        return text.capitalize() if text.islower() else text
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
        raise ValueError(f"unknown output format {name!r}; use jpeg, png, webp or gif") from None


class _Kept:
    """The last results of a costly step, by key, within a budget (of entries, or of bytes with `weigh`), for every
    thread of the process."""

    def __init__(self, budget: int, weigh=lambda value: 1):
        self.budget, self.weigh = budget, weigh
        self.items: OrderedDict = OrderedDict()
        self.weight = 0
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            kept = self.items.get(key)
            if kept is None:
                return None
            self.items.move_to_end(key)
            return kept[0]

    def put(self, key, value) -> None:
        weight = self.weigh(value)
        if weight > self.budget // 4:
            return
        with self.lock:
            if key in self.items:
                self.weight -= self.items.pop(key)[1]
            self.items[key] = (value, weight)
            self.weight += weight
            while self.weight > self.budget:
                self.weight -= self.items.popitem(last=False)[1][1]


def _image_bytes(image: Image.Image) -> int:
    return image.width * image.height * len(image.getbands())


def _picture_bytes(picture: Image.Image | Animation) -> int:
    return sum(map(_image_bytes, picture.frames)) if isinstance(picture, Animation) else _image_bytes(picture)


_resized = _Kept(RESIZED_KEPT_BYTES, _image_bytes)
_decoded = _Kept(DECODED_KEPT_BYTES, _picture_bytes)


def picture_decoded(data: bytes, decode: Callable[[bytes], Image.Image | Animation]) -> Image.Image | Animation:
    """decode(data), kept for the same bytes: a worker decodes the same few templates for every meme (5-6 ms for a
    starter template). The picture is shared: render_meme only ever draws on copies of it."""
    key = hashlib.sha256(data).digest()
    picture = _decoded.get(key)
    if picture is None:
        picture = decode(data)
        _decoded.put(key, picture)
    return picture


@contextlib.contextmanager
def nothing_kept() -> Iterator[None]:
    """Render as if nothing had been resized, fitted or drawn before (a benchmark of a first render); what was kept
    is back afterwards."""
    kept = [_decoded, _resized, _layers, _layouts]
    saved = [(store.items, store.weight) for store in kept]
    for store in kept:
        store.items, store.weight = OrderedDict(), 0
    try:
        yield
    finally:
        for store, (items, weight) in zip(kept, saved):
            store.items, store.weight = items, weight


def _resize(image: Image.Image, width: int | None, height: int | None) -> Image.Image:
    # Always returns a new image, so drawing never touches the caller's.
    size = _target_size(image.size, width, height)
    if size == image.size:
        return image.copy()  # what resize() does at the same size
    # The same pixels (a template, decoded again for each meme) resized to the same size: hashing them costs a
    # fifth of the Lanczos resize.
    key = (hashlib.sha256(image.tobytes()).digest(), image.mode, image.size, size)
    resized = _resized.get(key)
    if resized is None:
        resized = image.resize(size, RESAMPLE)
        _resized.put(key, resized)
    return resized.copy()


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


_layers = _Kept(LAYERS_KEPT_BYTES, lambda drawn: _image_bytes(drawn[0]) if drawn else 1)
_layouts = _Kept(LAYOUTS_KEPT)


def _box_layer(box: TextBox, text: str, size: tuple[int, int]) -> tuple[Image.Image, tuple[int, int]] | None:
    """The box's text drawn on a transparent layer (turned by its angle), and where its corner goes; None when
    there is nothing to draw. Kept for the next render of the same text in the same box at the same size (callers
    paste the layer, never draw on it)."""
    key = (box, text, size, fonts.LAYOUT_ENGINE)
    try:
        hash(key)
    except TypeError:  # a box of unusual values (a list for a colour): drawn, not kept
        return _box_draw(box, text, size)
    drawn = _layers.get(key)
    if drawn is None:
        drawn = _box_draw(box, text, size) or ()
        _layers.put(key, drawn)
    return drawn or None


def _box_draw(box: TextBox, text: str, size: tuple[int, int]) -> tuple[Image.Image, tuple[int, int]] | None:
    text = style_text(text, box.style).strip()
    left, top, width, height = _box_pixels(box, size)
    if not text or width < 1 or height < 1:
        return None
    faces = fonts.box_faces(box.font)
    layout = _fit_text(text, faces, width, height)
    # Boxes saved before colours were checked may hold anything: such a colour is white, or the automatic outline.
    fill = ImageColor.getrgb(box.color) if is_colour(box.color) else (255, 255, 255)
    outline = ImageColor.getrgb(box.outline) if is_colour(box.outline) else _outline_for(fill)
    layer = _draw_layout(layout, (width, height), box.align, fill, outline)
    if box.angle:
        rotated = layer.rotate(box.angle, Image.Resampling.BICUBIC, expand=True)
        left += (layer.width - rotated.width) // 2  # keep the box centre fixed
        top += (layer.height - rotated.height) // 2
        layer = rotated
    return layer, (left, top)


def _box_pixels(box: TextBox, size: tuple[int, int]) -> tuple[int, int, int, int]:
    w, h = size
    return round(box.x * w), round(box.y * h), round(box.width * w), round(box.height * h)


def _outline_for(fill: tuple[int, ...]) -> tuple[int, int, int]:
    # Black outline, except around dark text where black would vanish.
    r, g, b = fill[:3]
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 96 else (255, 255, 255)


def _composite(canvas: Image.Image, layer: Image.Image, corner: tuple[int, int]) -> None:
    left, top = corner
    if canvas.mode == "RGBA":
        # paste() would multiply alpha twice; composite a crop instead.
        region = canvas.crop((left, top, left + layer.width, top + layer.height))
        region.alpha_composite(layer)
        canvas.paste(region, (left, top))
    else:
        canvas.paste(layer, (left, top), layer)


def _paragraphs(text: str, faces: tuple[Face, ...]) -> list[list[Token]]:
    # Typed newlines are kept as forced breaks.
    return [
        [(fonts.segment(piece, faces), glued) for word in line.split() for piece, glued in _breakable(word)]
        for line in text.splitlines()
    ]


# Chinese and Japanese put no spaces between words: a line may break between two characters, except before
# closing punctuation, the long-vowel mark and small kana (the kinsoku rule) and inside runs of other scripts.
_NO_BREAK_BEFORE = set("、。，．・：；？！）」』】〕〉》ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ…")
_NO_BREAK_AFTER = set("（「『【〔〈《")


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"


def _breakable(word: str) -> Iterator[tuple[str, bool]]:
    """The pieces of a word that a line may break between: (piece, glued to the one before)."""
    start = 0
    for index in range(1, len(word)):
        before, ch = word[index - 1], word[index]
        kinsoku = ch in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER or unicodedata.combining(ch)
        if (_is_cjk(before) or _is_cjk(ch)) and not kinsoku:
            yield word[start:index], start > 0
            start = index
    yield word[start:], start > 0


# --- fit and wrap -----------------------------------------------------------


def _fit_text(text: str, faces: tuple[Face, ...], width: int, height: int) -> Layout:
    """_fit for a text, kept per (text, faces, box size): the same caption in another colour, or on another
    template with a box of the same size, is not fitted again."""
    key = (text, faces, width, height, fonts.LAYOUT_ENGINE)
    layout = _layouts.get(key)
    if layout is None:
        layout = _fit(_paragraphs(text, faces), faces, width, height)
        _layouts.put(key, layout)
    return layout


def _fit(paragraphs: list[list[Token]], faces: tuple[Face, ...], width: int, height: int) -> Layout:
    """Largest font size whose wrapped block fits the box. Measuring the text at one size is what costs: a guess
    from measuring it once, then a search outward from the guess (two or three sizes measured where a binary search
    over every size measured seven; the same size, as a smaller size never fits worse)."""
    low, high = MIN_FONT_SIZE, max(MIN_FONT_SIZE, height)
    tried: dict[int, Layout | None] = {}

    def fitting(size: int) -> Layout | None:
        if size not in tried:
            layout = _layout(paragraphs, faces, size, width, height, last_resort=False)
            tried[size] = layout if layout is not None and layout.height <= height else None
        return tried[size]

    guess = min(max(_size_guess(paragraphs, faces, width, height), low), high)
    # Gallop from the guess to a size that fits (or low - 1: none) and a larger one that does not (or high + 1).
    step = 1
    if fitting(guess):
        fits = guess
        while fits + step <= high and fitting(fits + step):
            fits, step = fits + step, step * 2
        over = min(fits + step, high + 1)
    else:
        over = guess
        while over - step >= low and not fitting(over - step):
            over, step = over - step, step * 2
        fits = max(over - step, low - 1)
    while over - fits > 1:  # then halve the gap
        size = (fits + over) // 2
        if fitting(size):
            fits = size
        else:
            over = size
    # Nothing fits: smallest size, long words broken; the overflow is clipped.
    return tried.get(fits) or _layout(paragraphs, faces, MIN_FONT_SIZE, width, height, last_resort=True)


GUESS_SIZE = 64  # the size the text is measured at for the guess


def _size_guess(paragraphs: list[list[Token]], faces: tuple[Face, ...], width: int, height: int) -> int:
    """The largest size the block would fit at if every length grew in proportion to the size: the words measured
    once, at GUESS_SIZE; the ink of a line taken as its capitals' (no box measured)."""
    font = fonts.face_font(faces[0], GUESS_SIZE)
    words = [[(_word_width(word, GUESS_SIZE), glued) for word, glued in line] for line in paragraphs]
    space, cap, descent = font.getlength(" "), _cap_height(faces[0], GUESS_SIZE), font.getmetrics()[1]

    def fits(size: int) -> bool:
        scale, stroke = size / GUESS_SIZE, max(1, round(size / 15))
        max_width = width - 2 * stroke
        lines = 0
        for line in words:
            lines += 1
            line_width = None
            for word_width, glued in line:
                word_width *= scale
                if word_width > max_width:
                    return False
                gap = 0.0 if glued else space * scale
                if line_width is not None and line_width + gap + word_width <= max_width:
                    line_width += gap + word_width
                else:
                    lines += line_width is not None
                    line_width = word_width
        pitch = round(cap * scale) + round(descent * scale) + 2 * stroke
        return cap * scale + (lines - 1) * pitch + 2 * stroke <= height

    low, high = MIN_FONT_SIZE, max(MIN_FONT_SIZE, height)
    while low <= high:
        size = (low + high) // 2
        if fits(size):
            low = size + 1
        else:
            high = size - 1
    return high


def _layout(
    paragraphs: list[list[Token]],
    faces: tuple[Face, ...],
    size: int,
    width: int,
    height: int,
    *,
    last_resort: bool,
) -> Layout | None:
    """Wrap at one size; None when it cannot fit, unless this is the last resort."""
    font = fonts.face_font(faces[0], size)
    stroke = max(1, round(size / 15))
    pitch = _cap_height(faces[0], size) + font.getmetrics()[1] + 2 * stroke
    # One line more than can show is enough to know the block overflows.
    max_lines = height // pitch + 1
    wrapped = _wrap(paragraphs, size, font.getlength(" "), width - 2 * stroke, last_resort)
    lines = list(itertools.islice(wrapped, max_lines + 1))
    if None in lines or (len(lines) > max_lines and not last_resort):
        return None
    top, bottom = _ink_extent(lines[0], size)
    if len(lines) > 1:
        _, bottom = _ink_extent(lines[-1], size)
    return Layout(size, stroke, pitch, lines, top - stroke, bottom + stroke)


def _wrap(
    paragraphs: list[list[Token]],
    size: int,
    space: float,
    max_width: float,
    break_words: bool,
) -> Iterator[list[Run] | None]:
    """Greedy word wrap, lazily, so overflowing text stops early.

    Yields None and stops at a word too wide for a line, unless break_words.
    """
    for words in paragraphs:
        line: list[Token] = []
        line_width = 0.0
        for word, glued in words:
            word_width = _word_width(word, size)
            if word_width <= max_width:
                pieces: Iterator[tuple[Word, float]] = iter([(word, word_width)])
            elif break_words:
                pieces = _break_word(word, size, max_width)
            else:
                yield None
                return
            for piece, piece_width in pieces:
                gap = 0.0 if glued else space
                if line and line_width + gap + piece_width <= max_width:
                    line.append((piece, glued))
                    line_width += gap + piece_width
                    continue
                if line:
                    yield _join(line)
                line, line_width = [(piece, glued)], piece_width
        yield _join(line)


@functools.lru_cache(maxsize=512)
def _cap_height(face: Face, size: int) -> int:
    return -fonts.face_font(face, size).getbbox("H", anchor="ls")[1]


def _word_width(word: Word, size: int) -> float:
    return sum(_run_width(text, face, size, fonts.LAYOUT_ENGINE) for text, face in word)


@functools.lru_cache(maxsize=8192)
def _run_width(text: str, face: Face, size: int, engine: ImageFont.Layout) -> float:
    """A word's advance: captions share their words (THE, WHEN, ME...), and a fit measures each at a few sizes."""
    return fonts.face_font(face, size).getlength(text)


def _break_word(word: Word, size: int, max_width: float) -> Iterator[tuple[Word, float]]:
    """Split a word that is wider than the box into pieces that fit, char by char."""
    piece: list[Run] = []
    piece_width = 0.0
    for text, face in word:
        font = fonts.face_font(face, size)
        for ch in text:
            ch_width = font.getlength(ch)
            if piece and piece_width + ch_width > max_width:
                yield tuple(piece), piece_width
                piece, piece_width = [], 0.0
            piece = _append(piece, ch, face)
            piece_width += ch_width
    if piece:
        yield tuple(piece), piece_width


def _join(words: list[Token]) -> list[Run]:
    """Words to runs with spaces (none inside CJK text); same-face neighbours merge into one draw call."""
    runs: list[Run] = []
    for word, glued in words:
        if runs and not glued:
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
    boxes = [fonts.face_font(face, size).getbbox(text, anchor="ls") for text, face in runs]
    return min(box[1] for box in boxes), max(box[3] for box in boxes)


# --- draw -------------------------------------------------------------------


def _draw_layout(
    layout: Layout, size: tuple[int, int], align: str, fill: tuple[int, ...], outline: tuple[int, ...]
) -> Image.Image:
    """Draw the block on a transparent layer the size of the box: it clips."""
    width, height = size
    layer = Image.new("RGBA", size)
    draw = ImageDraw.Draw(layer)
    baseline = max(0.0, (height - layout.height) / 2) - layout.top
    for runs in layout.lines:
        if baseline - layout.pitch > height:
            break  # this and later lines would fall wholly below the box
        direction = _direction(runs)
        placed = _place_runs(runs, layout, width, align, direction)
        # All outlines first, then all fills, so one run's outline never covers
        # the next run's letters.
        for x, text, font in placed:
            draw.text((x, baseline), text, outline, font, "ls", stroke_width=layout.stroke, **direction)
        for x, text, font in placed:
            draw.text((x, baseline), text, fill, font, "ls", **direction)
        baseline += layout.pitch
    return layer


def _direction(runs: list[Run]) -> dict[str, str]:
    """The line's direction, from its first strong character (Unicode's rule for a paragraph), as draw.text's
    argument: it also puts a run's trailing space on the line's side. Basic layout knows no direction."""
    if fonts.LAYOUT_ENGINE != ImageFont.Layout.RAQM:
        return {}
    for text, _ in runs:
        for ch in text:
            kind = unicodedata.bidirectional(ch)
            if kind in ("R", "AL"):
                return {"direction": "rtl"}
            if kind == "L":
                return {"direction": "ltr"}
    return {"direction": "ltr"}


def _place_runs(
    runs: list[Run], layout: Layout, box_width: int, align: str, direction: dict[str, str]
) -> list[tuple[float, str, ImageFont.FreeTypeFont]]:
    """Left x of each run on a line aligned in the box; a right-to-left line's runs go from the right."""
    if direction.get("direction") == "rtl":
        runs = runs[::-1]
    run_fonts = [fonts.face_font(face, layout.size) for _, face in runs]
    advances = [font.getlength(text) for (text, _), font in zip(runs, run_fonts)]
    x = _line_start(sum(advances), layout.stroke, box_width, align)
    placed = []
    for (text, _), font, advance in zip(runs, run_fonts, advances):
        placed.append((x, text, font))
        x += advance
    return placed


def _line_start(line_width: float, stroke: int, box_width: int, align: str) -> float:
    if align == "left":
        return stroke
    if align == "right":
        return box_width - stroke - line_width
    return (box_width - line_width) / 2
