"""The nouns every feature needs: templates with their text boxes, and memes with their visibility and tallies."""

import hashlib
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from memesite.storage import private_storage

from . import ranking
from .layout import TextBox as BoxSpec
from .layout import is_colour

EXPRESSIONS = [
    ("angry", "Angry"),
    ("disgust", "Disgust"),
    ("fear", "Fear"),
    ("happy", "Happy"),
    ("sad", "Sad"),
    ("surprise", "Surprise"),
    ("neutral", "Neutral"),
]

fraction = [MinValueValidator(0.0), MaxValueValidator(1.0)]


def validate_colour(value: str) -> None:
    """A colour the renderer can draw: a name (white, khaki) or #hex."""
    if value and not is_colour(value):
        raise ValidationError(f"{value!r} is not a colour: use a name such as white or a #hex value such as #ffcc00.")


class Template(models.Model):
    """A meme template: a blank image and the boxes its text goes in."""

    MAX_TAGS, MAX_TAG_CHARS = 30, 50  # what the API and admin take

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    image = models.ImageField(upload_to="templates/")
    tags = models.JSONField(default=list, blank=True, help_text='A list of words, e.g. ["cat", "office"].')
    expression = models.CharField(
        max_length=16, choices=EXPRESSIONS, blank=True, help_text="The expression this template fits (photo mode)."
    )
    source = models.URLField(blank=True)
    import_digest = models.CharField(max_length=64, blank=True, editable=False)
    import_folder = models.CharField(
        max_length=255, blank=True, editable=False,
        help_text="Where it was imported from (import_templates' folder, fetch_templates' address): only that "
        "updates it (else --replace).",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "generator_template"  # the table it had before the model moved here
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("generator:make", args=[self.slug])

    def text_boxes(self) -> list[BoxSpec]:
        return [box.as_spec() for box in self.boxes.all()]

    def example_lines(self) -> list[str]:
        return [box.example for box in self.boxes.all()]


class TextBox(models.Model):
    """Where one line of a template's text goes; geometry as fractions of the image (memegen's)."""

    ALIGNMENTS = [("center", "Centre"), ("left", "Left"), ("right", "Right")]
    STYLES = [
        ("upper", "UPPER CASE"), ("none", "As typed"), ("mock", "mOcKiNg"), ("lower", "lower case"),
        ("title", "Title Case"), ("default", "Capitalized when typed all in lower case"),
    ]  # fmt: skip
    FONTS = [("thick", "Thick (Anton)"), ("thin", "Thin (Noto Sans)"), ("comic", "Comic (Kalam)")]

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="boxes")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order of the box: 0 is the first line.")
    x = models.FloatField(default=0.0, validators=fraction, help_text="Left edge, as a fraction of the width.")
    y = models.FloatField(default=0.0, validators=fraction, help_text="Top edge, as a fraction of the height.")
    width = models.FloatField(default=1.0, validators=fraction)
    height = models.FloatField(default=0.2, validators=fraction)
    align = models.CharField(max_length=8, choices=ALIGNMENTS, default="center")
    angle = models.FloatField(default=0.0, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    style = models.CharField(max_length=8, choices=STYLES, default="upper")
    color = models.CharField(max_length=32, default="white", validators=[validate_colour])
    outline = models.CharField(
        max_length=32, blank=True, validators=[validate_colour],
        help_text="The colour around the letters; empty: black, or white around dark text.",
    )  # fmt: skip
    font = models.CharField(max_length=8, choices=FONTS, default="thick")
    start = models.FloatField(
        default=0.0, validators=fraction, help_text="On an animated template: when the text appears, as a fraction."
    )
    stop = models.FloatField(default=1.0, validators=fraction, help_text="... and when it goes (1: at the end).")
    example = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "generator_textbox"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="unique_box_position"),
        ]

    def __str__(self):
        return f"{self.template.slug} box {self.position}"

    def clean(self):
        if self.start >= self.stop:
            raise ValidationError({"stop": "The text must go after it appears: stop is larger than start."})

    def as_spec(self) -> BoxSpec:
        return BoxSpec(
            x=self.x,
            y=self.y,
            width=self.width,
            height=self.height,
            align=self.align,
            angle=self.angle,
            style=self.style,
            color=self.color,
            font=self.font,
            outline=self.outline,
            start=self.start,
            stop=self.stop,
        )


