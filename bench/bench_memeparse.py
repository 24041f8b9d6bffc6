"""Reading memes (issue 23), on memes our own renderer makes: known upper-case captions drawn in the classic top and
bottom boxes on the starter templates' pictures (scikit-image's samples), saved as JPEG at several qualities and
widths. Reports the words read, the boxes found (count and IoU against the true boxes), the text lifted off (the
mean difference from the blank picture inside the boxes, against blurring them and against doing nothing), seconds
per meme on one core; then template recognition by perceptual hash (JPEG 40-95, 300-1200 px wide, crops of up to 5%)
and false matches on sample photos that are no template.

Run from the repository root: python bench/bench_memeparse.py  (needs Debian's tesseract-ocr)
"""

from __future__ import annotations

import difflib
import io
import os
import random
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})  # one core
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from generator.rendering import render_meme  # noqa: E402
from memes.layout import TOP_AND_BOTTOM  # noqa: E402
from ml.memeparse import ocr_available, parse_meme  # noqa: E402
from ml.memeparse.phash import MAX_DISTANCE, best_match, phash, phash_variants  # noqa: E402

TEMPLATES = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png", "moon.png")  # the starters'
PHOTOS = ("brick.png", "cell.png", "clock_motion.png", "coins.png", "color.png", "grass.png", "gravel.png", "horse.png",
          "hubble_deep_field.jpg", "ihc.png", "logo.png", "microaneurysms.png", "motorcycle_left.png", "page.png",
          "phantom.png", "retina.jpg", "text.png", "chessboard_RGB.png")  # fmt: skip
CAPTIONS = (
    ("WHEN THE CODE WORKS", "ON THE FIRST TRY"),
    ("YOU CALL THIS", "A MEME?"),
    ("ONE DOES NOT SIMPLY", "PARSE A MEME WITHOUT OCR"),
    ("MONDAY MORNING", "BUT FIRST COFFEE"),
    ("MY EXPECTATIONS", "MY GRADES"),
    ("NOBODY:", "ME FILMING IT ANYWAY"),
    ("THAT'S NO MOON", "IT'S A SPACE STATION"),
    ("I DON'T ALWAYS TEST MY CODE", "BUT WHEN I DO I DO IT IN PRODUCTION"),
    ("SHUT UP", "AND TAKE MY MONEY"),
)
SHAPES = ((400, 50), (600, 75), (900, 95), (1200, 40))  # (width, JPEG quality)
RECOGNITION_CASES = 8  # per template
PHOTO_CASES = 6  # per photo


def sample(name: str) -> Image.Image:
    return Image.open(io.BytesIO(resources.files("skimage.data").joinpath(name).read_bytes())).convert("RGB")


