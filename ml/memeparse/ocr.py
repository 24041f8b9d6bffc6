"""Tesseract through pytesseract: whether it is installed, and reading one prepared crop."""

from __future__ import annotations

import functools
import os
import shutil

import numpy as np


class OcrMissing(RuntimeError):
    """The OCR engine (Debian's tesseract-ocr, PyPI's pytesseract) is not installed."""


MISSING_MESSAGE = (
    "Reading a meme's text needs Tesseract: install Debian's tesseract-ocr (apt-get install tesseract-ocr) "
    "and PyPI's pytesseract (in requirements.txt)."
)


@functools.lru_cache(maxsize=1)
def ocr_available() -> bool:
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return False
    return shutil.which("tesseract") is not None


def ocr_require() -> None:
    if not ocr_available():
        raise OcrMissing(MISSING_MESSAGE)


# One uniform block of text (psm 6), the LSTM engine; one thread: the site reads on a shared worker.
CONFIG = "--oem 1 --psm 6"
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def read_words(dark_on_light: np.ndarray) -> list[tuple[str, float, tuple[int, int, int, int]]]:
    """The words Tesseract reads in a grey image of dark letters on white, in reading order: (text, confidence
    0-100, (left, top, width, height) in the image's pixels)."""
    ocr_require()
    import pytesseract

    try:
        data = pytesseract.image_to_data(dark_on_light, lang="eng", config=CONFIG, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError as error:  # removed after the check
        raise OcrMissing(MISSING_MESSAGE) from error
    words = []
    for text, conf, left, top, width, height in zip(
        data["text"], data["conf"], data["left"], data["top"], data["width"], data["height"]
    ):
        if text.strip():
            words.append((text.strip(), float(conf), (int(left), int(top), int(width), int(height))))
    return words
