"""A torch port of face-api.js's FaceExpressionNet (npm `@vladmandic/face-api` 1.7.15, MIT).

The network: four dense blocks of depthwise-separable convolutions (32, 64, 128, 256 channels, each halving the
side), a 7×7 average pool and a fully connected layer to 7 classes. The input is an RGB face padded to a centred
square, resized to 112×112 with TensorFlow's legacy bilinear (no align-corners, no half-pixel centres), the mean
RGB subtracted and divided by 255. Every step follows face-api's TypeScript (src/faceFeatureExtractor,
src/faceProcessor, src/dom/NetInput.ts, src/ops/padToSquare.ts) so that the package's weights load as they are and
the outputs equal its own under Node (face_api_node_check.py).

The weights are the package's `model/face_expression_model.bin` and its manifest: uint8 per tensor, value =
q × scale + min, biases float32, in the manifest's order."""
from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

FACE_API_CLASSES = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
INPUT_SIZE = 112
MEAN_RGB = (122.782, 117.001, 104.298)
BLOCK_CHANNELS = (32, 64, 128, 256)
FACE_API_VERSION = "1.7.15"
MODEL_FILE = "face_expression_model.bin"
MANIFEST_FILE = "face_expression_model-weights_manifest.json"
# Where `make install` puts the package's model files (`npm pack`, see the Makefile); FACE_API_MODEL_DIR overrides.
FACE_API_DIR_VARIABLE = "FACE_API_MODEL_DIR"
FACE_API_INSTALL = "make install (it runs `npm pack @vladmandic/face-api@1.7.15` and keeps the expression model)"


def face_api_model_dir() -> Path:
    """The folder holding face_expression_model.bin and its manifest: $FACE_API_MODEL_DIR, else the one
    `make install` fills inside the virtualenv (<venv>/share/face-api/1.7.15/model)."""
    configured = os.environ.get(FACE_API_DIR_VARIABLE)
    folder = Path(configured) if configured else Path(sys.prefix) / "share" / "face-api" / FACE_API_VERSION / "model"
    if not (folder / MODEL_FILE).is_file() or not (folder / MANIFEST_FILE).is_file():
        raise FileNotFoundError(f"face-api's expression model is not in {folder}: {FACE_API_INSTALL}")
    return folder


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same': ceil(size/stride) outputs, an odd padding pixel at the end (bottom/right)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv_same(x: Tensor, conv: nn.Conv2d) -> Tensor:
    """conv (built without padding) with TF 'same' padding: at stride 2 on an even side, bottom/right only."""
    (kernel_h, kernel_w), (stride_h, stride_w) = conv.kernel_size, conv.stride
    x = F.pad(x, (*same_padding(x.shape[-1], kernel_w, stride_w), *same_padding(x.shape[-2], kernel_h, stride_h)))
    return conv(x)


class SeparableConv(nn.Module):
    """tf.separableConv2d(x, depthwise 3×3, pointwise 1×1, stride, 'same') + bias."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, stride=stride, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(conv_same(x, self.depthwise))


class DenseBlock4(nn.Module):
    """face-api's denseBlock4: a strided first convolution, then three separable ones, each fed the sum of
    everything before it (out1 + out2 + …), with ReLUs on the sums."""

    def __init__(self, in_channels: int, out_channels: int, first: bool):
        super().__init__()
        self.first = first
        self.conv0 = nn.Conv2d(in_channels, out_channels, 3, stride=2) if first else SeparableConv(
            in_channels, out_channels, stride=2
        )
        self.conv1 = SeparableConv(out_channels, out_channels, 1)
        self.conv2 = SeparableConv(out_channels, out_channels, 1)
        self.conv3 = SeparableConv(out_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        out1 = F.relu(conv_same(x, self.conv0) if self.first else self.conv0(x))
        out2 = self.conv1(out1)
        out3 = self.conv2(F.relu(out1 + out2))
        out4 = self.conv3(F.relu(out1 + (out2 + out3)))
        return F.relu(out1 + (out2 + (out3 + out4)))


class FaceExpressionNet(nn.Module):
    def __init__(self):
        super().__init__()
        channels = (3, *BLOCK_CHANNELS)
        self.blocks = nn.ModuleList(
            DenseBlock4(i, o, first=n == 0) for n, (i, o) in enumerate(zip(channels, channels[1:]))
        )
        self.fc = nn.Linear(BLOCK_CHANNELS[-1], len(FACE_API_CLASSES))

    def forward(self, x: Tensor) -> Tensor:
        """x: N×3×112×112 from `to_input`; returns N×7 logits in FACE_API_CLASSES order (face-api applies the
        softmax after them)."""
        for block in self.blocks:
            x = block(x)
        x = F.avg_pool2d(x, 7, stride=2)  # tf.avgPool(out, [7, 7], [2, 2], 'valid') on 7×7: one cell
        return self.fc(x.flatten(1))

    def tensors_by_name(self) -> dict[str, tuple[Tensor, tuple[int, ...]]]:
        """The manifest's weight names → (the parameter, the axes that turn the TF array into torch's layout)."""
        tensors = {}
        for n, block in enumerate(self.blocks):
            for c, conv in enumerate((block.conv0, block.conv1, block.conv2, block.conv3)):
                prefix = f"dense{n}/conv{c}"
                if isinstance(conv, nn.Conv2d):  # [kh, kw, in, out] → [out, in, kh, kw]
                    tensors[f"{prefix}/filters"] = (conv.weight, (3, 2, 0, 1))
                    tensors[f"{prefix}/bias"] = (conv.bias, (0,))
                else:  # depthwise [kh, kw, channels, 1] → [channels, 1, kh, kw]; pointwise [1, 1, in, out]
                    tensors[f"{prefix}/depthwise_filter"] = (conv.depthwise.weight, (2, 3, 0, 1))
                    tensors[f"{prefix}/pointwise_filter"] = (conv.pointwise.weight, (3, 2, 0, 1))
                    tensors[f"{prefix}/bias"] = (conv.pointwise.bias, (0,))
        tensors["fc/weights"] = (self.fc.weight, (1, 0))  # [in, out] → [out, in]
        tensors["fc/bias"] = (self.fc.bias, (0,))
        return tensors


def read_weights(model_dir: str | Path) -> dict[str, np.ndarray]:
    """The manifest's tensors, dequantized as tfjs does (float32 of q × scale + min), by name."""
    model_dir = Path(model_dir)
    manifest = json.loads((model_dir / MANIFEST_FILE).read_text())
    arrays = {}
    for group in manifest:
        data = b"".join((model_dir / path).read_bytes() for path in group["paths"])
        offset = 0
        for entry in group["weights"]:
            count = math.prod(entry["shape"])
            quantization = entry.get("quantization")
            if quantization:
                if quantization["dtype"] != "uint8":
                    raise ValueError(f"{entry['name']}: unsupported quantization {quantization['dtype']}")
                q = np.frombuffer(data, np.uint8, count, offset)
                values = (q * quantization["scale"] + quantization["min"]).astype(np.float32)
                offset += count
            else:
                if entry["dtype"] != "float32":
                    raise ValueError(f"{entry['name']}: unsupported dtype {entry['dtype']}")
                values = np.frombuffer(data, np.float32, count, offset).copy()
                offset += 4 * count
            arrays[entry["name"]] = values.reshape(entry["shape"])
        if offset != len(data):
            raise ValueError(f"{model_dir}: {len(data) - offset} bytes of {group['paths']} are not in the manifest")
    return arrays


