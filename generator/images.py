"""Open untrusted image uploads safely. Pure Pillow; no Django."""

from __future__ import annotations

import io
import warnings
from typing import BinaryIO

from PIL import Image, ImageOps

# Only these decoders ever see upload bytes: formats= stops Pillow from trying
# its other plugins (EPS via Ghostscript, TIFF via libtiff, ...) on them.
# The JPEG opener also takes the multi-picture JPEGs (MPO) phone cameras write.
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")

_BOMBS = (Image.DecompressionBombError, Image.DecompressionBombWarning)

NOT_AN_IMAGE = "not an image Pillow can read; upload a JPEG, PNG, GIF or WebP"


class ImageRejected(ValueError):
    """An upload we will not decode; str(exc) is safe to show the user."""


def open_image(
    source: bytes | BinaryIO,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    max_pixels: int = 25_000_000,
) -> Image.Image:
    """Decode an upload into an upright, fully loaded RGB or RGBA image."""
    data = _read_limited(source, max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse instead.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _open_header(data)
            _check_pixels(image.size, max_pixels)
            image = _decode(image)
    except _BOMBS:
        # Pillow's own limit fired before ours could (on open, or on load).
        raise ImageRejected(f"the image has too many pixels; {_pixel_limit(max_pixels)}") from None
    return normalize_mode(image)


def normalize_mode(image: Image.Image) -> Image.Image:
    """Return RGBA when the image carries transparency, RGB otherwise."""
    if image.mode in ("RGB", "RGBA"):
        return image
    if image.mode.startswith("I"):
        # 16-bit greyscale: convert() would clip at 255 instead of scaling.
        return image.convert("I").point(lambda v: v / 256).convert("RGB")
    if "A" in image.mode or "a" in image.mode or "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB")


def _read_limited(source: bytes | BinaryIO, max_bytes: int) -> bytes:
    # Read one byte past the limit so an oversized stream is never read whole.
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source[: max_bytes + 1])
    else:
        data = source.read(max_bytes + 1)
    if not data:
        raise ImageRejected("the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected(f"the file is larger than {_human_size(max_bytes)}")
    return data


def _open_header(data: bytes) -> Image.Image:
    # Image.open parses the header only; no pixel data is decoded yet.
    try:
        return Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except _BOMBS:
        raise
    except Exception:
        raise ImageRejected(NOT_AN_IMAGE) from None


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageRejected(f"the image is {width}×{height} pixels; {_pixel_limit(max_pixels)}")


def _decode(image: Image.Image) -> Image.Image:
    # load() reads the first frame only: animations are flattened to it for now.
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except _BOMBS:
        raise
    except Exception:
        # Pillow's decoders raise OSError, SyntaxError, ValueError, zlib and
        # struct errors on bad input; to the user they all mean the same.
        raise ImageRejected("the image is truncated or corrupt") from None


def _pixel_limit(max_pixels: int) -> str:
    return f"the limit is {max_pixels / 1_000_000:g} megapixels"


def _human_size(n: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"
