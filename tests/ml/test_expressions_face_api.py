"""The torch port of face-api.js's FaceExpressionNet loads every tensor of the package's model, pads, resizes and
pads its convolutions as TensorFlow does, and computes what face-api itself computes under Node (skipped where the
Node modules of the check are not installed: `python -m ml.expressions.face_api_node_check` installs them)."""
import json

import numpy as np
import pytest
import torch

from ml.expressions import face_api
from ml.expressions.face_api import (
    FACE_API_CLASSES,
    FaceExpressionNet,
    face_api_model_dir,
    load_face_api_weights,
    pad_to_square,
    resize_bilinear_legacy,
    same_padding,
)
from ml.expressions.face_api_node_check import check_crops, compare, node_modules_ready


def manifest_entries() -> list[dict]:
    manifest = json.loads((face_api_model_dir() / face_api.MANIFEST_FILE).read_text())
    return [entry for group in manifest for entry in group["weights"]]


def test_every_tensor_of_the_package_loads():
    network = FaceExpressionNet()
    loaded = load_face_api_weights(network, face_api_model_dir())

    entries = manifest_entries()
    assert len(loaded) == len(entries) == 49
    assert sum(p.numel() for p in network.parameters()) == sum(int(np.prod(e["shape"])) for e in entries)


def test_weights_are_dequantized_as_tfjs_does():
    entry = next(e for e in manifest_entries() if e["name"] == "fc/weights")
    arrays = face_api.read_weights(face_api_model_dir())
    q = (arrays["fc/weights"] - entry["quantization"]["min"]) / entry["quantization"]["scale"]
    np.testing.assert_allclose(q, np.round(q), atol=1e-3)  # every value sits on the uint8 grid
    assert arrays["fc/weights"].dtype == np.float32 and arrays["fc/bias"].shape == (len(FACE_API_CLASSES),)


def test_a_missing_model_folder_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv(face_api.FACE_API_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="make install"):
        face_api_model_dir()


def test_a_shape_mismatch_is_refused(tmp_path):
    folder = face_api_model_dir()
    manifest = json.loads((folder / face_api.MANIFEST_FILE).read_text())
    manifest[0]["weights"][-1]["shape"] = [1, 7]  # fc/bias as 1×7: same bytes, wrong shape
    (tmp_path / face_api.MANIFEST_FILE).write_text(json.dumps(manifest))
    (tmp_path / face_api.MODEL_FILE).write_bytes((folder / face_api.MODEL_FILE).read_bytes())
    with pytest.raises(ValueError, match=r"fc/bias: file has shape \(1, 7\)"):
        load_face_api_weights(FaceExpressionNet(), tmp_path)


def test_stride_2_same_padding_pads_bottom_and_right_only():
    assert same_padding(112, 3, 2) == (0, 1)
    assert same_padding(56, 3, 1) == (1, 1)
    assert same_padding(7, 3, 2) == (1, 1)


def test_padding_to_a_square_centres_the_image_with_the_odd_pixel_after_it():
    image = np.ones((2, 5, 3), np.uint8)
    square = pad_to_square(image)
    assert square.shape == (5, 5, 3)
    assert square[:, :, 0].sum(axis=1).tolist() == [0, 5, 5, 0, 0]  # 1 row before, 2 after (Math.round(1.5))


def test_the_legacy_bilinear_resize_has_no_half_pixel_centres():
    image = np.array([[0.0, 10.0], [20.0, 30.0]])[:, :, None]
    resized = resize_bilinear_legacy(image, 4)[:, :, 0]
    # source = destination × 2/4: 0, 0.5, 1, 1.5 → the last two clamp to the edge pixel
    np.testing.assert_allclose(resized[0], [0, 5, 10, 10])
    np.testing.assert_allclose(resized[:, 0], [0, 10, 20, 20])


def test_the_astronaut_reads_happy():
    network = FaceExpressionNet().eval()
    load_face_api_weights(network, face_api_model_dir())
    with torch.no_grad():
        probabilities = torch.softmax(network(face_api.to_input(check_crops()[:2])), dim=1)
    assert [FACE_API_CLASSES[i] for i in probabilities.argmax(dim=1)] == ["happy", "happy"]


@pytest.mark.skipif(not node_modules_ready(), reason="node or the check's Node modules are not installed")
def test_the_port_computes_what_face_api_computes_under_node():
    crops = check_crops()
    differences = compare(crops=[crops[1], crops[4], crops[-2], crops[-1]])  # square, tall, cameraman, odd noise

    assert differences["max_probability_difference"] < 1e-5
    assert differences["max_logit_difference"] < 1e-4
    assert differences["same_top_class"] == 4
