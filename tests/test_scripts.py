"""Every script: complex and right-to-left scripts shaped by raqm, CJK and emoji from fallback fonts with no
missing-glyph boxes, text inside its box; the alt text of every meme is its caption."""

import io
import os
import unicodedata
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, features

from generator import fonts
from generator.fonts import (
    FONTS,
    LAYOUT_ENGINE,
    NOTO_SANS_ARABIC,
    SYMBOLA,
    WQY_MICROHEI,
    box_faces,
    face_coverage,
    face_font,
    face_path,
    segment,
)
from generator.rendering import MIN_FONT_SIZE, Layout, _fit, _paragraphs, _place_runs, render_meme
from memes.layout import TextBox

from .conftest import make_meme

MIDDLE = TextBox(x=0.1, y=0.3, width=0.8, height=0.4, style="none")
SAMPLES = {
    "arabic": "مرحبا بالعالم",
    "hebrew": "שלום עולם",
    "japanese": "日本語のミーム",
    "chinese": "我们的代码运行成功了",
    "korean": "한국어 밈",
    "devanagari": "नमस्ते दुनिया",
    "emoji": "🔥😂👍",
    "mixed": "LOL مرحبا 日本 🔥",
}
BACKGROUND = (90, 110, 140)
# Scripts drawn with fonts from Debian's packages, not PyPI's: a developer's machine may lack them, CI has them
# (.ci/run installs them and sets SLOWMEME_REQUIRE_SYSTEM_FONTS, so there a missing font fails instead).
SYSTEM_FONT_OF = {"chinese": WQY_MICROHEI, "korean": WQY_MICROHEI, "emoji": SYMBOLA, "mixed": SYMBOLA}


def needs_system_font(face) -> None:
    if face_path(face) is None and not os.environ.get("SLOWMEME_REQUIRE_SYSTEM_FONTS"):
        pytest.skip(f"Debian's {face.package} is not installed (apt-get install {face.package})")


def ink(text: str, box: TextBox = MIDDLE) -> np.ndarray:
    image = Image.new("RGB", (400, 300), BACKGROUND)
    picture = Image.open(io.BytesIO(render_meme(image, [box], [text], format="png"))).convert("RGB")
    return (np.asarray(picture, dtype=int) != BACKGROUND).any(axis=-1)


def test_pillow_shapes_text_with_raqm():
    # The pinned Pillow wheel bundles libraqm: without it, Arabic would not join (see rendering's fallback).
    assert features.check("raqm") and LAYOUT_ENGINE == ImageFont.Layout.RAQM


@pytest.mark.parametrize("font", sorted(FONTS))
@pytest.mark.parametrize("script", sorted(SAMPLES))
def test_every_script_lands_inside_its_box(script, font):
    if script in SYSTEM_FONT_OF:
        needs_system_font(SYSTEM_FONT_OF[script])
    box = replace(MIDDLE, font=font)
    mask = ink(SAMPLES[script], box)
    inside = np.zeros_like(mask)
    inside[90:210, 40:360] = True  # the box: x 0.1–0.9 of 400, y 0.3–0.7 of 300
    assert np.count_nonzero(mask & ~inside) == 0
    assert np.count_nonzero(mask & inside) > 0.08 * 320 * 120


@pytest.mark.parametrize("font", sorted(FONTS))
@pytest.mark.parametrize("script", sorted(SAMPLES))
def test_no_character_is_a_missing_glyph_box(script, font):
    if script in SYSTEM_FONT_OF:
        needs_system_font(SYSTEM_FONT_OF[script])
    faces = box_faces(font)
    for word in SAMPLES[script].split():
        for text, face in segment(word, faces):
            font_file = face_coverage(face_path(face))
            for ch in text:
                if unicodedata.category(ch) not in ("Mn", "Mc", "Cf"):
                    assert ord(ch) in font_file, f"{ch!r} ({face.family}) would be drawn as a box"
            # And what is drawn is not the font's own missing-glyph box.
            notdef = face_font(face, 40).getmask("\U0010fffd")
            assert bytes(face_font(face, 40).getmask(text)) != bytes(notdef) or text.isspace()


