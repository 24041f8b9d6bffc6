"""Animated templates: text on every frame, each box in its start..stop window, pace and loop kept, frames and
size capped, a static picture on request; imported and starter animations stay animated."""

import io
from dataclasses import replace
from importlib import resources
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from PIL import Image, ImageSequence

from generator.rendering import render_meme
from generator.services import job_create, job_run, picture_open
from generator.starter import starter_templates_load
from memes.layout import TOP_AND_BOTTOM, TextBox
from memes.models import Meme, Template
from memesite.images import Animation, ImageRejected, frames_kept, open_image

from .test_import_templates import CONFIG, make_folder, run_import

FRAMES = 12
DURATIONS = [40, 60, 80, 100] * 3  # ms, all different within each four, so a lost pace shows
MIDDLE = TextBox(x=0.1, y=0.3, width=0.8, height=0.4)


def background(index: int) -> tuple[int, int, int]:
    """Mid-tone colours only: no frame has a pixel near the text's white or its outline's black."""
    return 70 + 8 * index, 150 - 5 * index, 110


def animated_bytes(format="GIF", frames=FRAMES, size=(200, 150), durations=None, loop=0) -> bytes:
    images = [Image.new("RGB", size, background(index)) for index in range(frames)]
    buffer = io.BytesIO()
    options = {"loop": loop} if loop is not None else {}
    if format == "WEBP":
        options["lossless"] = True
    images[0].save(buffer, format, save_all=True, append_images=images[1:],
                   duration=durations or DURATIONS[:frames], **options)  # fmt: skip
    return buffer.getvalue()


def decoded(data: bytes) -> list[np.ndarray]:
    with Image.open(io.BytesIO(data)) as image:
        return [np.asarray(frame.convert("RGB"), dtype=int) for frame in ImageSequence.Iterator(image)]


def text_pixels(frame: np.ndarray) -> np.ndarray:
    """The pixels of white letters or their black outline."""
    return (frame > 215).all(axis=-1) | (frame < 40).all(axis=-1)


def box_mask(box: TextBox, shape) -> np.ndarray:
    height, width = shape[:2]
    mask = np.zeros((height, width), dtype=bool)
    left, top = round(box.x * width), round(box.y * height)
    mask[top : top + round(box.height * height), left : left + round(box.width * width)] = True
    return mask


def render(data, boxes, lines, **params) -> bytes:
    return render_meme(open_image(data, max_frames=100), boxes, lines, **params)


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_text_is_drawn_inside_its_box_on_every_frame(fmt):
    data = animated_bytes()
    frames = decoded(render(data, [MIDDLE], ["every frame"], format=fmt))
    assert len(frames) == FRAMES
    inside = box_mask(MIDDLE, frames[0].shape)
    for frame in frames:
        text = text_pixels(frame)
        assert np.count_nonzero(text & inside) > 500
        assert np.count_nonzero(text & ~inside) == 0


def durations_of(image: Image.Image) -> list[int]:
    durations = []
    for frame in ImageSequence.Iterator(image):
        frame.load()  # WebP reads a frame's duration with its pixels
        durations.append(frame.info["duration"])
    return durations


@pytest.mark.parametrize("source", ["GIF", "WEBP"])
@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_the_pace_and_the_loop_are_kept(source, fmt):
    data = animated_bytes(source, loop=3)
    with Image.open(io.BytesIO(render(data, [MIDDLE], ["pace"], format=fmt))) as image:
        assert image.n_frames == FRAMES and image.info["loop"] == 3
        assert durations_of(image) == DURATIONS


def test_each_box_shows_only_in_its_window():
    top = replace(TOP_AND_BOTTOM[0], stop=0.5)
    bottom = replace(TOP_AND_BOTTOM[1], start=0.5)
    durations = [100] * FRAMES
    frames = decoded(render(animated_bytes(durations=durations), [top, bottom], ["first half", "second half"],
                            format="gif"))  # fmt: skip
    shape = frames[0].shape
    for index, frame in enumerate(frames):
        text = text_pixels(frame)
        in_top = np.count_nonzero(text & box_mask(top, shape))
        in_bottom = np.count_nonzero(text & box_mask(bottom, shape))
        if index < FRAMES // 2:
            assert in_top > 200 and in_bottom == 0, index
        else:
            assert in_top == 0 and in_bottom > 200, index


def test_the_window_follows_time_not_frame_numbers():
    # The first frame lasts as long as the eleven others: a box from 0.5 on starts on the second frame.
    durations = [1100] + [100] * (FRAMES - 1)
    box = replace(MIDDLE, start=0.5)
    frames = decoded(render(animated_bytes(durations=durations), [box], ["later"], format="gif"))
    shown = [bool(np.count_nonzero(text_pixels(frame))) for frame in frames]
    assert shown == [False] + [True] * (FRAMES - 1)


def test_frames_are_dropped_evenly_and_the_pace_is_kept():
    animation = open_image(animated_bytes(durations=[100] * FRAMES), max_frames=4)
    assert isinstance(animation, Animation)
    assert len(animation.frames) == 4 and animation.durations == (300, 300, 300, 300)
    # The kept frames are frames 0, 3, 6 and 9.
    assert [frame.getpixel((0, 0)) for frame in animation.frames] == [background(index) for index in (0, 3, 6, 9)]
    assert frames_kept(10, 3) == [0, 3, 6] and frames_kept(3, 10) == [0, 1, 2]


