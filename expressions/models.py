"""What users teach the expression ensemble: faces they labelled, and the per-class fusion weights fitted on them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from memes.models import EXPRESSIONS
from memesite.storage import private_storage


class LabelledFace(models.Model):
    """A face whose expression a user told us: one validation example for fitting the fusion weights."""

    # A person's face: private, shown to staff only through the admin (LabelledFaceAdmin.image_view).
    image = models.ImageField(
        upload_to="faces/", storage=private_storage, help_text="The face with some margin, as the user saw it."
    )
    member_probs = models.JSONField(
        help_text="What each member of the ensemble read, before calibration: member name → probabilities by class "
        "(faces kept before the members were different networks: a members × classes list)."
    )
    label = models.CharField(max_length=16, choices=EXPRESSIONS)
    labelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # The app that read the photo names it (the generator: "job:<id>"); this app never looks inside the name.
    photo = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Which photo the face is from, e.g. job:<id>."
    )
    face = models.PositiveSmallIntegerField(default=0, help_text="Which of the photo's faces, 0 the largest.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Correcting a face again replaces the label rather than counting the face twice.
            models.UniqueConstraint(fields=["photo", "face"], condition=~Q(photo=""), name="one_label_per_photo_face"),
        ]

    def __str__(self):
        return f"{self.label} face {self.pk}"


class FusionWeights(models.Model):
    """One fit of the members' temperatures and the members × classes weights; the newest is the one the ensemble
    uses (none: temperatures 1, uniform weights)."""

    matrix = models.JSONField(help_text="members × classes; each class's column sums to 1.")
    temperatures = models.JSONField(
        default=list, blank=True,
        help_text="Each member's temperature, in the matrix's row order: its log-probabilities are divided by it "
        "before the weights fuse them (none: 1).",
    )
    members = models.JSONField(help_text="The members' names, the matrix's rows.")
    classes = models.JSONField(help_text="The classes' names, the matrix's columns.")
    faces = models.PositiveIntegerField(help_text="How many labelled faces the weights were fitted on.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "fusion weights"

    def __str__(self):
        return f"Fusion weights {self.pk} ({self.faces} faces)"
