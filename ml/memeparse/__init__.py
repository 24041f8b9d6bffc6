"""From a captioned meme to a template: find the text (white letters, black outline), read it with Tesseract,
group its lines into boxes, lift it off the picture (OpenCV inpainting), and recognise known templates by a
perceptual hash of the picture outside the text. Plain Python (OpenCV, numpy, pytesseract): no Django."""

from .ocr import OcrMissing, ocr_available
from .parse import Box, Proposal, parse_meme

__all__ = ["Box", "OcrMissing", "Proposal", "ocr_available", "parse_meme"]