def test_text_without_spaces_wraps_between_characters_but_not_before_closing_marks():
    faces = box_faces("thick")
    sentence = "月曜日の朝、コーヒーがないと「何もできない」。"
    layout = _fit(_paragraphs(sentence, faces), faces, 300, 200)
    lines = ["".join(text for text, _ in runs) for runs in layout.lines]
    assert len(lines) > 1 and layout.size > 3 * MIN_FONT_SIZE  # wrapped, not shrunk onto one line
    assert "".join(lines) == sentence  # no spaces were put between its characters
    assert not any(line[0] in "、。」ー" or line[-1] == "「" for line in lines)


def test_emoji_come_from_symbola():
    needs_system_font(SYMBOLA)
    assert face_path(SYMBOLA) is not None
    assert {face for _, face in segment("🔥😂", box_faces("thick"))} == {SYMBOLA}


def test_arabic_letters_are_joined():
    # Shaped, a word is its letters' joining forms, narrower than the letters drawn apart.
    font = face_font(NOTO_SANS_ARABIC, 40)
    word = "مرحبا"
    assert font.getlength(word) < 0.9 * sum(font.getlength(letter) for letter in word)


def test_a_right_to_left_lines_first_word_is_drawn_rightmost():
    font = face_font(NOTO_SANS_ARABIC, 40)

    def drawn(text):
        image = Image.new("L", (500, 80))
        ImageDraw.Draw(image).text((480, 60), text, 255, font, "rs", direction="rtl")
        return np.asarray(image, dtype=int)

    line = drawn("مرحبا بالعالم")
    for word, matches in (("مرحبا", True), ("بالعالم", False)):
        alone = drawn(word)
        left = np.flatnonzero(alone.any(axis=0))[0]
        assert (np.abs(line[:, left:] - alone[:, left:]).mean() < 2) == matches


def test_runs_of_a_right_to_left_line_are_placed_from_the_right():
    needs_system_font(SYMBOLA)
    faces = box_faces("thick")
    runs = [("مرحبا ", faces[2]), ("🔥", SYMBOLA)]
    layout = Layout(size=40, stroke=2, pitch=50, lines=[runs], top=-30, bottom=10)
    placed = _place_runs(runs, layout, 400, "center", {"direction": "rtl"})
    x_of = {text: x for x, text, _ in placed}
    assert x_of["🔥"] < x_of["مرحبا "]  # the emoji follows the word, to its left
    placed = _place_runs(runs, layout, 400, "center", {"direction": "ltr"})
    assert {text: x for x, text, _ in placed}["🔥"] > x_of["🔥"]


@pytest.mark.django_db
def test_a_memes_alt_text_is_its_caption(alice, client_for, template):
    meme = make_meme(alice, template, lines=["שלום עולם", "", "日本語 🔥"])
    assert meme.caption == "שלום עולם / 日本語 🔥"
    page = client_for(alice).get(meme.get_absolute_url()).content.decode()
    assert f'alt="{meme.caption}"' in page
    assert client_for(alice).get(f"/api/memes/{meme.pk}/").json()["caption"] == meme.caption


@pytest.fixture
def basic_layout(monkeypatch):
    """The renderer as on a Pillow built without libraqm."""
    monkeypatch.setattr(fonts, "LAYOUT_ENGINE", ImageFont.Layout.BASIC)
    fonts.face_font.cache_clear()
    yield
    fonts.face_font.cache_clear()  # no basic-layout font stays cached for the tests after


def test_without_raqm_every_script_still_renders_inside_its_box(basic_layout):
    for text in SAMPLES.values():
        mask = ink(text)
        inside = np.zeros_like(mask)
        inside[90:210, 40:360] = True
        assert np.count_nonzero(mask & ~inside) == 0 and np.count_nonzero(mask & inside) > 1000
    assert face_font(NOTO_SANS_ARABIC, 40).layout_engine == ImageFont.Layout.BASIC
