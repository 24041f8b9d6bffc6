"""How often the ensemble's members agree, on the faces there are offline: scikit-image's astronaut rendered many
ways (rotated, reframed, lit and degraded differently: the face is found again in each), and the 100 small faces
of scikit-image's LFW subset (25×25 grey, enlarged). There are no labels: agreement is evidence that the members
read the same thing, disagreement where one of them is unsure or wrong — not accuracy.

    .venv/bin/python -m ml.expressions.agreement
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np
from skimage import data

from .ensemble import ExpressionEnsemble
from .faces import Face, detect_faces
from .mini_xception import CLASSES


def _rotated(image: np.ndarray, angle: float) -> np.ndarray:
    centre = (image.shape[1] / 2, image.shape[0] / 2)
    return cv2.warpAffine(image, cv2.getRotationMatrix2D(centre, angle, 1.0), image.shape[1::-1],
                          borderMode=cv2.BORDER_REFLECT)


def _lit(image: np.ndarray, gain: float = 1.0, offset: float = 0.0, gamma: float = 1.0) -> np.ndarray:
    scaled = 255.0 * (image.astype(np.float32) / 255.0) ** gamma * gain + offset
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    _, encoded = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)[:, :, ::-1]


def astronaut_renderings() -> dict[str, np.ndarray]:
    """The astronaut, rendered as the photos users upload differ: name → RGB image."""
    image = data.astronaut()
    rng = np.random.default_rng(0)
    renderings = {"original": image, "mirrored": image[:, ::-1].copy()}
    for angle in (-30, -20, -10, -5, 5, 10, 20, 30):
        renderings[f"rotated {angle}°"] = _rotated(image, angle)
    for name, (top, bottom, left, right) in {
        "head only": (20, 230, 120, 340), "head and shoulders": (0, 330, 60, 420), "off-centre": (0, 300, 150, 512),
        "chin cut": (40, 200, 130, 340),
    }.items():  # fmt: skip
        renderings[f"cropped: {name}"] = np.ascontiguousarray(image[top:bottom, left:right])
    for name, kwargs in {
        "dark": {"gain": 0.4}, "dim": {"gain": 0.7}, "bright": {"gain": 1.3, "offset": 20}, "washed out": {
            "gain": 0.5, "offset": 110}, "gamma 0.5": {"gamma": 0.5}, "gamma 2": {"gamma": 2.0},
    }.items():  # fmt: skip
        renderings[f"lighting: {name}"] = _lit(image, **kwargs)
    renderings["lighting: warm cast"] = np.clip(image * np.array([1.15, 1.0, 0.75]), 0, 255).astype(np.uint8)
    renderings["lighting: side shadow"] = (image * np.linspace(0.25, 1.0, image.shape[1])[None, :, None]).astype(
        np.uint8
    )
    renderings["grey"] = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
    renderings["blurred"] = cv2.GaussianBlur(image, (0, 0), 3)
    renderings["noisy"] = np.clip(image + rng.normal(0, 20, image.shape), 0, 255).astype(np.uint8)
    renderings["jpeg q10"] = _jpeg(image, 10)
    renderings["small (128 px)"] = cv2.resize(image, (128, 128), interpolation=cv2.INTER_AREA)
    renderings["large (1536 px)"] = cv2.resize(image, (1536, 1536), interpolation=cv2.INTER_CUBIC)
    return renderings


def lfw_faces(side: int = 100) -> list[np.ndarray]:
    """The 100 faces of scikit-image's LFW subset (the first half; the rest are not faces), enlarged to side×side."""
    faces = data.lfw_subset()[:100]
    return [
        np.repeat(cv2.resize((f * 255).astype(np.uint8), (side, side), interpolation=cv2.INTER_CUBIC)[:, :, None], 3, 2)
        for f in faces
    ]


@dataclass
class Agreement:
    name: str
    faces: int
    labels: dict[str, Counter]  # member (and "fused") → label counts
    pairwise: dict[tuple[str, str], float]  # share of faces two members read the same
    all_agree: float  # share of faces every member reads the same
    rows: list[tuple[str, tuple[str, ...], str]]  # (face, each member's label, fused label)


def agreement(ensemble: ExpressionEnsemble, name: str, faces: list[tuple[str, np.ndarray, Face]]) -> Agreement:
    rows = []
    for face_name, image, face in faces:
        reading = ensemble.read(image, face)
        rows.append((face_name, tuple(label for _, label, _ in reading.member_readings()), reading.label))
    members = ensemble.member_names
    labels = {m: Counter(row[1][i] for row in rows) for i, m in enumerate(members)}
    labels["fused"] = Counter(row[2] for row in rows)
    pairwise = {
        (members[i], members[j]): float(np.mean([row[1][i] == row[1][j] for row in rows]))
        for i, j in itertools.combinations(range(len(members)), 2)
    }
    all_agree = float(np.mean([len(set(row[1])) == 1 for row in rows]))
    return Agreement(name, len(rows), labels, pairwise, all_agree, rows)


def astronaut_faces() -> tuple[list[tuple[str, np.ndarray, Face]], list[str]]:
    """(rendering, image, the largest face found) for each rendering; and the renderings where none was found."""
    found, lost = [], []
    for name, image in astronaut_renderings().items():
        faces = detect_faces(image)
        if faces:
            found.append((name, image, faces[0]))
        else:
            lost.append(name)
    return found, lost


def main() -> None:
    ensemble = ExpressionEnsemble.load(device="cpu")
    astronaut, lost = astronaut_faces()
    lfw = [(f"lfw {i}", image, Face(0, 0, image.shape[1], image.shape[0])) for i, image in enumerate(lfw_faces())]
    for result in (agreement(ensemble, "astronaut renderings", astronaut), agreement(ensemble, "LFW subset", lfw)):
        print(f"# {result.name}: {result.faces} faces")
        if result.name.startswith("astronaut"):
            print(f"no face found in: {', '.join(lost) or 'none'}")
            for face_name, member_labels, fused in result.rows:
                print(f"  {face_name:28s} {' / '.join(member_labels):40s} fused {fused}")
        for member, counts in result.labels.items():
            print(f"{member:14s} " + ", ".join(f"{label} {counts[label]}" for label in CLASSES if counts[label]))
        for (a, b), share in result.pairwise.items():
            print(f"agree {a} & {b}: {share:.0%}")
        print(f"all members agree: {result.all_agree:.0%}")


if __name__ == "__main__":
    main()
