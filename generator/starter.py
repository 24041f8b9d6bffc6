"""Starter templates for a fresh machine, made from the freely licensed sample images that the
scikit-image package ships (read from the installed package, never downloaded)."""

from dataclasses import dataclass
from importlib import resources

from django.core.files.base import ContentFile
from django.db import transaction

from .models import Template, TextBox
from .rendering import TOP_AND_BOTTOM


@dataclass(frozen=True)
class Starter:
    slug: str
    name: str
    file: str
    examples: tuple[str, str]
    tags: tuple[str, ...] = ()
    expression: str = ""


STARTERS = (
    Starter("astronaut", "Smiling Astronaut", "astronaut.png", ("when the code works", "on the first try"),
            ("space", "nasa", "success"), "happy"),
    Starter("chelsea-the-cat", "Unimpressed Cat", "chelsea.png", ("you call this", "a meme?"), ("cat", "judging")),
    Starter("coffee", "Coffee First", "coffee.png", ("monday morning", "but first coffee"), ("coffee", "morning")),
    Starter("rocket", "Rocket Launch", "rocket.jpg", ("my expectations", "my grades"), ("rocket", "launch")),
    Starter("cameraman", "Serious Cameraman", "camera.png", ("nobody:", "me filming it anyway"), ("camera", "vintage")),
    Starter("astronaut-moon", "The Moon", "moon.png", ("that's no moon", "it's a meme"), ("moon", "space")),
)  # fmt: skip


def starter_templates_load() -> tuple[int, int]:
    """Create the starter templates that are missing; returns (created, already there)."""
    created = 0
    for starter in STARTERS:
        if Template.objects.filter(slug=starter.slug).exists():
            continue
        with transaction.atomic():
            template = Template(slug=starter.slug, name=starter.name, tags=list(starter.tags),
                                expression=starter.expression)  # fmt: skip
            image_bytes = resources.files("skimage.data").joinpath(starter.file).read_bytes()
            template.image.save(starter.file, ContentFile(image_bytes), save=False)
            template.save()
            TextBox.objects.bulk_create(
                TextBox(template=template, position=position, example=example, **_geometry(spec))
                for position, (spec, example) in enumerate(zip(TOP_AND_BOTTOM, starter.examples))
            )
        created += 1
    return created, len(STARTERS) - created


def _geometry(spec) -> dict:
    return {"x": spec.x, "y": spec.y, "width": spec.width, "height": spec.height}
