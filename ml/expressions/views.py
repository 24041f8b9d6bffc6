"""The crops of one face that a member of the ensemble looks at: test-time views of the same network."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .faces import Face
from .mini_xception import INPUT_SIZE


@dataclass(frozen=True)
class View:
    name: str
    margin: float  # share of the face box added on every side; negative crops into the face
    mirrored: bool = False


# The mini-Xception's views. "face" is fer's framing (its 10-pixel offsets around a ~100-pixel Haar box); the others
# shift what the network sees — the mirror its left/right, "tight" drops hair and ears, "loose" keeps more of the head.
VIEWS = (
    View("face", margin=0.1),
    View("mirrored", margin=0.1, mirrored=True),
    View("tight", margin=-0.05),
    View("loose", margin=0.25),
)


def crop_view(image: np.ndarray, face: Face, view: View, size: int | None = None) -> np.ndarray:
    """One view of `face` from a grey or RGB uint8 image, resized to size×size (INTER_AREA) or, with size None, at
    the image's own resolution; past the image's edge, its border is repeated."""
    centre = (face.x + face.width / 2, face.y + face.height / 2)
    box = (round(face.width * (1 + 2 * view.margin)), round(face.height * (1 + 2 * view.margin)))
    crop = cv2.getRectSubPix(image, box, centre)
    if size is not None:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.flip(crop, 1) if view.mirrored else crop


def crop_views(grey: np.ndarray, face: Face, views: tuple[View, ...] = VIEWS, size: int = INPUT_SIZE) -> np.ndarray:
    """len(views)×size×size uint8 crops of `face` from a grey image (the mini-Xception's input)."""
    return np.stack([crop_view(grey, face, view, size) for view in views])
