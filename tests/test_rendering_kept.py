"""What the renderer keeps between renders (resized pictures, fitted layouts, drawn boxes) changes no pixel."""

import io

import numpy as np
from PIL import Image

from generator import rendering
from generator.rendering import render_meme
from memes.layout import TOP_AND_BOTTOM, TextBox

BOXES = [
    *TOP_AND_BOTTOM,
    TextBox(x=0.1, y=0.3, width=0.5, height=0.3, angle=12.5, style="none", color="black", font="thin"),
    TextBox(x=0.3, y=0.5, width=0.6, height=0.25, align="left", font="comic", color="#ff0"),
]
LINES = ["one does not simply", "render a meme twice", "the dress is black and blue.", "Ünïcödé λόγος"]


def picture(seed: int, mode: str = "RGB", size=(500, 380)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], len(mode)), dtype=np.uint8)
    return Image.fromarray(pixels, mode)


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_a_render_from_what_was_kept_is_the_same_as_a_first_one():
    for mode, fmt in (("RGB", "png"), ("RGBA", "png"), ("RGB", "jpeg")):
        image = picture(1, mode)
        with rendering.nothing_kept():
            first = render_meme(image, BOXES, LINES, width=600, format=fmt)
        render_meme(image, BOXES, LINES, width=600, format=fmt)
        again = render_meme(image, BOXES, LINES, width=600, format=fmt)  # the picture, layouts and boxes kept
        assert again == first, mode


def test_a_kept_picture_is_only_ever_the_same_pixels():
    one, other = picture(1), picture(2)  # the same size, other pixels
    render_meme(one, BOXES[:1], ["top"], width=600, format="png")
    with rendering.nothing_kept():
        expected = render_meme(other, BOXES[:1], ["top"], width=600, format="png")
    assert render_meme(other, BOXES[:1], ["top"], width=600, format="png") == expected
    # A picture's pixels changed after it was rendered: its new pixels are drawn on.
    edited = one.copy()
    edited.paste((255, 0, 0), (0, 0, 500, 380))
    assert (pixels(render_meme(edited, [], [], width=600, format="png"))[..., :3] == (255, 0, 0)).all()


def test_drawing_on_a_render_never_reaches_what_is_kept():
    image = picture(3)
    first = render_meme(image, BOXES, LINES, width=600, format="png")
    kept = rendering._resize(image, 600, None)
    kept.paste((0, 0, 0), (0, 0, 600, 456))  # the canvas the caller gets is its own
    assert render_meme(image, BOXES, LINES, width=600, format="png") == first


def test_what_is_kept_stays_within_its_budget(monkeypatch):
    monkeypatch.setattr(rendering, "_resized", rendering._Kept(4 * 600 * 456 * 3, rendering._image_bytes))
    for seed in range(6):
        render_meme(picture(seed), [], [], width=600, format="png")
    assert len(rendering._resized.items) == 4
    render_meme(picture(9, size=(1000, 760)), [], [], width=1200, format="png")  # over a quarter: not kept
    assert len(rendering._resized.items) == 4


def test_boxes_of_unhashable_values_are_drawn_not_kept():
    class Box(TextBox):
        __hash__ = None

    box = Box(**{field: getattr(TOP_AND_BOTTOM[0], field) for field in TextBox.__dataclass_fields__})
    image = picture(4)
    assert render_meme(image, [box], ["top"], width=600, format="png") == render_meme(
        image, TOP_AND_BOTTOM[:1], ["top"], width=600, format="png"
    )


def test_a_decoded_template_is_kept_for_the_same_bytes_and_never_drawn_on():
    def png(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    decoded = []

    def decode(data: bytes) -> Image.Image:
        decoded.append(data)
        image = Image.open(io.BytesIO(data))
        image.load()
        return image

    one, other = png(picture(1)), png(picture(2))
    with rendering.nothing_kept():
        kept = rendering.picture_decoded(one, decode)
        pixels_before = kept.tobytes()
        render_meme(kept, BOXES, LINES, width=600, format="png")
        assert rendering.picture_decoded(one, decode) is kept and kept.tobytes() == pixels_before
        assert rendering.picture_decoded(other, decode).tobytes() == picture(2).tobytes()
    assert decoded == [one, other]
