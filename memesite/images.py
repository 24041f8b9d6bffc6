"""Open untrusted image uploads safely. Pure Pillow; no Django."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, ImageSequence

# Only these decoders ever see upload bytes: formats= stops Pillow from trying
# its other plugins (EPS via Ghostscript, TIFF via libtiff, ...) on them.
# The JPEG opener also takes the multi-picture JPEGs (MPO) phone cameras write.
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")

_BOMBS = (Image.DecompressionBombError, Image.DecompressionBombWarning)

NOT_AN_IMAGE = "not an image Slowmeme can read; upload a JPEG, PNG, GIF or WebP"


# Browsers play a GIF frame of 0 or 10 ms (the "as fast as you can" of old encoders) at 100 ms: so do we.
MIN_FRAME_MS = 20
SLOW_FRAME_MS = 100
# Decoding every frame costs time however few are kept: an animation may hold this many images' worth of pixels.
ANIMATION_PIXEL_FACTOR = 8
# The kept frames are held decoded at once (4 bytes a pixel with transparency), in the web process and the worker:
# at most this many images' worth, 200 MB at the 25-megapixel limit (48 frames of 1 megapixel). 48 frames of
# 5000×830 pixels, a 0.7 MB APNG, took a worker past 1.6 GB.
KEPT_PIXEL_FACTOR = 2
# A meme is drawn at a fixed width (800 pixels, up to 1600 by address): a 200×100000 picture, under the pixel limit,
# would be drawn 800×400000 (gigabytes), and a 1×25000000 one overflows. The longer side is at most this many times
# the shorter; with the pixel limit, that also bounds each side.
MAX_ASPECT = 20


class ImageRejected(ValueError):
    """An upload we will not decode; str(exc) is safe to show the user."""


@dataclass(frozen=True)
class Animation:
    """The frames of an animated GIF or WebP, each whole (composited) and of one mode, RGB or RGBA."""

    frames: tuple[Image.Image, ...]
    durations: tuple[int, ...]  # milliseconds each frame shows
    loop: int | None = 0  # times to repeat, 0 forever; None: play once (a GIF without a loop count)

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0].size

    @property
    def mode(self) -> str:
        return self.frames[0].mode


def open_image(
    source: bytes | BinaryIO,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    max_pixels: int = 25_000_000,
    max_frames: int | None = None,
) -> Image.Image | Animation:
    """Decode an upload into an upright, fully loaded RGB or RGBA image.

    With max_frames, an animated GIF or WebP comes back as an Animation of at most that many frames (dropped
    evenly, each kept frame showing as long as the frames it stands for, so the animation keeps its pace);
    without, an animation is read as its first frame."""
    data = _read_limited(source, max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse instead.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _open_header(data)
            _check_pixels(image.size, max_pixels)
            _check_shape(image.size)
            if max_frames and getattr(image, "n_frames", 1) > 1:
                return _decode_animation(image, max_pixels, max_frames)
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
    if _has_alpha(image):
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


def _check_shape(size: tuple[int, int]) -> None:
    width, height = size
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageRejected(
            f"the image is {width}×{height} pixels, too {'tall' if height > width else 'wide'} to draw a meme on; "
            f"its longer side may be at most {MAX_ASPECT} times its shorter"
        )


def _decode(image: Image.Image) -> Image.Image:
    # load() reads the first frame only: an animation read this way is its first frame.
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except _BOMBS:
        raise
    except Exception:
        # Pillow's decoders raise OSError, SyntaxError, ValueError, zlib and
        # struct errors on bad input; to the user they all mean the same.
        raise ImageRejected("the image is truncated or corrupt") from None


def _decode_animation(image: Image.Image, max_pixels: int, max_frames: int) -> Animation:
    count = image.n_frames
    width, height = image.size
    if count * width * height > ANIMATION_PIXEL_FACTOR * max_pixels:
        raise ImageRejected(
            f"the animation is {count} frames of {width}×{height} pixels; "
            f"at most {ANIMATION_PIXEL_FACTOR * max_pixels / 1_000_000:g} megapixels in all"
        )
    kept = frames_kept(count, max_frames)
    if len(kept) * width * height > KEPT_PIXEL_FACTOR * max_pixels:
        raise ImageRejected(
            f"the animation keeps {len(kept)} frames of {width}×{height} pixels; "
            f"at most {KEPT_PIXEL_FACTOR * max_pixels / 1_000_000:g} megapixels in all"
        )
    loop = image.info.get("loop")
    frames, durations = [], [0] * len(kept)
    slot = -1  # the kept frame that the frame being read is folded into
    try:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            frame.load()  # WebP tells a frame's duration only once it is decoded
            if slot + 1 < len(kept) and index == kept[slot + 1]:
                slot += 1
                frames.append(_frame_kept(frame))
            durations[slot] += _frame_ms(frame.info.get("duration"))
    except _BOMBS:
        raise
    except Exception:
        raise ImageRejected("the image is truncated or corrupt") from None
    if any(frame.mode == "RGBA" for frame in frames):
        for index, frame in enumerate(frames):  # one at a time: never two copies of every frame
            if frame.mode != "RGBA":
                frames[index] = frame.convert("RGBA")
                frames[index].info = {}
    return Animation(tuple(frames), tuple(durations), loop)


def _frame_kept(frame: Image.Image) -> Image.Image:
    """A frame as an Animation keeps it: upright, RGB or RGBA, with no info (a comment, EXIF). Converted as it is
    read, so that only the converted frames stay in memory."""
    upright = ImageOps.exif_transpose(frame)  # a copy: the file's frame moves on
    kept = upright.convert("RGBA" if _has_alpha(upright) else "RGB")  # a copy again, whose info we may empty
    kept.info = {}
    return kept


def pixels_only(picture: Image.Image | Animation) -> tuple[bytes, str]:
    """A decoded upload (open_image's) encoded again with nothing but its pixels: no EXIF (a phone's photo says where
    and with what it was taken), XMP, comments, text chunks or colour profile. A still image as JPEG, or PNG when it
    has transparency; an animation as WebP, its frames, times and loop kept. Answers the bytes and the extension."""
    buffer = io.BytesIO()
    if isinstance(picture, Animation):
        first, *others = picture.frames  # bare already (_frame_kept): no second copy of every frame
        first.save(
            buffer, format="WEBP", save_all=True, append_images=others, duration=list(picture.durations),
            loop=1 if picture.loop is None else picture.loop, quality=95,  # WebP says "once" as 1, not by leaving it out
        )  # fmt: skip
        return buffer.getvalue(), "webp"
    if picture.mode == "RGBA":
        _bare(picture).save(buffer, format="PNG")
        return buffer.getvalue(), "png"
    _bare(picture).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue(), "jpg"


def _bare(image: Image.Image) -> Image.Image:
    # Pillow's writers carry some of image.info (a profile, comments, EXIF) into the file: leave it empty.
    bare = image.copy()
    bare.info = {}
    return bare


def frames_kept(count: int, max_frames: int) -> list[int]:
    """Indices of the frames to keep of count, at most max_frames, spread evenly from the first."""
    if count <= max_frames:
        return list(range(count))
    return [index * count // max_frames for index in range(max_frames)]


def _frame_ms(duration) -> int:
    if not isinstance(duration, (int, float)) or duration < MIN_FRAME_MS:
        return SLOW_FRAME_MS
    return round(duration)


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.mode or "a" in image.mode or "transparency" in image.info


def _pixel_limit(max_pixels: int) -> str:
    return f"the limit is {max_pixels / 1_000_000:g} megapixels"


def _human_size(n: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"
