"""Where a caption goes on a photo of people: the top and bottom bands, each moved off the faces it would hide.
Pure geometry; no Django."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from memes.layout import TOP_AND_BOTTOM, TextBox

Box = tuple[float, float, float, float]  # x, y, width, height

FACE_SHARE = 0.15  # a band may cover this much of the faces (a chin, a hairline); covering more, it moves
STEP = 0.01  # the vertical positions tried, as a fraction of the height


def boxes_off_faces(
    faces: Sequence[Box], size: tuple[int, int], bands: Sequence[TextBox] = TOP_AND_BOTTOM
) -> list[TextBox]:
    """The bands, kept in their order top to bottom, each at the free position nearest its own — free: covering at
    most FACE_SHARE of the faces' areas — or, where no position is free, at the one covering the least.
    `faces` are pixel boxes on an image of `size` (width, height)."""
    width, height = size
    faces = [(x / width, y / height, w / width, h / height) for x, y, w, h in faces]
    placed: list[TextBox] = []
    top = 0.0
    for index, band in enumerate(bands):
        lowest = 1.0 - sum(later.height for later in bands[index:])  # leaves room for the bands still to place
        candidates = [replace(band, y=y) for y in _positions(top, lowest, band.y)]
        best = min(candidates, key=lambda box: _rank(box, band, faces))
        placed.append(best)
        top = best.y + best.height
    return placed


def _positions(top: float, lowest: float, own: float) -> list[float]:
    steps = max(0, int((lowest - top) / STEP + 1e-9))
    positions = [round(top + STEP * step, 4) for step in range(steps + 1)]
    return positions + [own] if top <= own <= lowest else positions


def _rank(box: TextBox, band: TextBox, faces: list[Box]) -> tuple[bool, float, float]:
    cover = round(covered(box, faces), 4)  # equal covers rank by the distance, not by rounding noise
    blocked = cover > FACE_SHARE
    return blocked, cover if blocked else 0.0, abs(box.y - band.y)


def covered(box: TextBox, faces: Sequence[Box]) -> float:
    """How much of the faces the box covers: the sum over faces of the share of each face's area inside it."""
    total = 0.0
    for x, y, width, height in faces:
        across = min(box.x + box.width, x + width) - max(box.x, x)
        down = min(box.y + box.height, y + height) - max(box.y, y)
        total += max(across, 0) * max(down, 0) / (width * height)
    return total
