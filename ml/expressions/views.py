"""The crops of one face that the ensemble's members look at: test-time views of the same network."""
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


# "face" is fer's framing (its 10-pixel offsets around a ~100-pixel Haar box); the others shift what the network
# sees — the mirror its left/right, "tight" drops hair and ears, "loose" keeps more of the head.
VIEWS = (
    View("face", margin=0.1),
    View("mirrored", margin=0.1, mirrored=True),
    View("tight", margin=-0.05),
    View("loose", margin=0.25),
)


def crop_views(grey: np.ndarray, face: Face, views: tuple[View, ...] = VIEWS) -> np.ndarray:
    """len(views)×64×64 uint8 crops of `face` from a grey image; past the image's edge, its border is repeated."""
    centre = (face.x + face.width / 2, face.y + face.height / 2)
    crops = []
    for view in views:
        size = (round(face.width * (1 + 2 * view.margin)), round(face.height * (1 + 2 * view.margin)))
        crop = cv2.resize(cv2.getRectSubPix(grey, size, centre), (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
        crops.append(cv2.flip(crop, 1) if view.mirrored else crop)
    return np.stack(crops)
