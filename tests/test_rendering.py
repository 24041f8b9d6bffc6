"""render_meme: text fits its box, looks like a meme, and is encoded as asked."""

import io
import math
from dataclasses import replace

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageDraw, ImageFilter

from generator.fonts import ANTON, FONTS, NOTO_SANS_HEAVY, segment
from generator.rendering import RESAMPLE, render_meme, style_text
from memes.layout import TOP_AND_BOTTOM, TextBox

MIDDLE = TextBox(x=0.25, y=0.35, width=0.5, height=0.3)
WORDS = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "


def grey(width=400, height=300, mode="RGB"):
    return Image.new(mode, (width, height), (128,) * len(mode))


def render(image, boxes, lines, **params):
    """Render to PNG, so comparisons are exact, and decode the result."""
    data = render_meme(image, boxes, lines, format="png", **params)
    return Image.open(io.BytesIO(data))


def changed(before, after):
    """Boolean mask of the pixels that differ."""
    a = np.asarray(before.convert("RGB"), dtype=int)
    b = np.asarray(after.convert("RGB"), dtype=int)
    return np.any(a != b, axis=-1)


def box_rect(box, size):
    width, height = size
    left, top = round(box.x * width), round(box.y * height)
    return left, top, left + round(box.width * width), top + round(box.height * height)


def outside(mask, rect):
    left, top, right, bottom = rect
    inside = np.zeros_like(mask)
    inside[top:bottom, left:right] = True
    return int(np.count_nonzero(mask & ~inside))


def first_line_height(mask):
    """Height of the topmost band of rows with ink: the first line of text."""
    rows = np.flatnonzero(mask.any(axis=1))
    gaps = np.flatnonzero(np.diff(rows) > 1)
    end = rows[gaps[0]] if gaps.size else rows[-1]
    return end - rows[0] + 1


def columns_with_ink(mask):
    cols = np.flatnonzero(mask.any(axis=0))
    return cols[0], cols[-1]


def test_text_lands_inside_its_box():
    image = grey()
    before = image.copy()
    mask = changed(image, render(image, [MIDDLE], ["one does not simply"]))
    left, top, right, bottom = box_rect(MIDDLE, image.size)
    assert outside(mask, (left, top, right, bottom)) == 0
    assert mask.sum() > 0.15 * (right - left) * (bottom - top)
    assert changed(before, image).sum() == 0  # the caller's image is left alone


def ink(before, after):
    """RGB values of the pixels that changed, one row each."""
    return np.asarray(after.convert("RGB"), dtype=int)[changed(before, after)]


def count(pixels, low, high):
    return int(np.count_nonzero(((pixels >= low) & (pixels <= high)).all(axis=1)))


def test_text_is_white_with_a_black_outline():
    image = grey()
    pixels = ink(image, render(image, [MIDDLE], ["one does not simply"]))
    assert count(pixels, (231, 231, 231), (255, 255, 255)) > 200
    assert count(pixels, (0, 0, 0), (24, 24, 24)) > 200


def test_dark_text_gets_a_light_outline():
    image = grey()
    pixels = ink(image, render(image, [TextBox(color="#000000")], ["dark"]))
    assert count(pixels, (0, 0, 0), (24, 24, 24)) > 100
    assert count(pixels, (231, 231, 231), (255, 255, 255)) > 100


def test_the_colour_is_used():
    image = grey()
    pixels = ink(image, render(image, [TextBox(color="yellow")], ["yellow"]))
    assert count(pixels, (231, 231, 0), (255, 255, 29)) > 100


@pytest.mark.parametrize(
    "text",
    [
        (WORDS * 200)[:10_000],
        "A" * 10_000,
        "\n".join(["line"] * 2_000),
    ],
    ids=["10k-chars-of-words", "10k-char-word", "2k-newlines"],
)
@pytest.mark.timeout(60)  # a guard against a fit that never ends; its speed is bench_render's to measure
def test_huge_text_stays_inside_its_box(text):
    image = grey()
    mask = changed(image, render(image, [MIDDLE], [text]))
    assert outside(mask, box_rect(MIDDLE, image.size)) == 0
    assert mask.sum() > 1000


def test_a_short_line_is_drawn_bigger_than_a_long_one():
    image = grey(400, 400)
    box = TextBox(x=0.1, y=0.1, width=0.8, height=0.3)
    short = first_line_height(changed(image, render(image, [box], ["HI"])))
    long = first_line_height(changed(image, render(image, [box], ["HI " * 40])))
    assert short > 1.5 * long