def jpeg(picture: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def iou(a, b) -> float:
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def words_right(truth: str, read: str) -> int:
    matcher = difflib.SequenceMatcher(a=truth.split(), b=read.split(), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def box_rows_cols(box, size):
    w, h = size
    return slice(round(box.y * h), round((box.y + box.height) * h)), slice(round(box.x * w), round((box.x + box.width) * w))


def reading() -> None:
    words = total_words = right_count = memes = 0
    ious, seconds, cleaned, blurred, untouched = [], [], [], [], []
    for index, (name, shape) in enumerate((n, s) for n in TEMPLATES for s in SHAPES):
        lines = CAPTIONS[index % len(CAPTIONS)]
        width, quality = shape
        picture = sample(name)
        blank = np.asarray(Image.open(io.BytesIO(render_meme(picture, [], [], width=width, format="png")))).astype(np.float32)
        meme = Image.open(io.BytesIO(render_meme(picture, TOP_AND_BOTTOM, lines, width=width, quality=quality)))
        started = time.perf_counter()
        proposal = parse_meme(meme)
        seconds.append(time.perf_counter() - started)
        memes += 1
        right_count += len(proposal.boxes) == len(lines)
        for truth_box, truth_text in zip(TOP_AND_BOTTOM, lines):
            truth = (truth_box.x, truth_box.y, truth_box.width, truth_box.height)
            best = max(proposal.boxes, key=lambda box: iou(box.geometry(), truth), default=None)
            ious.append(iou(best.geometry(), truth) if best else 0.0)
            total_words += len(truth_text.split())
            words += words_right(truth_text, best.text) if best and iou(best.geometry(), truth) > 0 else 0
            rows, cols = box_rows_cols(truth_box, meme.size)
            array = np.asarray(meme, dtype=np.float32)
            blur = cv2.GaussianBlur(array[rows, cols], (0, 0), sigmaX=max(2.0, meme.size[0] / 60))
            cleaned.append(np.abs(proposal.clean[rows, cols].astype(np.float32) - blank[rows, cols]).mean())
            blurred.append(np.abs(blur - blank[rows, cols]).mean())
            untouched.append(np.abs(array[rows, cols] - blank[rows, cols]).mean())
    print(f"memeparse_memes: {memes} memes")
    print(f"memeparse_word_accuracy: {100 * words / total_words:.1f} % (goal >= 90)")
    print(f"memeparse_box_count_right: {100 * right_count / memes:.1f} % (goal >= 90)")
    print(f"memeparse_box_iou_mean: {statistics.mean(ious):.3f} (goal >= 0.7)")
    print(f"memeparse_box_iou_at_least_0.7: {100 * sum(v >= 0.7 for v in ious) / len(ious):.1f} %")
    print(f"memeparse_removal_diff_inpainted: {statistics.mean(cleaned):.2f} grey levels (lower is better)")
    print(f"memeparse_removal_diff_blur_baseline: {statistics.mean(blurred):.2f} grey levels")
    print(f"memeparse_removal_diff_text_left: {statistics.mean(untouched):.2f} grey levels")
    print(f"memeparse_seconds_per_meme_p50: {statistics.median(seconds):.3f} s (one core; goal <= 2)")
    print(f"memeparse_seconds_per_meme_max: {max(seconds):.3f} s")


def augmented(picture: Image.Image, rng: random.Random) -> Image.Image:
    """A crop of up to 5% off each side, resized to 300-1200 px wide, JPEG at quality 40-95."""
    w, h = picture.size
    left, top = rng.uniform(0, 0.05) * w, rng.uniform(0, 0.05) * h
    right, bottom = w - rng.uniform(0, 0.05) * w, h - rng.uniform(0, 0.05) * h
    picture = picture.crop((round(left), round(top), round(right), round(bottom)))
    width = rng.randint(300, 1200)
    picture = picture.resize((width, max(1, round(picture.height * width / picture.width))), Image.Resampling.LANCZOS)
    return jpeg(picture, rng.randint(40, 95))


def recognition() -> None:
    rng = random.Random(23)
    known = {name: phash_variants(np.asarray(sample(name))) for name in TEMPLATES}
    right = cases = 0
    seconds = []
    for name in TEMPLATES:
        for case in range(RECOGNITION_CASES):
            lines = CAPTIONS[(case + len(name)) % len(CAPTIONS)]
            meme = Image.open(io.BytesIO(render_meme(sample(name), TOP_AND_BOTTOM, lines, width=800, format="png")))
            meme = augmented(meme, rng)
            started = time.perf_counter()
            match = best_match(phash(parse_meme(meme, read=False).clean), known)
            seconds.append(time.perf_counter() - started)
            cases += 1
            right += match is not None and match.key == name
    false = photo_cases = 0
    for name in PHOTOS:
        for _ in range(PHOTO_CASES):
            photo = augmented(sample(name), rng)
            photo_cases += 1
            false += best_match(phash(parse_meme(photo, read=False).clean), known) is not None
    print(f"memeparse_recognition_top1: {100 * right / cases:.1f} % of {cases} memes (goal >= 95)")
    print(f"memeparse_recognition_false_matches: {100 * false / photo_cases:.1f} % of {photo_cases} photos (goal <= 1)")
    print(f"memeparse_recognition_max_distance: {MAX_DISTANCE} bits of 64")
    print(f"memeparse_recognition_seconds_p50: {statistics.median(seconds):.3f} s")


def main() -> int:
    if not ocr_available():
        print("# memeparse: Tesseract is not installed (apt-get install tesseract-ocr); reading skipped", file=sys.stderr)
    else:
        reading()
    recognition()
    return 0


if __name__ == "__main__":
    sys.exit(main())
