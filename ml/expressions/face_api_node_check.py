"""Checks the torch port of face-api.js's FaceExpressionNet (face_api.py) against the package's own JavaScript
under Node, on the same faces: scikit-image's astronaut and cameraman, framed several ways (square and not, smaller
and larger than 112 pixels, so the padding and the resize are checked too), rotated, darkened and brightened.

    .venv/bin/python -m ml.expressions.face_api_node_check [--node-modules DIR]

Needs node and npm; the first run installs @tensorflow/tfjs 4.22.0 (its CPU backend, pure JavaScript) and
@vladmandic/face-api 1.7.15 into DIR (default <venv>/share/face-api/node-check, about 330 MB) from the npm registry.
Prints the largest differences of the logits and the probabilities; the weights are those `make install` keeps
(face_api_model_dir()), which the Node side loads too."""
from __future__ import annotations

import argparse
import base64
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch
from skimage import data

from .face_api import FACE_API_VERSION, FaceExpressionNet, face_api_model_dir, load_face_api_weights, to_input
from .faces import Face, detect_faces

NODE_SCRIPT = Path(__file__).with_suffix(".mjs")
NODE_PACKAGES = (
    "@tensorflow/tfjs@4.22.0", "@tensorflow/tfjs-backend-wasm@4.22.0", f"@vladmandic/face-api@{FACE_API_VERSION}"
)
DEFAULT_NODE_MODULES = Path(sys.prefix) / "share" / "face-api" / "node-check"


def node_modules_ready(folder: Path = DEFAULT_NODE_MODULES) -> bool:
    return shutil.which("node") is not None and (folder / "node_modules" / "@vladmandic" / "face-api").is_dir()


def install_node_modules(folder: Path = DEFAULT_NODE_MODULES) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--ignore-scripts", *NODE_PACKAGES],
        check=True,
    )


def _crop(image: np.ndarray, face: Face, margin_x: float, margin_y: float) -> np.ndarray:
    size = (round(face.width * (1 + 2 * margin_x)), round(face.height * (1 + 2 * margin_y)))
    return cv2.getRectSubPix(image, size, (face.x + face.width / 2, face.y + face.height / 2))


def check_crops() -> list[np.ndarray]:
    """RGB uint8 crops of faces, in several framings and renderings."""
    crops = []
    astronaut = data.astronaut()
    (face,) = detect_faces(astronaut)
    for margin_x, margin_y in ((0.0, 0.0), (0.1, 0.1), (0.25, 0.25), (-0.05, -0.05), (0.1, 0.3), (0.35, 0.05)):
        crops.append(_crop(astronaut, face, margin_x, margin_y))
    centre = (face.x + face.width / 2, face.y + face.height / 2)
    for angle in (-20, 15):
        rotated = cv2.warpAffine(astronaut, cv2.getRotationMatrix2D(centre, angle, 1.0), astronaut.shape[1::-1])
        crops.append(_crop(rotated, face, 0.1, 0.1))
    for gain, offset in ((0.5, 0), (1.3, 30)):
        lit = np.clip(astronaut.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)
        crops.append(_crop(lit, face, 0.1, 0.1))
    crops.append(cv2.resize(_crop(astronaut, face, 0.1, 0.1), (61, 61), interpolation=cv2.INTER_AREA))  # upsampled
    crops.append(cv2.resize(_crop(astronaut, face, 0.1, 0.1), (112, 112), interpolation=cv2.INTER_AREA))  # as is
    camera = np.repeat(data.camera()[:, :, None], 3, axis=2)
    crops.append(camera[60:200, 210:329])  # the cameraman's head, taller than wide (odd difference)
    crops.append(np.random.default_rng(0).integers(0, 256, (97, 130, 3), dtype=np.uint8))  # odd sides and difference
    return crops


def node_outputs(crops: list[np.ndarray], node_modules: Path, model_dir: Path) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        crops_path, out_path = Path(folder) / "crops.json", Path(folder) / "out.json"
        crops_path.write_text(json.dumps([
            {"height": c.shape[0], "width": c.shape[1], "rgb": base64.b64encode(np.ascontiguousarray(c)).decode()}
            for c in crops
        ]))  # fmt: skip
        subprocess.run(
            ["node", str(NODE_SCRIPT), str(node_modules), str(model_dir) + "/", str(crops_path), str(out_path)],
            check=True,
            timeout=300,
        )
        return json.loads(out_path.read_text())


def torch_outputs(crops: list[np.ndarray], model_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    network = FaceExpressionNet().eval()
    load_face_api_weights(network, model_dir)
    with torch.inference_mode():
        logits = network(to_input(crops))
    return logits.numpy(), torch.softmax(logits, dim=1).numpy()


def compare(node_modules: Path = DEFAULT_NODE_MODULES, crops: list[np.ndarray] | None = None) -> dict[str, float]:
    """The largest absolute differences between the port and face-api under Node on `crops` (check_crops())."""
    crops = check_crops() if crops is None else crops
    model_dir = face_api_model_dir()
    reference = node_outputs(crops, node_modules, model_dir)
    logits, probabilities = torch_outputs(crops, model_dir)
    node_logits = np.array([r["logits"] for r in reference["results"]])
    node_probabilities = np.array([r["probabilities"] for r in reference["results"]])
    return {
        "crops": len(crops),
        "max_logit_difference": float(np.abs(logits - node_logits).max()),
        "max_probability_difference": float(np.abs(probabilities - node_probabilities).max()),
        "same_top_class": int((logits.argmax(1) == node_logits.argmax(1)).sum()),
        "logit_range": float(np.abs(node_logits).max()),
        "backend": reference["backend"],
        "tfjs": reference["tfjs"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=DEFAULT_NODE_MODULES)
    args = parser.parse_args()
    if not node_modules_ready(args.node_modules):
        install_node_modules(args.node_modules)
    for name, value in compare(args.node_modules).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