def load_face_api_weights(model: FaceExpressionNet, model_dir: str | Path) -> list[str]:
    """Copies every tensor of the package's expression model into `model`; returns their names. ValueError when a
    tensor is missing on either side or a shape differs."""
    arrays, targets = read_weights(model_dir), model.tensors_by_name()
    if arrays.keys() != targets.keys():
        raise ValueError(
            f"{model_dir}: the file has {sorted(arrays.keys() - targets.keys())} the model lacks, "
            f"the model expects {sorted(targets.keys() - arrays.keys())} the file lacks"
        )
    with torch.no_grad():
        for name, (parameter, axes) in targets.items():
            array = arrays[name]
            if array.ndim != len(axes) or array.transpose(axes).shape != tuple(parameter.shape):
                expected = tuple(parameter.shape[axes.index(axis)] for axis in range(len(axes)))  # in the file's layout
                raise ValueError(f"{name}: file has shape {array.shape}, model expects {expected}")
            array = array.transpose(axes)
            parameter.copy_(torch.from_numpy(np.ascontiguousarray(array)))
    return list(arrays)


def pad_to_square(image: np.ndarray) -> np.ndarray:
    """face-api's padToSquare(image, centred): zeros on the shorter side, round(diff/2) after the image (bottom or
    right) and the rest before it."""
    height, width = image.shape[:2]
    if height == width:
        return image
    difference = abs(height - width)
    after = math.floor(difference / 2 + 0.5)  # JavaScript's Math.round
    before = difference - after
    padding = [(0, 0)] * image.ndim
    padding[1 if height > width else 0] = (before, after)
    return np.pad(image, padding)


def resize_bilinear_legacy(image: np.ndarray, size: int) -> np.ndarray:
    """tf.image.resizeBilinear(image, [size, size], alignCorners=false, halfPixelCenters=false) as tfjs's CPU
    kernel computes it (source = destination × in/out, the next pixel clamped to the edge), in float64 then
    float32 as tfjs stores it. image: H×W×C."""
    height, width = image.shape[:2]
    source = image.astype(np.float64)

    def taps(old: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        fraction = np.arange(size) * (old / size)
        floor = np.floor(fraction).astype(int)
        return floor, np.minimum(old - 1, np.ceil(fraction).astype(int)), fraction - floor

    row_floor, row_ceil, row_fraction = taps(height)
    col_floor, col_ceil, col_fraction = taps(width)
    col_fraction = col_fraction[None, :, None]
    top_left, top_right = source[row_floor][:, col_floor], source[row_floor][:, col_ceil]
    bottom_left, bottom_right = source[row_ceil][:, col_floor], source[row_ceil][:, col_ceil]
    top = top_left + (top_right - top_left) * col_fraction
    bottom = bottom_left + (bottom_right - bottom_left) * col_fraction
    return (top + (bottom - top) * row_fraction[:, None, None]).astype(np.float32)


def to_input(crops: list[np.ndarray] | np.ndarray) -> Tensor:
    """RGB uint8 H×W×3 face crops (any size; squares need no padding) → the network's N×3×112×112 input."""
    batch = []
    for crop in crops:
        square = pad_to_square(crop)
        resized = square.astype(np.float32) if square.shape[0] == INPUT_SIZE else resize_bilinear_legacy(
            square, INPUT_SIZE
        )
        batch.append(resized)
    x = torch.from_numpy(np.stack(batch))
    x = (x - torch.tensor(MEAN_RGB, dtype=torch.float32)) / 255.0
    return x.permute(0, 3, 1, 2).contiguous()