def test_the_size_is_capped():
    data = animated_bytes(size=(400, 300))
    with Image.open(io.BytesIO(render(data, [MIDDLE], ["big"], format="gif", width=800, max_side=120))) as image:
        assert image.size == (120, 90) and image.n_frames == FRAMES


@pytest.mark.parametrize("fmt, params", [("jpeg", {}), ("png", {}), ("gif", {"animated": False})])
def test_a_static_picture_is_one_frame_with_every_box(fmt, params):
    boxes = [replace(TOP_AND_BOTTOM[0], stop=0.2), replace(TOP_AND_BOTTOM[1], start=0.8)]
    data = render(animated_bytes(), boxes, ["top", "bottom"], format=fmt, **params)
    with Image.open(io.BytesIO(data)) as image:
        assert getattr(image, "n_frames", 1) == 1
        frame = np.asarray(image.convert("RGB"), dtype=int)
    text = text_pixels(frame)
    assert all(np.count_nonzero(text & box_mask(box, frame.shape)) > 100 for box in boxes)
    assert tuple(frame[75, 5]) == pytest.approx(background(0), abs=6)  # the first frame's picture


def test_without_max_frames_an_animation_reads_as_its_first_frame():
    image = open_image(animated_bytes())
    assert isinstance(image, Image.Image) and image.getpixel((0, 0)) == background(0)


def test_an_animation_with_too_many_pixels_in_all_is_refused():
    with pytest.raises(ImageRejected, match="the animation is 12 frames of 200×150 pixels"):
        open_image(animated_bytes(), max_pixels=200 * 150, max_frames=5)


def test_a_transparent_animation_keeps_its_transparency():
    frames = [Image.new("RGBA", (120, 90), (0, 0, 0, 0)) for _ in range(3)]
    for index, frame in enumerate(frames):
        frame.paste((200, 40, 40, 255), (10 * index, 0, 10 * index + 10, 10))
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0, disposal=2)
    animation = open_image(buffer.getvalue(), max_frames=10)
    assert animation.mode == "RGBA"
    with Image.open(io.BytesIO(render_meme(animation, [MIDDLE], ["hi"], format="gif"))) as image:
        last = list(ImageSequence.Iterator(image))[-1].convert("RGBA")
        assert last.getpixel((5, 5))[3] == 0  # the first frame's square was cleared, not kept under the last
        assert last.getpixel((25, 5))[3] == 255


@pytest.mark.django_db
def test_import_keeps_the_animation_and_each_boxs_window(tmp_path):
    config = CONFIG.replace("    align: center\n", "    align: center\n    start: 0.25\n    stop: 0.75\n")
    folder = make_folder(tmp_path, "moving", image_name="default.gif", config=config)
    (folder / "default.gif").write_bytes(animated_bytes())
    run_import(tmp_path)
    template = Template.objects.get(slug="moving")
    with template.image.open("rb") as file:
        assert Image.open(file).n_frames == FRAMES
    assert [(box.start, box.stop) for box in template.boxes.all()] == [(0.25, 0.75), (0.0, 1.0)]


@pytest.mark.django_db
def test_import_refuses_a_box_that_stops_before_it_starts(tmp_path):
    config = CONFIG.replace("    align: center\n", "    align: center\n    start: 0.8\n    stop: 0.2\n")
    make_folder(tmp_path, "backwards", config=config)
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("import_templates", str(tmp_path), stdout=StringIO(), stderr=errors, verbosity=0)
    assert "text box 1 stops (0.2) before it starts (0.8)" in errors.getvalue()
    assert not Template.objects.filter(slug="backwards").exists()


@pytest.mark.django_db
def test_the_animated_starter_template_makes_an_animated_meme(alice):
    starter_templates_load()
    template = Template.objects.get(slug="no-time-for-that")
    with template.image.open("rb") as file:
        tiny = resources.files("skimage.data").joinpath("no_time_for_that_tiny.gif").read_bytes()
        original = Image.open(io.BytesIO(tiny))
        stored = Image.open(file)
        assert stored.format == "GIF" and stored.n_frames == original.n_frames == 24
        assert stored.size == (280, 500)
    assert [(box.start, box.stop) for box in template.boxes.all()] == [(0.0, 1.0), (0.5, 1.0)]

    with override_settings(MEME_ANIMATION_MAX_FRAMES=8, MEME_ANIMATION_MAX_SIDE=240):
        job = job_run(job_create(owner=alice, template=template, lines=["memes?", "no time"]).id)
    meme = Meme.objects.get(pk=job.meme_id)
    assert meme.image.name.endswith(".gif") and meme.get_image_url().endswith(".gif")
    with meme.image.open("rb") as file:
        picture = Image.open(file)
        assert picture.n_frames == 8 and max(picture.size) == 240
        assert sum(durations_of(picture)) == 24 * 70


@pytest.mark.django_db
def test_a_static_template_still_makes_a_jpeg(alice, template):
    assert isinstance(picture_open(template.image.open("rb").read()), Image.Image)
    job = job_run(job_create(owner=alice, template=template, lines=["a", "b"]).id)
    assert Meme.objects.get(pk=job.meme_id).image.name.endswith(".jpg")
