"""New templates from the site itself (issue 23): a picture that several users captioned on their own image.

Each own-image job keeps its picture's hash when it is made (Job.picture_hash: template_parse.meme_hash). suggestions
groups the finished own-image memes by near-duplicate pictures (hashes within the distance a known template is
recognised at), leaves out pictures that match a known template, and keeps the groups that at least
TEMPLATE_SUGGESTION_USERS different users captioned. suggestion_accept makes one a template
(template_parse.template_create), the memes' captions its first training captions (captions.Caption).
"""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from PIL import Image

from captions.services import caption_keep
from memes.layout import TOP_AND_BOTTOM
from memes.models import Meme, Template
from memesite.images import ImageRejected
from ml.memeparse import parse_meme
from ml.memeparse.phash import MAX_DISTANCE, distances

from .models import Job
from .services import picture_open
from .template_parse import _first_frame, proposal_png, template_create, template_hashes

DATASET = "suggestions"  # the captions' dataset; each keyed by its meme ("meme:<id>")
THUMBNAIL_SIDE = 240
_COLUMNS = ("id", "owner_id", "picture_hash", "boxes", "meme_id", "meme__lines", "meme__title")


@dataclass(frozen=True)
class Suggestion:
    key: uuid.UUID  # the group's first job: its picture stands for the group
    memes: list[dict]  # each meme's job: _COLUMNS, oldest first

    @property
    def users(self) -> int:
        return len({row["owner_id"] for row in self.memes})

    @property
    def captions(self) -> list[list[str]]:
        return [row["meme__lines"] for row in self.memes]


def own_picture_memes():
    """The finished memes on users' own pictures whose hash was kept, oldest first: only those in the gallery. A
    picture its owner kept private is never shown to staff nor learned from; staff's hidden ones are left out."""
    return (
        Job.objects.filter(kind=Meme.Source.MANUAL, template=None, status=Job.Status.SUCCEEDED, meme__is_public=True,
                           meme__is_hidden=False)
        .exclude(picture_hash="")
        .order_by("created_at", "pk")
        .values(*_COLUMNS)
    )


def suggestions(min_users: int | None = None) -> list[Suggestion]:
    """The pictures that at least min_users (TEMPLATE_SUGGESTION_USERS) different users captioned, most users
    first. A picture joins the group of the first picture within MAX_DISTANCE of it; one that matches a known
    template joins none."""
    min_users = settings.TEMPLATE_SUGGESTION_USERS if min_users is None else min_users
    rows = list(own_picture_memes())
    known = np.array([value for values in template_hashes().values() for value in values], dtype=np.uint64)
    firsts = np.empty(len(rows), dtype=np.uint64)  # each group's first hash
    groups: list[list[dict]] = []
    placed: dict[str, int | None] = {}  # a hash already seen: its group (None: a known template's)
    for row in rows:
        value = row["picture_hash"]
        if value not in placed:
            group = _group_of(int(value, 16), known, firsts[: len(groups)])
            if group == len(groups):
                firsts[group] = int(value, 16)
                groups.append([])
            placed[value] = group
        if placed[value] is not None:
            groups[placed[value]].append(row)
    found = [Suggestion(memes[0]["id"], memes) for memes in groups]
    found = [suggestion for suggestion in found if suggestion.users >= min_users]
    return sorted(found, key=lambda suggestion: (-suggestion.users, -len(suggestion.memes)))


def _group_of(value: int, known: np.ndarray, firsts: np.ndarray) -> int | None:
    """The group a hash joins: None near a known template, a group's number near its first hash, else a new one's."""
    if known.size and distances(value, known).min() <= MAX_DISTANCE:
        return None
    if firsts.size:
        gaps = distances(value, firsts)
        if gaps.min() <= MAX_DISTANCE:
            return int(gaps.argmin())
    return firsts.size


def suggestion_get(key) -> Suggestion:
    """The suggestion of this key, or a ValidationError when there is none (any more)."""
    try:
        key = uuid.UUID(str(key))
    except ValueError as error:
        raise ValidationError("No such suggestion.") from error
    for suggestion in suggestions():
        if suggestion.key == key:
            return suggestion
    raise ValidationError("No such suggestion: it is a template already, or too few users captioned it now.")


def suggestion_picture(suggestion: Suggestion) -> Image.Image:
    """The suggestion's picture (an animation's first frame). ImageRejected or OSError when it cannot be read."""
    job = Job.objects.get(pk=suggestion.key)
    with job.background.open("rb") as file:
        return _first_frame(picture_open(file.read()))


def suggestion_thumbnail(key) -> bytes:
    """The suggestion's picture, at most THUMBNAIL_SIDE pixels a side, as JPEG. ValidationError when there is no
    such suggestion, or its picture cannot be read."""
    try:
        picture = suggestion_picture(suggestion_get(key))
    except (ImageRejected, OSError) as error:
        raise ValidationError(f"The picture cannot be read: {error}") from error
    picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def suggestion_boxes(suggestion: Suggestion) -> list[dict]:
    """The boxes most of its memes used (the top and bottom bands where none were placed)."""
    layouts = Counter(json.dumps(row["boxes"], sort_keys=True) for row in suggestion.memes)
    boxes = json.loads(layouts.most_common(1)[0][0])
    return boxes or [asdict(box) for box in TOP_AND_BOTTOM]


def suggestion_accept(key, name: str) -> Template:
    """Make a suggestion a template named name: its picture (any text on it lifted off by ml.memeparse), the boxes
    most of its memes used, and each meme's caption as one of its training captions. ValidationError saying what
    is wrong."""
    suggestion = suggestion_get(key)
    try:
        picture = suggestion_picture(suggestion)
    except (ImageRejected, OSError) as error:
        raise ValidationError(f"The picture cannot be read: {error}") from error
    png = proposal_png(parse_meme(picture, read=False))
    with transaction.atomic():
        template = template_create(name.strip(), png, suggestion_boxes(suggestion))
        for row in suggestion.memes:
            caption_keep(template, row["meme__lines"], dataset=DATASET, external_id=f"meme:{row['meme_id']}",
                         title=row["meme__title"])  # fmt: skip
    return template
