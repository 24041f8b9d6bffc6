"""Finding faces in a photo with OpenCV's Haar cascades."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

# The default cascade runs first; alt2 only when it finds nothing, because each catches faces the other misses
# (alt2 half-shadowed ones, default tilted ones) and the second pass then costs time only on face-less photos.
CASCADE_FILES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml")
DETECTION_SIDE = 512  # longer sides are scaled down to this first: the cascade's cost grows with the pixel count
MIN_FACE_SIDE = 24  # pixels at detection scale; smaller faces hold too little detail to read an expression
DUPLICATE_OVERLAP = 0.5  # a box whose overlap covers this share of the smaller box is the same face


@dataclass(frozen=True)
class Face:
    """A face's box in image pixels."""

    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height

    def overlap(self, other: Face) -> float:
        """The share of the smaller box that the two boxes have in common."""
        width = min(self.x + self.width, other.x + other.width) - max(self.x, other.x)
        height = min(self.y + self.height, other.y + other.height) - max(self.y, other.y)
        return max(width, 0) * max(height, 0) / min(self.area, other.area)


def to_grey(image: np.ndarray) -> np.ndarray:
    """An RGB uint8 H×W×3 image (or one already grey, H×W) → grey H×W."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    raise ValueError(f"expected an RGB H×W×3 or grey H×W image, got shape {image.shape}")


@cache
def _cascade(filename: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + filename)
    if cascade.empty():
        raise FileNotFoundError(f"OpenCV cascade {filename} not found in {cv2.data.haarcascades}")
    return cascade


def detect_faces(image: np.ndarray) -> list[Face]:
    """The faces in an RGB (or grey) photo, largest first, each face once."""
    grey = to_grey(image)
    scale = min(1.0, DETECTION_SIDE / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    for filename in CASCADE_FILES:
        boxes = _cascade(filename).detectMultiScale(
            small, scaleFactor=1.1, minNeighbors=5, minSize=(MIN_FACE_SIDE, MIN_FACE_SIDE)
        )
        if len(boxes):
            break
    faces = sorted((Face(*(round(v / scale) for v in box)) for box in boxes), key=lambda f: f.area, reverse=True)
    return _without_duplicates(faces)


def _without_duplicates(faces: list[Face]) -> list[Face]:
    """Keeps the larger of boxes that overlap (the cascade sometimes nests a second box inside a face)."""
    kept: list[Face] = []
    for face in faces:
        if all(face.overlap(other) < DUPLICATE_OVERLAP for other in kept):
            kept.append(face)
    return kept
