"""A captioned meme taken apart: its text found, grouped into boxes, read, and lifted off the picture.

Classic meme text is white (or light) letters with a black outline. A letter is a connected patch of near-white
pixels most of whose surroundings are dark: that tells it from a white shirt or a cloud. Rows of letters make lines;
lines closer than a line's height make a box. Each box is read by Tesseract on a prepared picture (the letters alone,
black on white, enlarged), and the letters with their outline are painted over (cv2.inpaint).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import ocr

WORK_WIDTH = 800  # the picture is read at this width at most: enough for letters, cheap to inpaint
WHITE_MIN = 170  # a letter's pixels: every channel at least this ...
WHITE_SPREAD = 60  # ... and channels this close (grey-white, not a pale colour)
DARK_MAX = 110  # an outline's pixels: every channel at most this
RING_DARK_SHARE = 0.55  # a letter: at least this share of its surroundings is dark
OCR_LINE_HEIGHT = 64  # each line enlarged (or shrunk) to about this many pixels for Tesseract
MARGIN = 0.025  # memegen's boxes leave this much of the width on each side
MIN_BOX_HEIGHT = 0.15  # a proposed box is at least this tall (a fraction of the height) ...
BOX_PAD = 0.12  # ... or its text's height and this much of it above and below
GROW_DIVISOR = 80  # the letters are grown by the picture's width over this, to cover their outline and its JPEG halo


@dataclass
class Box:
    """A proposed text box: geometry as fractions of the picture (memegen's), its style and what was read."""

    x: float
    y: float
    width: float
    height: float
    text: str
    style: str = "upper"  # "upper" when every letter read is a capital, else "none"
    color: str = "white"
    ink: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # the letters' own extent, same units

    def geometry(self) -> tuple[float, float, float, float]:
        return self.x, self.y, self.width, self.height


@dataclass
class Proposal:
    """What a captioned meme suggests as a template: the picture without its text and the boxes."""

    clean: np.ndarray  # RGB, the size it came in
    boxes: list[Box]
    mask: np.ndarray  # bool, True on the letters and their outline (at the picture's size)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def caption(self) -> list[str]:
        return [box.text for box in self.boxes]


def as_rgb(picture) -> np.ndarray:
    """A PIL image or an array as an RGB uint8 array."""
    if isinstance(picture, np.ndarray):
        array = picture
    else:
        array = np.asarray(picture.convert("RGB"))
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    return np.ascontiguousarray(array[..., :3], dtype=np.uint8)


def text_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels of outlined light letters (bool), at the array's size."""
    height, width = rgb.shape[:2]
    low = rgb.min(axis=2)
    high = rgb.max(axis=2)
    white = ((low >= WHITE_MIN) & (high - low <= WHITE_SPREAD)).astype(np.uint8)
    dark = high <= DARK_MAX
    count, labels, stats, _ = cv2.connectedComponentsWithStats(white, connectivity=8)
    if count <= 1:
        return np.zeros((height, width), bool)
    # Each patch's surroundings: a ring two pixels wide, each ring pixel given to the neighbouring patch.
    near = cv2.dilate(labels.astype(np.float32), np.ones((5, 5), np.uint8)).astype(np.int32)
    ring = (labels == 0) & (near > 0)
    ring_all = np.bincount(near[ring], minlength=count)
    ring_dark = np.bincount(near[ring & dark], minlength=count)
    share = ring_dark / np.maximum(ring_all, 1)
    sizes = stats[:, cv2.CC_STAT_AREA]
    tall = stats[:, cv2.CC_STAT_HEIGHT]
    wide = stats[:, cv2.CC_STAT_WIDTH]
    keep = (
        (share >= RING_DARK_SHARE)
        & (sizes >= max(4, height * width // 200_000))
        & (tall <= height * 0.25)
        & (wide <= width * 0.5)
        & (tall >= max(3, height // 150))
    )
    keep[0] = False
    return keep[labels]


def _runs(profile: np.ndarray) -> list[tuple[int, int]]:
    """Runs of true values: (start, stop) pairs."""
    padded = np.concatenate([[False], profile, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2]))


def text_lines(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Lines of letters as (top, bottom, left, right) pixel bounds, top to bottom."""
    counts = mask.sum(axis=1)
    lines = []
    for band_top, band_bottom in _runs(counts >= 2):
        # Within a band, the rows of letters hold many pixels, and stray marks joined to it above or below few:
        # the band is cut to its dense rows, each run grown back by up to a fifth of its height over its edges.
        band = counts[band_top:band_bottom]
        for start, stop in _runs(band >= max(2, 0.15 * band.max())):
            grow = max(1, (stop - start) // 5)
            while start > 0 and band[start - 1] > 0 and grow > 0:
                start, grow = start - 1, grow - 1
            grow = max(1, (stop - start) // 5)
            while stop < len(band) and band[stop] > 0 and grow > 0:
                stop, grow = stop + 1, grow - 1
            top, bottom = band_top + start, band_top + stop
            if bottom - top < 4:
                continue
            columns = np.flatnonzero(mask[top:bottom].any(axis=0))
            lines.append((int(top), int(bottom), int(columns[0]), int(columns[-1]) + 1))
    # A line cut by a thin gap (a letter's accent, a dot) is joined back.
    joined: list[tuple[int, int, int, int]] = []
    for line in lines:
        if joined and line[0] - joined[-1][1] <= max(2, 0.12 * (joined[-1][1] - joined[-1][0])) and (
            (line[1] - line[0]) < 0.4 * (joined[-1][1] - joined[-1][0])
            or (joined[-1][1] - joined[-1][0]) < 0.4 * (line[1] - line[0])
        ):
            last = joined.pop()
            line = (last[0], line[1], min(last[2], line[2]), max(last[3], line[3]))
        joined.append(line)
    return joined


def group_lines(lines: list[tuple[int, int, int, int]]) -> list[list[tuple[int, int, int, int]]]:
    """Lines into boxes: a gap wider than half the taller line's height starts a new box."""
    groups: list[list[tuple[int, int, int, int]]] = []
    for line in lines:
        if groups:
            last = groups[-1][-1]
            gap = line[0] - last[1]
            if gap <= 0.6 * max(line[1] - line[0], last[1] - last[0]):
                groups[-1].append(line)
                continue
        groups.append([line])
    return groups


def _ocr_picture(mask: np.ndarray, lines: list[tuple[int, int, int, int]]):
    """A box's letters black on white, every line scaled to about OCR_LINE_HEIGHT pixels, with white between; and
    where each line went: (top, bottom, left, scale) in the picture made."""
    pieces = []
    pad = OCR_LINE_HEIGHT // 3
    for top, bottom, left, right in lines:
        crop = mask[top:bottom, left:right]
        scale = OCR_LINE_HEIGHT / max(1, bottom - top)
        size = (max(1, round(crop.shape[1] * scale)), OCR_LINE_HEIGHT)
        line = cv2.resize(crop.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        pieces.append((255 - line, scale))
    width = max(piece.shape[1] for piece, _ in pieces) + 2 * pad
    canvas = np.full((pad + sum(p.shape[0] + pad for p, _ in pieces), width), 255, np.uint8)
    placed = []
    y = pad
    for piece, scale in pieces:
        x = (width - piece.shape[1]) // 2
        canvas[y : y + piece.shape[0], x : x + piece.shape[1]] = piece
        placed.append((y, y + piece.shape[0], x, scale))
        y += piece.shape[0] + pad
    return cv2.GaussianBlur(canvas, (3, 3), 0), placed


MIN_CONFIDENCE = 25  # a word read with less confidence than this is kept only when it is long and has letters


def _word_kept(text: str, confidence: float) -> bool:
    alnum = sum(ch.isalnum() for ch in text)
    if text == "|":
        return confidence >= MIN_CONFIDENCE  # a capital I, as Tesseract often reads it
    if not alnum:
        return False
    return confidence >= MIN_CONFIDENCE or (alnum >= 3 and confidence >= 10)


def _read_lines(mask: np.ndarray, lines: list[tuple[int, int, int, int]]):
    """Each line's words kept, and the line narrowed to them: [(line, text)], lines with no word left out."""
    canvas, placed = _ocr_picture(mask, lines)
    words = ocr.read_words(canvas)
    found: list[list[tuple[str, int, int, float]]] = [[] for _ in lines]
    for text, confidence, (left, top, width, height) in words:
        if not _word_kept(text, confidence):
            continue
        middle = top + height / 2
        index = min(range(len(placed)), key=lambda i: abs((placed[i][0] + placed[i][1]) / 2 - middle))
        y0, y1, x0, scale = placed[index]
        line_left = lines[index][2]
        found[index].append((text, round(line_left + (left - x0) / scale), round(line_left + (left + width - x0) / scale), confidence))
    read = []
    for line, items in zip(lines, found):
        alnum = sum(ch.isalnum() for item in items for ch in item[0])
        if alnum < 2:
            continue  # nothing, or one stray mark read as a letter
        # Tesseract's reading order is kept: a band that holds two lines of text reads them one after the other.
        left = max(line[2], min(item[1] for item in items) - 2)
        right = min(line[3], max(item[2] for item in items) + 2)
        # Narrowed to its words, the line is as tall as their letters (marks beside them made its band taller).
        # The band of rows with the most letter pixels: stray marks above or below hold few.
        counts = mask[line[0] : line[1], left:right].sum(axis=1)
        runs = _runs(counts >= max(2, 0.1 * counts.max())) if counts.max() else []
        if runs:
            start, stop = max(runs, key=lambda run: counts[run[0] : run[1]].sum())
            top, bottom = line[0] + int(start), line[0] + int(stop)
        else:
            top, bottom = line[:2]
        read.append(((top, bottom, left, right), " ".join(item[0] for item in items)))
    return read


_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "|": "I", "5": "S", "8": "B"})


def caption_fixed(text: str, capitals: bool | None = None) -> str:
    """Text read in a caption whose letters are mostly capitals, set right: all capitals (Tesseract reads some of a
    bold face's capitals as small letters), a digit inside a word of letters as the letter it looks like, and a
    lone bar as I."""
    letters = [ch for ch in text if ch.isalpha()]
    if capitals is None:
        capitals = bool(letters) and sum(ch.isupper() for ch in letters) >= 0.6 * len(letters)
    if not capitals:
        return text
    words = []
    for word in text.split():
        if word == "|" or (any(ch.isalpha() for ch in word) and any(ch in "0158|" for ch in word)) or word == "1":
            word = word.translate(_LOOKALIKES)
        words.append(word.upper())
    return " ".join(words)


def _style(text: str) -> str:
    letters = [ch for ch in text if ch.isalpha()]
    return "upper" if letters and all(ch.isupper() for ch in letters) else "none"


def _colour(rgb: np.ndarray, mask: np.ndarray) -> str:
    inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    pixels = rgb[inner if inner.any() else mask]
    if not len(pixels):
        return "white"
    r, g, b = (int(v) for v in np.median(pixels, axis=0))
    return "white" if min(r, g, b) >= 200 else f"#{r:02x}{g:02x}{b:02x}"


def _proposed_geometry(ink: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[float, float, float, float]:
    """A box around a block of letters: centred on them across the width, as wide as the margins let it be
    (memegen's boxes span the picture), and at least MIN_BOX_HEIGHT tall, kept inside the picture."""
    top, bottom, left, right = ink
    width, height = size
    centre = (left + right) / 2 / width
    half = min(centre, 1 - centre) - MARGIN
    half = max(half, (right - left) / 2 / width)
    x0, x1 = max(0.0, centre - half), min(1.0, centre + half)
    ink_h = (bottom - top) / height
    box_h = max(MIN_BOX_HEIGHT, ink_h * (1 + 2 * BOX_PAD))
    middle = (top + bottom) / 2 / height
    y0 = min(max(0.0, middle - box_h / 2), max(0.0, 1 - box_h))
    # Top and bottom bands keep memegen's small margin from the edge.
    if y0 < 0.02 and top / height >= 0.02:
        y0 = 0.02
    if y0 + box_h > 0.98 and bottom / height <= 0.98:
        y0 = max(0.0, 0.98 - box_h)
    return round(x0, 4), round(y0, 4), round(x1 - x0, 4), round(min(box_h, 1 - y0), 4)


def parse_meme(picture, *, read: bool = True) -> Proposal:
    """Find, read and remove a meme's text. `picture`: a PIL image or an RGB array. With read false, no OCR (the
    boxes' text is empty). OcrMissing when reading is asked for and Tesseract is not installed."""
    if read:
        ocr.ocr_require()
    started = time.perf_counter()
    rgb = as_rgb(picture)
    full_h, full_w = rgb.shape[:2]
    scale = min(1.0, WORK_WIDTH / full_w)
    work = rgb if scale == 1.0 else cv2.resize(rgb, (round(full_w * scale), round(full_h * scale)), interpolation=cv2.INTER_AREA)
    height, width = work.shape[:2]
    mask = text_mask(work)
    groups = group_lines(text_lines(mask))
    if read:
        read_lines = [item for lines in groups for item in _read_lines(mask, lines)]
        texts = dict(read_lines)
        groups = group_lines([line for line, _ in read_lines])
    else:
        texts = {}
    boxes: list[Box] = []
    kept = np.zeros_like(mask)
    for lines in groups:
        top, bottom = lines[0][0], lines[-1][1]
        left, right = min(line[2] for line in lines), max(line[3] for line in lines)
        region = np.zeros_like(mask)
        for line in lines:
            region[line[0] : line[1], line[2] : line[3]] = mask[line[0] : line[1], line[2] : line[3]]
        text = " ".join(texts[line] for line in lines if line in texts)
        kept |= region
        x, y, w, h = _proposed_geometry((top, bottom, left, right), (width, height))
        ink = (left / width, top / height, (right - left) / width, (bottom - top) / height)
        boxes.append(Box(x, y, w, h, text=text, style=_style(text) if text else "upper",
                         color=_colour(work, region), ink=tuple(round(v, 4) for v in ink)))  # fmt: skip
    # Capitals in most of the caption: capitals all through (a box of two words read in small letters included).
    letters = [ch for box in boxes for ch in box.text if ch.isalpha()]
    capitals = bool(letters) and sum(ch.isupper() for ch in letters) >= 0.6 * len(letters)
    for box in boxes:
        box.text = caption_fixed(box.text, capitals)
        box.style = _style(box.text) if box.text else "upper"
    clean, full_mask = _inpaint(rgb, kept, scale)
    return Proposal(clean=clean, boxes=boxes, mask=full_mask, seconds=time.perf_counter() - started)


def glyph_mask(letters: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The letters grown to cover their outline and its soft JPEG edge, at `size` (width, height)."""
    rows = np.flatnonzero(letters.any(axis=1))
    mask = letters.astype(np.uint8) * 255
    if mask.shape[1] != size[0]:
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR)
    if not len(rows):
        return mask > 0
    grow = max(3, round(size[0] / GROW_DIVISOR))  # the outline is about a fifteenth of a letter's size, plus blur
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return cv2.dilate((mask > 64).astype(np.uint8), kernel) > 0


def _inpaint(rgb: np.ndarray, letters: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    height, width = rgb.shape[:2]
    mask = glyph_mask(letters, (width, height))
    if not mask.any():
        return rgb.copy(), mask
    # Inpainting works at the working size (cost grows with the masked area), then only the masked pixels
    # are taken from the enlarged result.
    small = rgb if scale == 1.0 else cv2.resize(rgb, letters.shape[::-1], interpolation=cv2.INTER_AREA)
    small_mask = mask if scale == 1.0 else cv2.resize(mask.astype(np.uint8), letters.shape[::-1], interpolation=cv2.INTER_NEAREST)
    small_mask = cv2.dilate(small_mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    painted = cv2.inpaint(small, small_mask, 5, cv2.INPAINT_TELEA)
    if scale != 1.0:
        painted = cv2.resize(painted, (width, height), interpolation=cv2.INTER_CUBIC)
    clean = rgb.copy()
    clean[mask] = painted[mask]
    return clean, mask


def proposal_drawn(proposal: Proposal) -> np.ndarray:
    """The clean picture with the letters found tinted yellow and the proposed boxes in red (RGB)."""
    picture = proposal.clean.copy()
    picture[proposal.mask] = (picture[proposal.mask] * 0.5 + np.array([255, 220, 0]) * 0.5).astype(np.uint8)
    height, width = picture.shape[:2]
    for box in proposal.boxes:
        x0, y0 = round(box.x * width), round(box.y * height)
        x1, y1 = round((box.x + box.width) * width), round((box.y + box.height) * height)
        cv2.rectangle(picture, (x0, y0), (x1 - 1, y1 - 1), (230, 30, 30), max(2, width // 300))
    return picture
