"""Render cost against the floor Pillow alone needs for the same decode/resize/encode, and the cost of an animated
template (the animated starter, every frame drawn, under the site's default caps).

The renderer keeps the last pictures decoded and resized, layouts fitted and boxes drawn (generator/rendering.py), as
a worker drawing memes on the same templates has them: render_ms is the same meme again, render_new_text_ms a text
never drawn before on the kept picture (what a new caption costs), render_nothing_kept_ms a first render (its decode
included). The floor decodes every time.

Run from the repository root: python bench/bench_render.py
"""

from __future__ import annotations

import io
import itertools
import os
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import skimage.data  # noqa: E402
from PIL import Image  # noqa: E402

from generator import rendering  # noqa: E402
from generator.rendering import RESAMPLE, render_meme  # noqa: E402
from memes.layout import TOP_AND_BOTTOM  # noqa: E402
from memesite.images import open_image  # noqa: E402

LINES = ["one does not simply", "render a meme in three milliseconds"]
WIDTH = 600
QUALITY = 85
WARMUPS = 3
RUNS = 30
# The site's defaults (memesite/settings.py: MEME_ANIMATION_MAX_FRAMES, MEME_ANIMATION_MAX_SIDE).
MAX_FRAMES = 48
MAX_SIDE = 480
ANIMATED_RUNS = 10


def source_jpeg() -> bytes:
    """Astronaut upscaled to 1200 px wide, so the resize to 600 px is real work."""
    image = Image.fromarray(skimage.data.astronaut())
    image = image.resize((1200, 1200), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def render(data: bytes) -> bytes:
    image = rendering.picture_decoded(data, decode)
    return render_meme(image, TOP_AND_BOTTOM, LINES, width=WIDTH, format="jpeg", quality=QUALITY)


FRESH = itertools.count()


def render_new_text(data: bytes) -> bytes:
    image = rendering.picture_decoded(data, decode)
    number = next(FRESH)
    lines = [f"{line} {number}" for line in LINES]
    return render_meme(image, TOP_AND_BOTTOM, lines, width=WIDTH, format="jpeg", quality=QUALITY)


def render_nothing_kept(data: bytes) -> bytes:
    with rendering.nothing_kept():
        return render_new_text(data)


def floor(data: bytes) -> bytes:
    image = decode(data)
    height = round(image.height * WIDTH / image.width)
    buffer = io.BytesIO()
    image.resize((WIDTH, height), RESAMPLE).save(buffer, "JPEG", quality=QUALITY)
    return buffer.getvalue()


def medians_ms(tasks, data: bytes) -> list[float]:
    return medians_ms_runs(tasks, data, RUNS)


def medians_ms_runs(tasks, data: bytes, runs: int) -> list[float]:
    """Median wall time of each task; runs are interleaved so that background
    load on the machine weighs on every task alike."""
    for _ in range(WARMUPS):
        for task in tasks:
            task(data)
    timings: list[list[float]] = [[] for _ in tasks]
    for _ in range(runs):
        for task, times in zip(tasks, timings):
            start = time.perf_counter()
            task(data)
            times.append((time.perf_counter() - start) * 1000)
    return [statistics.median(times) for times in timings]


def animated_source() -> bytes:
    """The animated starter as the site stores it (generator/starter.py): 24 frames of 280×500 pixels."""
    tiny = resources.files("skimage.data").joinpath("no_time_for_that_tiny.gif").read_bytes()
    return render_meme(open_image(tiny, max_frames=MAX_FRAMES), [], [], width=280, format="gif")


def long_animation() -> bytes:
    """A long GIF (100 frames of 600×400, the astronaut panning, under the 10 MB upload limit), for what the caps
    save."""
    astronaut = Image.fromarray(skimage.data.astronaut()).quantize(64)
    frames = [astronaut.crop((x, x, x + 600, x + 400)) for x in range(100)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=40, loop=0)
    return buffer.getvalue()


def render_animated(data: bytes, format: str) -> bytes:
    """What a worker does for a meme on an animated template: decode under the caps, draw on every frame, encode."""
    animation = open_image(data, max_frames=MAX_FRAMES)
    return render_meme(animation, TOP_AND_BOTTOM, LINES, width=WIDTH, format=format, max_side=MAX_SIDE)


def animated_figures() -> None:
    data = animated_source()
    frames = len(open_image(data, max_frames=MAX_FRAMES).frames)
    for format in ("gif", "webp"):
        median_ms = medians_ms_runs([lambda d, f=format: render_animated(d, f)], data, ANIMATED_RUNS)[0]
        print(f"render_animated_{format}_ms_median: {median_ms:.1f} ms")
        print(f"render_animated_{format}_ms_per_frame: {median_ms / frames:.2f} ms")
    long = long_animation()
    median_ms = medians_ms_runs([lambda d: render_animated(d, "gif")], long, 3)[0]
    print(f"render_animated_long_gif_ms_median: {median_ms:.1f} ms")  # 100 frames in, MAX_FRAMES out


def main() -> None:
    print(f"# load average {os.getloadavg()[0]:.2f}")
    render_ms, floor_ms, new_text_ms, cold_ms = medians_ms(
        [render, floor, render_new_text, render_nothing_kept], source_jpeg()
    )
    print(f"render_ms_median: {render_ms:.1f} ms")
    print(f"render_floor_ms_median: {floor_ms:.1f} ms")
    print(f"render_to_floor_ratio: {render_ms / floor_ms:.2f} x")
    print(f"render_new_text_ms_median: {new_text_ms:.1f} ms")
    print(f"render_new_text_to_floor_ratio: {new_text_ms / floor_ms:.2f} x")
    print(f"render_nothing_kept_ms_median: {cold_ms:.1f} ms")
    print(f"render_nothing_kept_to_floor_ratio: {cold_ms / floor_ms:.2f} x", flush=True)
    animated_figures()


if __name__ == "__main__":
    main()