def test_a_long_word_is_shrunk_onto_one_line_in_the_box():
    image = grey(400, 400)
    box = TextBox(x=0.1, y=0.1, width=0.8, height=0.3)
    mask = changed(image, render(image, [box], ["Pneumonoultramicroscopicsilicovolcanoconiosis"]))
    assert outside(mask, box_rect(box, image.size)) == 0
    left, right = columns_with_ink(mask)
    assert right - left > 0.8 * 320  # it spans the box instead of being cut


def test_styles():
    assert style_text("Hello, world", "upper") == "HELLO, WORLD"
    assert style_text("Hello, world", "none") == "Hello, world"
    assert style_text("Hello, world", "mock") == "hElLo, WoRlD"
    assert style_text("Hello, world", "lower") == "hello, world"
    assert style_text("hello, world", "title") == "Hello, World"
    assert style_text("hello, world", "default") == "Hello, world"
    assert style_text("hello, NASA", "default") == "hello, NASA"  # typed with capitals: kept
    assert style_text("Hello", "sparkly") == "Hello"  # unknown: as typed


def test_upper_style_changes_the_pixels():
    image = grey()
    upper = render(image, [TextBox(style="upper")], ["abc"])
    none = render(image, [TextBox(style="none")], ["abc"])
    typed_upper = render(image, [TextBox(style="none")], ["ABC"])
    assert changed(upper, none).sum() > 100
    assert changed(upper, typed_upper).sum() == 0


def test_mock_style_renders_alternating_case():
    image = grey()
    mock = render(image, [TextBox(style="mock")], ["hello"])
    typed = render(image, [TextBox(style="none")], ["hElLo"])
    assert changed(mock, typed).sum() == 0


@pytest.mark.parametrize(
    "text",
    [
        "Crème brûlée, ñandú",
        "Καλημέρα κόσμε",
        "Привет, мир",
        "日本語",
        "🔥😂",
        "mixed Ελληνικά и 日本 🔥 e\u0301",
    ],
)
def test_any_script_renders_inside_its_box(text):
    image = grey()
    mask = changed(image, render(image, [MIDDLE], [text]))
    assert outside(mask, box_rect(MIDDLE, image.size)) == 0
    assert mask.sum() > 200


def test_characters_anton_lacks_come_from_noto_sans():
    # Greek and Cyrillic have no glyphs in Anton; a per-pixel check could not
    # tell a fallback glyph from a missing-glyph box, so check the split itself.
    assert segment("ÉTÉ", FONTS["thick"]) == (("ÉTÉ", ANTON),)
    assert segment("MEMEЖλMEME", FONTS["thick"]) == (
        ("MEME", ANTON),
        ("Жλ", NOTO_SANS_HEAVY),
        ("MEME", ANTON),
    )


@pytest.mark.parametrize("lines", [[], [""], ["", "   \n  "]])
def test_empty_lines_draw_nothing(lines):
    image = Image.fromarray(skimage.data.astronaut())
    plain = render(image, [], [], width=300)
    assert changed(plain, render(image, TOP_AND_BOTTOM, lines, width=300)).sum() == 0


def test_extra_lines_are_ignored_and_missing_ones_leave_boxes_empty():
    image = grey()
    top_only = render(image, TOP_AND_BOTTOM[:1], ["top"])
    assert changed(top_only, render(image, TOP_AND_BOTTOM[:1], ["top", "ignored"])).sum() == 0
    assert changed(top_only, render(image, TOP_AND_BOTTOM, ["top"])).sum() == 0


def test_top_and_bottom_draw_only_in_their_bands():
    image = Image.fromarray(skimage.data.astronaut())
    plain = render(image, [], [], width=400)
    meme = render(image, TOP_AND_BOTTOM, ["one does not simply", "walk into mordor"], width=400)
    mask = changed(plain, meme)
    rows = mask.any(axis=1)
    assert rows[:80].any() and rows[320:].any()
    assert not rows[80:320].any()


def test_alignment():
    image = grey(400, 200)
    box = TextBox(x=0.1, y=0.1, width=0.8, height=0.8)
    def ink_columns(align):
        return columns_with_ink(changed(image, render(image, [replace(box, align=align)], ["a"])))

    left_edge, _ = ink_columns("left")
    _, right_edge = ink_columns("right")
    centre_left, centre_right = ink_columns("center")
    assert 40 <= left_edge < 50
    assert 350 < right_edge < 360
    assert abs((centre_left + centre_right) / 2 - 200) < 3


