"""open_image: untrusted uploads are decoded safely or rejected with a clear message."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from memesite.images import NOT_AN_IMAGE, ImageRejected, open_image


def encode(image, fmt, **params):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def noise(width=64, height=48, mode="RGB"):
    rng = np.random.default_rng(0)
    channels = len(mode)
    return Image.fromarray(rng.integers(0, 256, (height, width, channels), dtype=np.uint8), mode)


def png_claiming(width, height):
    """A tiny PNG whose IHDR claims width x height; its pixel data is bogus."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def rejected(data, **limits):
    with pytest.raises(ImageRejected) as excinfo:
        open_image(data, **limits)
    return str(excinfo.value)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_it_opens_each_allowed_format(fmt):
    image = open_image(encode(noise(), fmt))
    assert image.size == (64, 48)
    assert image.mode == "RGB"
    assert np.asarray(image).shape == (48, 64, 3)  # pixels are loaded


def test_it_reads_a_stream():
    image = open_image(io.BytesIO(encode(noise(), "PNG")))
    assert np.array_equal(np.asarray(image), np.asarray(noise()))


def test_it_accepts_multi_picture_jpegs_from_phones():
    first, second = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (32, 32), "blue")
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    red, green, blue = open_image(data).getpixel((16, 16))
    assert red > 200 and green < 50 and blue < 50


def test_empty_input_is_rejected():
    assert "empty" in rejected(b"")
    assert "empty" in rejected(io.BytesIO())


def test_too_many_bytes_are_rejected():
    data = encode(noise(), "PNG")
    assert "larger than 100 bytes" in rejected(data, max_bytes=100)
    assert "larger than 10 MB" in rejected(b"\0" * (10 * 1024 * 1024 + 1))


def test_a_stream_is_read_no_further_than_the_limit():
    class Recording(io.BytesIO):
        requested = []

        def read(self, size=-1):
            self.requested.append(size)
            return super().read(size)

    stream = Recording(b"\0" * 10_000)
    rejected(stream, max_bytes=100)
    assert stream.requested == [101]


def test_bytes_that_are_not_an_image_are_rejected():
    assert rejected(b"hello, this is not an image" * 10) == NOT_AN_IMAGE


def test_formats_other_than_jpeg_png_gif_webp_are_rejected():
    for fmt in ("BMP", "TIFF", "ICO"):
        assert rejected(encode(noise(), fmt)) == NOT_AN_IMAGE


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_are_rejected(fmt):
    data = encode(noise(256, 256), fmt)
    assert "truncated or corrupt" in rejected(data[: len(data) // 2])


@pytest.mark.timeout(60)  # a guard, not a speed target: decoding is never reached
def test_a_header_claiming_too_many_pixels_is_rejected_before_decoding():
    # The file holds bogus pixel data: a message naming 9000×9000 can only come from the header.
    message = rejected(png_claiming(9_000, 9_000))
    assert message == "the image is 9000×9000 pixels; the limit is 25 megapixels"


def test_a_header_claiming_30000_by_30000_trips_pillows_own_bomb_check_first():
    message = rejected(png_claiming(30_000, 30_000))
    assert message == "the image has too many pixels; the limit is 25 megapixels"
    assert "too many pixels" in rejected(png_claiming(30_000, 30_000), max_pixels=10**12)


def test_pillows_bomb_warning_becomes_a_rejection(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    data = encode(noise(40, 40), "PNG")  # 1,600 pixels: Pillow would only warn
    assert "too many pixels" in rejected(data)


def test_a_highly_compressible_bomb_is_rejected():
    data = encode(Image.new("L", (4000, 4000)), "PNG")
    assert len(data) < 100_000
    assert "4000×4000" in rejected(data, max_pixels=1_000_000)


def test_cmyk_jpeg_becomes_rgb():
    cmyk_red = Image.new("CMYK", (32, 32), (0, 255, 255, 0))
    image = open_image(encode(cmyk_red, "JPEG"))
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((16, 16))
    assert red > 200 and green < 60 and blue < 60


def red_over_blue(width=40, height=60):
    image = Image.new("RGB", (width, height), "blue")
    image.paste("red", (0, 0, width, height // 2))
    return image


def with_orientation(image, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, "JPEG", exif=exif)


def is_red(pixel):
    return pixel[0] > 200 and pixel[2] < 60


def is_blue(pixel):
    return pixel[2] > 200 and pixel[0] < 60


def test_exif_orientation_3_turns_the_image_upside_down():
    image = open_image(with_orientation(red_over_blue(), 3))
    assert image.size == (40, 60)
    assert is_blue(image.getpixel((20, 5))) and is_red(image.getpixel((20, 55)))


def test_exif_orientation_6_turns_the_image_a_quarter_clockwise():
    image = open_image(with_orientation(red_over_blue(), 6))
    assert image.size == (60, 40)
    # The stored top (red) is shown on the right by an upright viewer.
    assert is_red(image.getpixel((55, 20))) and is_blue(image.getpixel((5, 20)))


def test_rgba_png_keeps_its_alpha():
    rgba = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    rgba.paste((0, 255, 0, 255), (0, 0, 10, 20))
    image = open_image(encode(rgba, "PNG"))
    assert image.mode == "RGBA"
    assert image.getpixel((5, 5)) == (0, 255, 0, 255)
    assert image.getpixel((15, 5))[3] == 0


def test_palette_gif_becomes_rgb():
    palette = Image.new("RGB", (20, 20), "red").convert("P")
    image = open_image(encode(palette, "GIF"))
    assert image.mode == "RGB" and is_red(image.getpixel((10, 10)))


def test_palette_gif_with_transparency_becomes_rgba():
    frame = Image.new("P", (20, 20), 0)
    frame.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    frame.paste(1, (0, 0, 10, 20))
    image = open_image(encode(frame, "GIF", transparency=1))
    assert image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 0 and image.getpixel((15, 5)) == (255, 0, 0, 255)


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (20, 20), colour).convert("P") for colour in ("red", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    image = open_image(data)
    assert is_red(image.getpixel((10, 10)))
    assert getattr(image, "n_frames", 1) == 1


def test_16_bit_greyscale_png_is_scaled_not_clipped():
    grey16 = Image.fromarray(np.full((10, 10), 32768, dtype=np.uint16))
    assert grey16.mode == "I;16"
    image = open_image(encode(grey16, "PNG"))
    assert image.mode == "RGB"
    assert image.getpixel((5, 5)) == (128, 128, 128)
