"""Importing templates from a folder in memegen.link's layout.

Each template is a folder holding `config.yml` and its image, named `default.<ext>` (memegen) or
`image.<ext>`. Importing is idempotent: a folder whose files have not changed since the last import
is skipped. An animated GIF or WebP is kept as it is, every frame, with each box's start and stop.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify

from .images import ImageRejected, open_image
from .models import Template, TextBox
from .rendering import is_colour

IMAGE_NAMES = [f"{stem}.{ext}" for stem in ("default", "image") for ext in ("jpg", "jpeg", "png", "gif", "webp")]
FONTS = {"thick", "thin", "comic"}
STYLES = {"upper", "none", "mock", "lower", "title", "default"}
ALIGNMENTS = {"center", "left", "right"}


class BadTemplateFolder(Exception):
    """A folder that cannot be imported; the message says why."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def template_folders(root: Path) -> list[Path]:
    """The folders below root that look like templates, never leaving root."""
    root = root.resolve()
    return sorted(
        folder for folder in root.iterdir()
        if folder.is_dir() and not folder.is_symlink() and (folder / "config.yml").exists()
    )  # fmt: skip


def templates_import(root: Path, *, progress=None) -> ImportReport:
    """Import every template folder below root; bad folders are reported, not fatal."""
    report = ImportReport()
    folders = template_folders(root)
    for folder in progress(folders) if progress else folders:
        try:
            outcome = template_import_folder(folder, root=root.resolve())
        except BadTemplateFolder as error:
            report.rejected[folder.name] = str(error)
            continue
        getattr(report, outcome).append(folder.name)
    return report


def template_import_folder(folder: Path, *, root: Path) -> str:
    """Create or update one template; returns "created", "updated" or "skipped"."""
    config_path = _inside(folder / "config.yml", root)
    image_path = _inside(_image_file(folder), root)
    config_bytes, image_bytes = config_path.read_bytes(), image_path.read_bytes()
    digest = hashlib.sha256(config_bytes + b"\0" + image_bytes).hexdigest()
    slug = slugify(folder.name) or "template"

    existing = Template.objects.filter(slug=slug).first()
    if existing is not None and existing.import_digest == digest:
        return "skipped"
    config = _read_config(config_bytes)
    try:
        open_image(
            image_bytes, max_bytes=settings.MEME_MAX_UPLOAD_BYTES, max_pixels=settings.MEME_MAX_PIXELS,
            max_frames=settings.MEME_ANIMATION_MAX_FRAMES,
        )  # fmt: skip
    except ImageRejected as error:
        raise BadTemplateFolder(f"{image_path.name}: {error}") from error

    with transaction.atomic():
        template = existing or Template(slug=slug)
        template.name = str(config.get("name") or folder.name)[:200]
        template.source = str(config.get("source") or "")[:200]
        template.tags = [str(word) for word in config.get("keywords") or [] if word]
        template.import_digest = digest
        template.image.save(f"{slug}{image_path.suffix.lower()}", ContentFile(image_bytes), save=False)
        template.save()
        template.boxes.all().delete()
        TextBox.objects.bulk_create(_boxes(template, config))
    return "updated" if existing else "created"


def _inside(path: Path, root: Path) -> Path:
    """The path itself, if it is a regular file that stays below root (symlinks never do)."""
    if path.is_symlink() or not path.resolve().is_relative_to(root):
        raise BadTemplateFolder(f"{path.name} points outside the folder being imported")
    if not path.is_file():
        raise BadTemplateFolder(f"{path.name} is not a file")
    return path


def _image_file(folder: Path) -> Path:
    for name in IMAGE_NAMES:
        if (folder / name).exists() or (folder / name).is_symlink():
            return folder / name
    raise BadTemplateFolder("no default.* or image.* image in it")


def _read_config(data: bytes) -> dict:
    try:
        config = yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise BadTemplateFolder(f"config.yml is not valid YAML ({error.__class__.__name__})") from error
    if not isinstance(config, dict):
        raise BadTemplateFolder("config.yml does not hold a mapping")
    text = config.get("text")
    if not isinstance(text, list) or not text or not all(isinstance(box, dict) for box in text):
        raise BadTemplateFolder("config.yml has no list of text boxes under 'text'")
    return config


def _boxes(template: Template, config: dict) -> list[TextBox]:
    examples = config.get("example") or []
    boxes = []
    for position, box in enumerate(config["text"]):
        try:
            x, y = _fraction(box.get("anchor_x", 0.0)), _fraction(box.get("anchor_y", 0.0))
            width, height = _fraction(box.get("scale_x", 1.0)), _fraction(box.get("scale_y", 0.2))
            angle = float(box.get("angle", 0.0))
            start, stop = _fraction(box.get("start", 0.0)), _fraction(box.get("stop", 1.0))
        except (TypeError, ValueError) as error:
            raise BadTemplateFolder(f"text box {position + 1} has a bad number: {error}") from error
        if start >= stop:
            raise BadTemplateFolder(f"text box {position + 1} stops ({stop}) before it starts ({start})")
        example = examples[position] if position < len(examples) and examples[position] else ""
        color = str(box.get("color") or "white")[:32]
        boxes.append(
            TextBox(
                template=template,
                position=position,
                x=x,
                y=y,
                width=round(min(width, 1.0 - x), 6),
                height=round(min(height, 1.0 - y), 6),
                angle=max(-180.0, min(180.0, angle)),
                align=box.get("align") if box.get("align") in ALIGNMENTS else "center",
                style=box.get("style") if box.get("style") in STYLES else "upper",
                font=box.get("font") if box.get("font") in FONTS else "thick",
                color=color if is_colour(color) else "white",
                start=start,
                stop=stop,
                example=str(example)[:200],
            )
        )
    return boxes


def _fraction(value) -> float:
    """A fraction of the image. memegen lets rotated boxes poke a little outside it: clamp those."""
    number = float(value)
    if not -0.25 <= number <= 1.25:
        raise ValueError(f"{number} is not between 0 and 1")
    return min(1.0, max(0.0, number))
