"""Reading a face's expression with an ensemble of different networks (members.py), each on its own views of the
face: every member's probabilities are calibrated by its temperature, then fused with per-class weights (fusion.py).
The networks are loaded once; each member reads all the faces of a photo in one batch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .faces import Face, detect_faces, to_grey
from .fusion import calibrate, fit_class_weights, fuse, normalised, uniform_weights
from .members import MEMBER_NAMES, Member, load_members
from .mini_xception import CLASSES

# fit_class_weights lives in fusion.py; it is offered here too, beside the ensemble its weights are for.
__all__ = ["NO_FACE", "ExpressionEnsemble", "PhotoReading", "Reading", "fit_class_weights"]

NO_FACE = "no face"


@dataclass(frozen=True)
class Reading:
    label: str
    confidence: float  # the fused probability of `label`
    probabilities: dict[str, float]  # fused, by class
    member_probs: np.ndarray  # members×classes, before calibration and fusion: what a correction is stored with
    members: tuple[str, ...] = ()  # member_probs' rows
    calibrated: np.ndarray | None = None  # members×classes, after each member's temperature

    def member_readings(self) -> list[tuple[str, str, float]]:
        """Each member's own reading: (member, label, calibrated probability of that label)."""
        calibrated = self.member_probs if self.calibrated is None else self.calibrated
        return [(name, CLASSES[int(row.argmax())], float(row.max())) for name, row in zip(self.members, calibrated)]


@dataclass(frozen=True)
class PhotoReading:
    faces: tuple[Face, ...]  # largest first
    readings: tuple[Reading, ...]  # one per face, in the same order

    @property
    def label(self) -> str:
        """The largest face's expression, or NO_FACE."""
        return self.readings[0].label if self.readings else NO_FACE


class ExpressionEnsemble:
    def __init__(
        self,
        members: list[Member],
        device: torch.device | None = None,
        weights: np.ndarray | None = None,
        temperatures: np.ndarray | None = None,
    ):
        self.members = list(members)
        self.device = device or torch.device("cpu")
        self.member_names = tuple(member.name for member in self.members)
        shape = (len(self.members), len(CLASSES))
        self.weights = uniform_weights(*shape) if weights is None else normalised(weights)
        if self.weights.shape != shape:
            raise ValueError(f"weights must be members×classes {shape}, got {self.weights.shape}")
        self.temperatures = np.ones(len(self.members)) if temperatures is None else np.asarray(temperatures, float)
        if self.temperatures.shape != (len(self.members),) or not (self.temperatures > 0).all():
            raise ValueError(f"temperatures must be {len(self.members)} positive numbers, got {self.temperatures!r}")

    @classmethod
    def load(
        cls,
        device: str | torch.device | None = None,
        weights: np.ndarray | None = None,
        temperatures: np.ndarray | None = None,
        members: tuple[str, ...] = MEMBER_NAMES,
    ) -> ExpressionEnsemble:
        """The members whose packages are installed (a missing one is logged and left out), on CUDA when there is
        one; `weights` and `temperatures` as fitted (fit_class_weights, fit_temperatures) for these members."""
        device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        return cls(load_members(members, device), device, weights, temperatures)

    def with_fit(self, weights: np.ndarray | None, temperatures: np.ndarray | None) -> ExpressionEnsemble:
        """The same loaded networks with other fusion weights and temperatures (None: uniform, 1)."""
        return type(self)(self.members, self.device, weights, temperatures)

    @property
    def network(self):
        """The first member's torch network (the mini-Xception when it is installed)."""
        return self.members[0].network

    def member_probabilities(self, image_rgb: np.ndarray, face: Face) -> np.ndarray:
        """members×classes probabilities for one face of the image, before calibration."""
        return self._member_probabilities(image_rgb, [face])[0]

    def read(self, image_rgb: np.ndarray, face: Face) -> Reading:
        return self._reading(self.member_probabilities(image_rgb, face))

    def read_photo(self, image_rgb: np.ndarray) -> PhotoReading:
        """Every face in the photo, read together: one batch per member."""
        faces = detect_faces(image_rgb)
        if not faces:
            return PhotoReading(faces=(), readings=())
        member_probs = self._member_probabilities(image_rgb, faces)
        return PhotoReading(tuple(faces), tuple(self._reading(probs) for probs in member_probs))

    def _member_probabilities(self, image_rgb: np.ndarray, faces: list[Face]) -> np.ndarray:
        """faces×members×classes."""
        if image_rgb.ndim == 2:
            image_rgb = np.repeat(image_rgb[:, :, None], 3, axis=2)
        grey = to_grey(image_rgb)
        log_probabilities = [member.log_probabilities(image_rgb, grey, faces) for member in self.members]
        return np.exp(np.stack(log_probabilities, axis=1))

    def _reading(self, member_probs: np.ndarray) -> Reading:
        calibrated = calibrate(member_probs, self.temperatures)
        fused = fuse(calibrated, self.weights)
        best = int(fused.argmax())
        return Reading(
            label=CLASSES[best],
            confidence=float(fused[best]),
            probabilities=dict(zip(CLASSES, fused.tolist())),
            member_probs=member_probs,
            members=self.member_names,
            calibrated=calibrated,
        )
