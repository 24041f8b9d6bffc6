"""A template from a captioned meme, and known templates recognised in memes (issue 23).

template_propose reads an uploaded meme (the site's image checks first) with ml.memeparse: its text found, read
and lifted off, and boxes proposed. template_from_proposal saves the proposal as a Template with its TextBoxes, the
caption read as the boxes' examples. template_recognise finds which known template a meme was made on, by a
perceptual hash of the picture with its text removed.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from memes.models import Template, TextBox
from memesite.images import Animation, normalize_mode
from ml.memeparse import OcrMissing, Proposal, ocr_available, parse_meme
from ml.memeparse.ocr import MISSING_MESSAGE
from ml.memeparse.parse import proposal_drawn
from ml.memeparse.phash import best_match, phash, phash_variants

from .services import template_image_clean, upload_open
from .template_import import template_slug

EXAMPLE_CHARS = TextBox._meta.get_field("example").max_length


def _first_frame(picture: Image.Image | Animation) -> Image.Image:
    return normalize_mode(picture.frames[0] if isinstance(picture, Animation) else picture).convert("RGB")


def meme_open(upload) -> Image.Image:
    """An uploaded meme's picture (an animation's first frame), after the checks every template upload meets.
    ValidationError saying why it cannot be used."""
    template_image_clean(upload)
    return _first_frame(upload_open(upload))


def template_propose(upload) -> Proposal:
    """What an uploaded captioned meme proposes as a template. ValidationError for a bad upload, or when the
    OCR engine is not installed (its message says what to install)."""
    picture = meme_open(upload)
    if not ocr_available():
        raise ValidationError(MISSING_MESSAGE)
    try:
        return parse_meme(picture)
    except OcrMissing as error:
        raise ValidationError(str(error)) from error


def proposal_png(proposal: Proposal) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(proposal.clean).save(buffer, "PNG", optimize=False, compress_level=3)
    return buffer.getvalue()


def proposal_preview(proposal: Proposal) -> bytes:
    """The clean picture with the proposed boxes drawn on it (red) and the letters found (yellow), as PNG."""
    buffer = io.BytesIO()
    Image.fromarray(proposal_drawn(proposal)).save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


def proposal_data(proposal: Proposal) -> dict:
    """The proposal as the API answers it."""
    return {
        "boxes": [
            {"x": box.x, "y": box.y, "width": box.width, "height": box.height, "style": box.style,
             "color": box.color, "example": box.text}  # fmt: skip
            for box in proposal.boxes
        ],
        "caption": proposal.caption,
        "seconds": round(proposal.seconds, 3),
    }


def _free_slug(name: str) -> str:
    base = template_slug(name)[:90]
    slug, n = base, 2
    while Template.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def template_from_proposal(proposal: Proposal, name: str, *, slug: str = "", tags=()) -> Template:
    """Save a proposal as a new template: the clean picture, its boxes, the caption read as their examples."""
    boxes = [{"x": box.x, "y": box.y, "width": box.width, "height": box.height, "style": box.style,
              "color": box.color, "example": box.text} for box in proposal.boxes]  # fmt: skip
    return template_create(name, proposal_png(proposal), boxes, slug=slug, tags=tags)


BOX_FIELDS = ("x", "y", "width", "height", "style", "color", "example")


def template_create(name: str, png: bytes, boxes: list[dict], *, slug: str = "", tags=()) -> Template:
    """A new template from a clean picture (PNG) and its boxes (BOX_FIELDS each), checked as admin checks them.
    ValidationError saying what is wrong."""
    with transaction.atomic():
        template = Template(slug=slug or _free_slug(name), name=name, tags=list(tags))
        template.full_clean(exclude=["image"])
        template.image.save(f"{template.slug}.png", ContentFile(png), save=False)
        template.save()
        rows = []
        for position, fields in enumerate(boxes):
            row = TextBox(template=template, position=position,
                          **{key: fields[key] for key in BOX_FIELDS if key in fields})  # fmt: skip
            row.example = row.example[:EXAMPLE_CHARS]
            row.full_clean(exclude=["template"])
            rows.append(row)
        TextBox.objects.bulk_create(rows)
    return template


# --- recognising known templates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recognised:
    template: Template
    distance: int


_hashes_kept: dict[int, tuple[object, str, list[int]]] = {}  # template id: (updated_at, image name, hashes)


def template_hashes(templates=None) -> dict[int, list[int]]:
    """Each template's hashes by id (its picture's first frame, whole and cropped: phash_variants), kept per process
    until the template is saved again; a picture that cannot be read is left out."""
    hashes = {}
    for template in templates if templates is not None else Template.objects.all():
        kept = _hashes_kept.get(template.pk)
        if kept is not None and kept[:2] == (template.updated_at, template.image.name):
            hashes[template.pk] = kept[2]
            continue
        try:
            with template.image.open("rb") as file:
                picture = _first_frame(Image.open(io.BytesIO(file.read())))
        except (OSError, ValueError):
            continue
        hashes[template.pk] = phash_variants(np.asarray(picture))
        _hashes_kept[template.pk] = (template.updated_at, template.image.name, hashes[template.pk])
    return hashes


def meme_hash(picture: Image.Image, proposal: Proposal | None = None) -> int:
    """A meme's hash: of its picture with the text found lifted off (parse_meme's clean picture)."""
    clean = proposal.clean if proposal is not None else parse_meme(picture, read=False).clean
    return phash(clean)


def template_recognise(picture: Image.Image, hashes: dict | None = None, proposal=None) -> Recognised | None:
    """The known template a meme was made on, or None."""
    return hash_recognise(meme_hash(picture, proposal), hashes)


def hash_recognise(value: int, hashes: dict | None = None) -> Recognised | None:
    """The known template whose hashes are near a meme's hash (meme_hash), or None."""
    hashes = template_hashes() if hashes is None else hashes
    match = best_match(value, hashes)
    if match is None:
        return None
    return Recognised(Template.objects.get(pk=match.key), match.distance)


