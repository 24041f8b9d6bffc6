"""ml.memeparse on memes our own renderer draws: the text read, the boxes found, the text lifted off; a template
recognised after resizing, JPEG and a crop."""

import io
import os
from importlib import resources

import numpy as np
import pytest
from PIL import Image

from generator.rendering import render_meme
from memes.layout import TOP_AND_BOTTOM
from ml.memeparse import ocr_available, parse_meme
from ml.memeparse.phash import best_match, distance, phash

needs_ocr = pytest.mark.skipif(
    not ocr_available() and not os.environ.get("SLOWMEME_REQUIRE_OCR"),
    reason="Tesseract is not installed (apt-get install tesseract-ocr); SLOWMEME_REQUIRE_OCR makes this fail",
)


def sample(name: str) -> Image.Image:
    return Image.open(io.BytesIO(resources.files("skimage.data").joinpath(name).read_bytes())).convert("RGB")


def rendered(name: str, lines, *, width=600, quality=85) -> Image.Image:
    return Image.open(io.BytesIO(render_meme(sample(name), TOP_AND_BOTTOM, lines, width=width, quality=quality)))


def iou(a, b) -> float:
    ax0, ay0, aw, ah = a
    bx0, by0, bw, bh = b
    w = max(0.0, min(ax0 + aw, bx0 + bw) - max(ax0, bx0))
    h = max(0.0, min(ay0 + ah, by0 + bh) - max(ay0, by0))
    return w * h / (aw * ah + bw * bh - w * h)


@needs_ocr
@pytest.mark.parametrize("name", ["chelsea.png", "rocket.jpg"])
def test_a_rendered_meme_gives_its_caption_and_boxes(name):
    lines = ["YOU CALL THIS", "A MEME?"]
    proposal = parse_meme(rendered(name, lines))
    assert proposal.caption == lines
    for box, truth in zip(proposal.boxes, TOP_AND_BOTTOM):
        assert iou(box.geometry(), (truth.x, truth.y, truth.width, truth.height)) >= 0.7
        assert box.style == "upper" and box.color == "white"


@needs_ocr
def test_the_text_is_lifted_off():
    blank = np.asarray(sample("chelsea.png").resize((600, 600 * 300 // 451)), dtype=np.float32)
    meme = rendered("chelsea.png", ["YOU CALL THIS", "A MEME?"])
    proposal = parse_meme(meme)
    box = TOP_AND_BOTTOM[0]
    h, w = blank.shape[:2]
    rows = slice(round(box.y * h), round((box.y + box.height) * h))
    before = np.abs(np.asarray(meme, dtype=np.float32)[rows] - blank[rows]).mean()
    after = np.abs(proposal.clean.astype(np.float32)[rows] - blank[rows]).mean()
    assert after < before / 2


def test_a_picture_without_text_has_no_boxes():
    proposal = parse_meme(sample("coffee.png"), read=False)
    assert len(proposal.boxes) <= 1  # at most a bright speck; with reading on, words are asked for


def test_a_template_is_recognised_after_jpeg_resizing_and_a_crop():
    names = ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png", "camera.png", "moon.png"]
    known = {name: phash(np.asarray(sample(name))) for name in names}
    for name in names:
        meme = rendered(name, ["WHEN YOU SEE IT", "YOU CANNOT UNSEE IT"], width=400, quality=45)
        w, h = meme.size
        meme = meme.crop((round(0.03 * w), round(0.02 * h), w - round(0.02 * w), h))
        clean = parse_meme(meme, read=False).clean
        match = best_match(phash(clean), known)
        assert match is not None and match.key == name
    # A photo that is no template matches none of them.
    other = phash(np.asarray(sample("hubble_deep_field.jpg")))
    assert best_match(other, known) is None or min(distance(other, v) for v in known.values()) > 12