IN_GALLERY = models.Q(is_public=True, is_hidden=False)


class Meme(models.Model):
    """A finished meme: a rendered image with the lines written on it."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Written by hand"
        TITLE = "title", "Captioned from a title"
        PHOTO = "photo", "Made from a photo"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memes")
    template = models.ForeignKey(Template, on_delete=models.SET_NULL, null=True, blank=True, related_name="memes")
    background = models.ImageField(
        upload_to="backgrounds/", storage=private_storage, blank=True, help_text="The user's own image, if any."
    )
    boxes = models.JSONField(
        default=list, blank=True, help_text="On the user's own image: where each line goes (x, y, width, height)."
    )
    lines = models.JSONField(default=list)
    title = models.CharField(max_length=200, blank=True)
    image = models.ImageField(upload_to="memes/", storage=private_storage)  # served by the meme's image view
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="remixes",
        help_text="The meme this one remixes.",
    )  # fmt: skip
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    model_version = models.CharField(max_length=100, blank=True, help_text="The caption model that wrote it, if any.")
    is_public = models.BooleanField(default=True)
    is_hidden = models.BooleanField(default=False, help_text="Hidden by staff: only staff and the owner see it.")
    # The vote tally, kept by gallery.services.vote_cast under a row lock, and the rankings it gives.
    ups = models.PositiveIntegerField(default=0, editable=False)
    downs = models.PositiveIntegerField(default=0, editable=False)
    score = models.IntegerField(default=0, editable=False)
    hot = models.FloatField(default=0.0, editable=False)
    best = models.FloatField(default=0.0, editable=False)
    # A default rather than auto_now_add, so that imported and seeded memes keep their own dates.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "generator_meme"
        ordering = ["-created_at", "-id"]
        # One partial index per gallery ranking, over the memes the gallery shows.
        indexes = [
            models.Index(fields=[f"-{field}", "-id"], condition=IN_GALLERY, name=f"meme_gallery_{field}")
            for field in ("hot", "best", "score", "created_at")
        ] + [
            models.Index(fields=["template", "-created_at"], name="meme_template_new"),
            models.Index(fields=["owner", "-created_at"], name="meme_owner_new"),
        ]

    def __str__(self):
        return self.caption or f"Meme {self.pk}"

    def get_absolute_url(self):
        return reverse("gallery:meme", args=[self.pk])

    # Written only by gallery.services under the meme's row lock (a queryset update).
    TALLY_FIELDS = frozenset({"ups", "downs", "score", "hot", "best"})

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.hot = ranking.hot(self.ups, self.downs, self.created_at)
        elif kwargs.get("update_fields") is None:
            # A meme read before a vote came in holds the old tally: saving it whole would undo that vote.
            kwargs["update_fields"] = [
                field.name for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.TALLY_FIELDS
            ]  # fmt: skip
        super().save(*args, **kwargs)

    @property
    def caption(self) -> str:
        """The lines as one sentence: the image's alt text."""
        return " / ".join(line for line in self.lines if line.strip())

    @property
    def in_gallery(self) -> bool:
        return self.is_public and not self.is_hidden

    @property
    def image_key(self) -> str:
        """Names this rendering of the meme: every render writes a file of a new name, so the key (and the image's
        address) changes exactly when the image does."""
        return hashlib.sha256(self.image.name.encode()).hexdigest()[:20]

    def get_image_url(self) -> str:
        """The image's stable, cacheable address."""
        extension = PurePosixPath(self.image.name).suffix.lstrip(".").lower() or "jpg"
        return reverse("images:meme", kwargs={"meme_id": self.pk, "key": self.image_key, "extension": extension})


