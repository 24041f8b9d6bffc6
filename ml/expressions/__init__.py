"""Photo mode: find the faces in a photo and read each one's expression (FER-2013 classes).

    ensemble = ExpressionEnsemble.load()        # once per process
    ensemble.read_photo(image_rgb).label        # "happy", …, or NO_FACE
"""
from .ensemble import NO_FACE, ExpressionEnsemble, PhotoReading, Reading
from .faces import Face, detect_faces
from .fusion import fit_class_weights
from .mini_xception import CLASSES, MiniXception, fer_weights_path, load_keras_weights

__all__ = [
    "CLASSES",
    "NO_FACE",
    "ExpressionEnsemble",
    "Face",
    "MiniXception",
    "PhotoReading",
    "Reading",
    "detect_faces",
    "fer_weights_path",
    "fit_class_weights",
    "load_keras_weights",
]
