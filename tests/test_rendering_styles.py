"""Styles and fonts: the thick, thin and comic fonts, text and outline colours per box, and nothing on the picture
but the text (no watermark)."""

import io
from dataclasses import replace

import numpy as np
import pytest
import skimage.data
from django.core.exceptions import ValidationError
from PIL import Image

from generator.fonts import ANTON, KALAM, NOTO_SANS, box_faces
from generator.rendering import RESAMPLE, render_meme
from memes.layout import TOP_AND_BOTTOM, TextBox
from memes.models import Template
from memes.models import TextBox as TextBoxRow

from .test_import_templates import CONFIG, make_folder, run_import

MIDDLE = TextBox(x=0.1, y=0.3, width=0.8, height=0.4)
GREY = (128, 128, 128)
GREY_HEX = "#808080"


def render(image, boxes, lines, **params) -> np.ndarray:
    data = render_meme(image, boxes, lines, format="png", **params)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)


def grey():
    return Image.new("RGB", (400, 300), GREY)


def near(pixels: np.ndarray, colour, tolerance=30) -> int:
    return int(np.count_nonzero((np.abs(pixels - np.array(colour)) <= tolerance).all(axis=-1)))


def test_each_font_is_its_own_face():
    assert (box_faces("thick")[0], box_faces("thin")[0], box_faces("comic")[0]) == (ANTON, NOTO_SANS, KALAM)
    assert box_faces("no such font")[0] == ANTON
    drawn = {font: render(grey(), [replace(MIDDLE, font=font)], ["Fonts differ"])
             for font in ("thick", "thin", "comic")}
    assert np.any(drawn["thick"] != drawn["thin"]) and np.any(drawn["thin"] != drawn["comic"])
    assert np.any(drawn["thick"] != drawn["comic"])


def test_thin_letters_are_thinner_than_thick_ones():
    def white(font):
        return near(render(grey(), [replace(MIDDLE, font=font, outline=GREY_HEX)], ["iiii"]), (255, 255, 255), 10)

    # The same text fitted to the same box: Anton's strokes are heavier than Noto Sans's.
    assert white("thick") > 1.3 * white("thin")


def test_each_box_has_its_own_text_and_outline_colours():
    boxes = [
        replace(TOP_AND_BOTTOM[0], color="yellow", outline="#0000ff"),
        replace(TOP_AND_BOTTOM[1], color="#00ff00", outline="red"),
    ]
    pixels = render(grey(), boxes, ["yellow on blue", "green on red"])
    top, bottom = pixels[:150], pixels[150:]
    assert near(top, (255, 255, 0)) > 300 and near(top, (0, 0, 255)) > 300
    assert near(bottom, (0, 255, 0)) > 300 and near(bottom, (255, 0, 0)) > 300
    assert near(top, (0, 255, 0)) == near(bottom, (255, 255, 0)) == 0
    assert near(pixels, (0, 0, 0)) == 0  # no default black outline anywhere


def test_without_an_outline_colour_white_text_gets_black_and_dark_text_white():
    white_text = render(grey(), [MIDDLE], ["outline"])
    assert near(white_text, (0, 0, 0), 20) > 300
    dark_text = render(grey(), [replace(MIDDLE, color="navy")], ["outline"])
    assert near(dark_text, (255, 255, 255), 20) > 300


def test_a_colour_the_renderer_cannot_read_falls_back_instead_of_failing():
    pixels = render(grey(), [replace(MIDDLE, color="sparkly", outline="#12")], ["still drawn"])
    assert near(pixels, (255, 255, 255), 20) > 300 and near(pixels, (0, 0, 0), 20) > 300


def test_nothing_but_the_text_is_drawn_no_watermark():
    image = Image.fromarray(skimage.data.astronaut())
    plain = np.asarray(image.resize((400, 400), RESAMPLE), dtype=int)
    meme = render(image, TOP_AND_BOTTOM, ["top text", "bottom text"], width=400)
    changed = (meme != plain).any(axis=-1)
    changed[:80] = changed[320:] = False  # the two boxes: 0.02–0.20 and 0.80–0.98 of 400
    assert np.count_nonzero(changed) == 0
    assert np.array_equal(render(image, TOP_AND_BOTTOM, ["", ""], width=400), plain)


@pytest.mark.django_db
def test_a_box_refuses_a_colour_it_cannot_draw_and_a_window_that_ends_before_it_starts(template):
    box = template.boxes.first()
    for field, value in (("color", "not-a-colour"), ("outline", "#12345")):
        row = TextBoxRow.objects.get(pk=box.pk)
        setattr(row, field, value)
        with pytest.raises(ValidationError) as error:
            row.full_clean()
        assert field in error.value.message_dict
    row = TextBoxRow.objects.get(pk=box.pk)
    row.start, row.stop = 0.6, 0.4
    with pytest.raises(ValidationError, match="stop is larger than start"):
        row.full_clean()
    row.outline, row.start, row.stop = "khaki", 0.2, 0.6
    row.full_clean()
    assert row.as_spec().outline == "khaki" and (row.as_spec().start, row.as_spec().stop) == (0.2, 0.6)


@pytest.mark.django_db
def test_import_keeps_memegen_colours_and_styles_and_replaces_unknown_ones(tmp_path):
    config = CONFIG.replace("    font: thick\n", "    font: thick\n    color: '#BBBBBB'\n", 1)
    config = config.replace("    font: comic\n", "    font: comic\n    color: sparkly\n", 1)
    config = config.replace("  - style: upper\n", "  - style: default\n", 1)
    config = config.replace("  - style: upper\n", "  - style: thin\n", 1)
    make_folder(tmp_path, "coloured", config=config)
    run_import(tmp_path)
    boxes = list(Template.objects.get(slug="coloured").boxes.all())
    assert [box.color for box in boxes] == ["#BBBBBB", "white"]
    assert [box.style for box in boxes] == ["default", "upper"]
