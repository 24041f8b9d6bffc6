"""Starter templates for a fresh machine, made from the freely licensed sample images that the
scikit-image package ships (read from the installed package, never downloaded)."""

from dataclasses import dataclass
from importlib import resources

from django.core.files.base import ContentFile
from django.db import transaction

from memes.layout import TOP_AND_BOTTOM
from memes.models import Template, TextBox
from memesite.images import open_image

from .rendering import render_meme


@dataclass(frozen=True)
class Starter:
    slug: str
    name: str
    file: str
    examples: tuple[str, str]
    tags: tuple[str, ...] = ()
    expression: str = ""
    width: int | None = None  # drawn this wide when the package's picture is too small to read
    windows: tuple[tuple[float, float], ...] = ((0.0, 1.0), (0.0, 1.0))  # each box's start and stop (animations)


STARTERS = (
    Starter("astronaut", "Smiling Astronaut", "astronaut.png", ("when the code works", "on the first try"),
            ("space", "nasa", "success"), "happy"),
    Starter("chelsea-the-cat", "Unimpressed Cat", "chelsea.png", ("you call this", "a meme?"), ("cat", "judging")),
    Starter("coffee", "Coffee First", "coffee.png", ("monday morning", "but first coffee"), ("coffee", "morning")),
    Starter("rocket", "Rocket Launch", "rocket.jpg", ("my expectations", "my grades"), ("rocket", "launch")),
    Starter("cameraman", "Serious Cameraman", "camera.png", ("nobody:", "me filming it anyway"), ("camera", "vintage")),
    Starter("astronaut-moon", "The Moon", "moon.png", ("that's no moon", "it's a meme"), ("moon", "space")),
    # An animated GIF (24 frames, 14×25 pixels): the bottom line comes in halfway through.
    Starter("no-time-for-that", "Ain't Nobody Got Time for That", "no_time_for_that_tiny.gif",
            ("memes?", "ain't nobody got time for that"), ("animated", "no time"), width=280,
            windows=((0.0, 1.0), (0.5, 1.0))),
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
            template.image.save(starter.file, ContentFile(_image_bytes(starter)), save=False)
            template.save()
            TextBox.objects.bulk_create(
                TextBox(template=template, position=position, example=example, start=start, stop=stop,
                        **_geometry(spec))  # fmt: skip
                for position, (spec, example, (start, stop)) in enumerate(
                    zip(TOP_AND_BOTTOM, starter.examples, starter.windows)
                )
            )
        created += 1
    return created, len(STARTERS) - created


def _image_bytes(starter: Starter) -> bytes:
    data = resources.files("skimage.data").joinpath(starter.file).read_bytes()
    if starter.width is None:
        return data
    # Enlarged by the renderer with no text, so an animation stays one, in the format it came in.
    picture = open_image(data, max_frames=1000)
    return render_meme(picture, [], [], width=starter.width, format=starter.file.rsplit(".", 1)[-1])


def _geometry(spec) -> dict:
    return {"x": spec.x, "y": spec.y, "width": spec.width, "height": spec.height}
