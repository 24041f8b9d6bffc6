"""Recognising a known template in a meme: a perceptual hash (DCT, 64 bits) of the picture with its text taken out.

The hash is taken on the middle band of the picture (where classic memes have no text) after the text found there
is inpainted, on a grey 32x32 thumbnail: JPEG, resizing and crops of a few percent move few of its bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BAND = (0.22, 0.78)  # the rows hashed, as fractions of the height: between classic top and bottom text
MAX_DISTANCE = 12  # bits of 64: a match at most this far; unrelated pictures are about 32 apart
SIDE = 32


def phash(rgb: np.ndarray, band: tuple[float, float] = BAND) -> int:
    """The 64-bit perceptual hash of an RGB (or grey) array's band."""
    grey = rgb if rgb.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    height = grey.shape[0]
    crop = grey[int(band[0] * height) : max(int(band[0] * height) + 1, int(band[1] * height))]
    small = cv2.resize(crop.astype(np.float32), (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:8, :8].flatten()[1:]  # the lowest frequencies, without the mean
    bits = low > np.median(low)
    return int("".join("1" if bit else "0" for bit in bits), 2)


CROPS = (0.0, 0.025, 0.05)  # a meme may be a template cropped this much on any side


def phash_variants(rgb: np.ndarray) -> list[int]:
    """A template's hashes: whole, and cropped by each of CROPS on each side (a meme cropped a little is one of
    these), for best_match."""
    height, width = rgb.shape[:2]
    hashes = set()
    for left in CROPS:
        for right in CROPS:
            for top in CROPS:
                for bottom in CROPS:
                    crop = rgb[round(top * height) : height - round(bottom * height),
                               round(left * width) : width - round(right * width)]  # fmt: skip
                    hashes.add(phash(crop))
    return sorted(hashes)


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def distances(query: int, known: np.ndarray) -> np.ndarray:
    """distance from query to each hash of known (a uint64 array), at once: for comparing many hashes."""
    return np.bitwise_count(known ^ np.uint64(query))


@dataclass(frozen=True)
class Match:
    key: object
    distance: int


def best_match(query: int, known: dict, max_distance: int = MAX_DISTANCE) -> Match | None:
    """The known key whose hash (or nearest of its hashes: phash_variants) is nearest to query, when it is within
    max_distance bits; else None."""
    best = None
    for key, value in known.items():
        gap = min(distance(query, one) for one in value) if isinstance(value, (list, tuple)) else distance(query, value)
        if best is None or gap < best.distance:
            best = Match(key, gap)
    return best if best is not None and best.distance <= max_distance else None
