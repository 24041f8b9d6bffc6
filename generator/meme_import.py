"""A folder of captioned meme images read into the caption corpus (manage.py import_memes DIR, issue 23).

Each picture's text is read and lifted off (ml.memeparse); the picture left is matched to a known template by its
perceptual hash; the text read in each box becomes a Caption of that template (captions.models, dataset "memes",
keyed by the file's SHA-256, so importing again adds nothing twice). A picture that cannot be read, that matches no
template, or in which no text is found is skipped with its reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from captions.services import caption_keep
from memes.models import Template
from memesite.images import Animation, ImageRejected, normalize_mode, open_image
from ml.memeparse import parse_meme
from ml.memeparse.ocr import ocr_require
from ml.memeparse.phash import best_match, phash

from .template_parse import template_hashes

DATASET = "memes"
EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}


@dataclass
class MemeImportReport:
    matched: int = 0  # pictures whose template was recognised
    read: int = 0  # captions created
    already: int = 0  # captions imported before
    skipped: dict[str, str] = field(default_factory=dict)  # file: why


def meme_files(root: Path) -> list[Path]:
    """The picture files under root, in order; links are not followed."""
    return sorted(
        path for path in root.rglob("*")
        if path.suffix.lower() in EXTENSIONS and path.is_file() and not path.is_symlink()
    )  # fmt: skip


def _iou(a, b) -> float:
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def caption_boxes(template: Template, found) -> list[str]:
    """The text found, box by box of the template: each box found goes to the template's box it overlaps most
    (in order when none overlaps), several in one box joined."""
    boxes = list(template.boxes.all())
    if not boxes:
        return [box.text for box in found]
    texts: list[list[str]] = [[] for _ in boxes]
    for index, box in enumerate(found):
        overlaps = [_iou(box.geometry(), (b.x, b.y, b.width, b.height)) for b in boxes]
        best = max(range(len(boxes)), key=lambda i: overlaps[i])
        texts[best if overlaps[best] > 0 else min(index, len(boxes) - 1)].append(box.text)
    return [" ".join(parts) for parts in texts]


def memes_import(root: Path, *, progress=lambda items: items) -> MemeImportReport:
    """Read every meme picture under root into captions. OcrMissing when Tesseract is not installed."""
    ocr_require()
    report = MemeImportReport()
    templates = {template.pk: template for template in Template.objects.prefetch_related("boxes")}
    hashes = template_hashes(templates.values())
    for path in progress(meme_files(root)):
        name = str(path.relative_to(root))
        try:
            if path.stat().st_size > settings.MEME_MAX_UPLOAD_BYTES:
                raise ImageRejected(f"larger than {settings.MEME_MAX_UPLOAD_BYTES} bytes")
            data = path.read_bytes()
            picture = open_image(data, max_bytes=settings.MEME_MAX_UPLOAD_BYTES, max_pixels=settings.MEME_MAX_PIXELS)
        except (ImageRejected, OSError) as error:
            report.skipped[name] = f"not a picture that can be read: {error}"
            continue
        if isinstance(picture, Animation):
            picture = picture.frames[0]
        proposal = parse_meme(normalize_mode(picture).convert("RGB"))
        match = best_match(phash(proposal.clean), hashes)
        if match is None:
            report.skipped[name] = "no known template"
            continue
        report.matched += 1
        template = templates[match.key]
        lines = caption_boxes(template, proposal.boxes)
        if not any(line.strip() for line in lines):
            report.skipped[name] = f"{template.slug}: no text read"
            continue
        digest = hashlib.sha256(data).hexdigest()
        if caption_keep(template, lines, dataset=DATASET, external_id=digest, title=path.stem):
            report.read += 1
        else:
            report.already += 1
    return report