def picture_hash(picture: Image.Image | Animation) -> str:
    """An own picture's meme_hash (an animation's first frame), as its job keeps it (Job.picture_hash: 16 hex
    digits)."""
    return f"{meme_hash(_first_frame(picture)):016x}"


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the API's part: POST /api/templates/from-meme/ (generator.api.TemplateViewSet.from_meme) ---------------------

from rest_framework import serializers  # noqa: E402


class FromMemeSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="A captioned meme: white letters with a black outline.")
    name = serializers.CharField(
        max_length=Template._meta.get_field("name").max_length, required=False, allow_blank=True,
        help_text="With save: the new template's name.",
    )  # fmt: skip
    save = serializers.BooleanField(default=False, help_text="Save the proposal as a new template (needs a name).")

    def validate(self, data):
        if data["save"] and not data.get("name", "").strip():
            raise serializers.ValidationError({"name": ["Give the new template a name to save it."]})
        return data


class ProposedBoxSerializer(serializers.Serializer):
    x = serializers.FloatField()
    y = serializers.FloatField()
    width = serializers.FloatField()
    height = serializers.FloatField()
    style = serializers.CharField()
    color = serializers.CharField()
    example = serializers.CharField(allow_blank=True, help_text="The text read in this box.")


class ProposalSerializer(serializers.Serializer):
    boxes = ProposedBoxSerializer(many=True)
    caption = serializers.ListField(child=serializers.CharField(allow_blank=True))
    seconds = serializers.FloatField(help_text="How long reading the meme took.")
    template = serializers.SlugField(allow_null=True, help_text="The saved template's slug; null for a preview.")


class RecogniseSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="A meme, maybe made on a known template.")


class RecognisedSerializer(serializers.Serializer):
    template = serializers.SlugField(allow_null=True, help_text="The known template it was made on; null for none.")
    distance = serializers.IntegerField(allow_null=True, help_text="Bits of 64 between the hashes (0: the same).")


def recognise_answer(data) -> dict:
    """Which known template an uploaded meme was made on. ValidationError for a bad upload."""
    picture = meme_open(data["image"])
    found = template_recognise(picture)
    return {"template": found.template.slug if found else None, "distance": found.distance if found else None}


def from_meme_answer(data) -> tuple[dict, bool]:
    """Read a FromMemeSerializer's valid data: the proposal as the API answers it, and whether it was saved.
    ValidationError for a bad upload or no OCR engine."""
    proposal = template_propose(data["image"])
    answer = {**proposal_data(proposal), "template": None}
    if data["save"]:
        if not proposal.boxes:
            raise ValidationError({"image": ["No caption was found in this picture: nothing to make boxes from."]})
        answer["template"] = template_from_proposal(proposal, data["name"].strip()).slug
    return answer, data["save"]