def rotated_footprint(box, size, angle, margin):
    """Mask of the box rotated counter-clockwise about its centre, grown by margin px."""
    left, top, right, bottom = box_rect(box, size)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    a = math.radians(angle)

    def turn(x, y):
        dx, dy = x - cx, y - cy
        return cx + dx * math.cos(a) + dy * math.sin(a), cy - dx * math.sin(a) + dy * math.cos(a)

    corners = [turn(left, top), turn(right, top), turn(right, bottom), turn(left, bottom)]
    mask = Image.new("L", size)
    ImageDraw.Draw(mask).polygon(corners, fill=255)
    return np.asarray(mask.filter(ImageFilter.MaxFilter(2 * margin + 1))) > 0


def test_a_rotated_box_draws_only_in_its_rotated_footprint():
    image = grey(400, 400)
    box = TextBox(x=0.1, y=0.4, width=0.8, height=0.2, angle=30)
    mask = changed(image, render(image, [box], ["rotated text here"]))
    assert np.count_nonzero(mask & ~rotated_footprint(box, image.size, 30, margin=3)) == 0
    assert outside(mask, box_rect(box, image.size)) > 100  # it really was turned
    # Counter-clockwise: the right end of the text rises above the box.
    top_rows = mask[: round(0.4 * 400)]
    assert top_rows[:, 200:].sum() > top_rows[:, :200].sum()


@pytest.mark.parametrize(
    "fmt, magic, offset",
    [
        ("jpeg", b"\xff\xd8\xff", 0),
        ("JPG", b"\xff\xd8\xff", 0),
        ("png", b"\x89PNG\r\n\x1a\n", 0),
        ("WebP", b"WEBP", 8),  # after RIFF and the chunk size
        ("gif", b"GIF8", 0),
    ],
)
def test_output_formats(fmt, magic, offset):
    data = render_meme(grey(), [MIDDLE], ["hi"], format=fmt)
    assert data[offset : offset + len(magic)] == magic
    assert Image.open(io.BytesIO(data)).size == (400, 300)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown output format 'bmp'"):
        render_meme(grey(), [MIDDLE], ["hi"], format="bmp")


@pytest.mark.parametrize(
    "size, expected",
    [
        ({"width": 200}, (200, 150)),
        ({"height": 150}, (200, 150)),
        ({"width": 200, "height": 50}, (67, 50)),  # both: fit inside
        ({}, (400, 300)),
    ],
)
def test_resizing_keeps_the_aspect_ratio(size, expected):
    assert render(grey(), [MIDDLE], ["hi"], **size).size == expected


def test_the_resize_happens_before_drawing():
    image = grey(800, 600)
    small = render(image, [MIDDLE], ["hi"], width=400)
    assert changed(small, render(image.resize((400, 300), RESAMPLE), [MIDDLE], ["hi"])).sum() == 0


def test_a_non_positive_size_is_refused():
    with pytest.raises(ValueError, match="positive"):
        render_meme(grey(), [MIDDLE], ["hi"], width=0)


@pytest.mark.parametrize("mode", ["RGBA", "P", "LA", "L", "CMYK", "I;16", "1"])
@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_any_input_mode_renders(mode, fmt):
    image = Image.new("RGB", (120, 90), "orange").convert(mode)
    data = render_meme(image, [MIDDLE], ["hi"], format=fmt)
    assert Image.open(io.BytesIO(data)).size == (120, 90)


def test_png_keeps_transparency_and_jpeg_flattens_it_onto_white():
    clear = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    png = render(clear, [MIDDLE], ["hi"])
    assert png.mode == "RGBA"
    assert png.getpixel((5, 5))[3] == 0
    assert png.getchannel("A").getextrema()[1] == 255  # the text is opaque
    jpeg = Image.open(io.BytesIO(render_meme(clear, [MIDDLE], ["hi"], format="jpeg")))
    assert min(jpeg.getpixel((5, 5))) > 245


def test_16_bit_input_is_scaled_not_clipped():
    image = Image.fromarray(np.full((60, 80), 16384, dtype=np.uint16))
    assert render(image, [], []).getpixel((5, 5)) == (64, 64, 64)
