"""Making memes: a job is one request to make a meme, carried out by a worker."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from memes.models import Meme, Template
from memesite.storage import private_storage


class Job(models.Model):
    """A request to make a meme, carried out by a worker; its progress is pushed to the browser."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=8, choices=Meme.Source.choices, default=Meme.Source.MANUAL)
    template = models.ForeignKey(Template, on_delete=models.SET_NULL, null=True, blank=True)
    background = models.ImageField(upload_to="backgrounds/", storage=private_storage, blank=True)
    boxes = models.JSONField(default=list, blank=True, help_text="On the user's own image: where each line goes.")
    picture_hash = models.CharField(
        max_length=16, blank=True,
        help_text="On the user's own image: its perceptual hash (16 hex digits), to find pictures many users caption.",
    )  # fmt: skip
    parent = models.ForeignKey(Meme, on_delete=models.SET_NULL, null=True, blank=True, related_name="remix_jobs")
    lines = models.JSONField(default=list)
    title = models.CharField(max_length=200, blank=True, help_text="What the caption model writes about (title mode).")
    candidates = models.JSONField(
        default=list, blank=True, help_text="The captions the model wrote (title mode); the user picks one."
    )
    model_version = models.CharField(max_length=100, blank=True)
    faces = models.JSONField(
        default=list, blank=True,
        help_text="Photo mode: every face found, largest first: its box in pixels and the expression read on it.",
    )  # fmt: skip
    face = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Photo mode: the face the meme is made from (0, the largest, unless chosen)."
    )
    expression = models.CharField(
        max_length=16, blank=True, help_text='Photo mode: the expression read on that face, or "no face".'
    )
    confidence = models.FloatField(null=True, blank=True, help_text="Photo mode: the ensemble's probability of it.")
    on_photo = models.BooleanField(default=False, help_text="Photo mode: the caption goes on the photo itself.")
    notice = models.CharField(max_length=300, blank=True, help_text="What the user should know about how it was made.")
    is_public = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    meme = models.OneToOneField(Meme, on_delete=models.SET_NULL, null=True, blank=True, related_name="job")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} job {self.id} ({self.status})"

    def get_absolute_url(self):
        return reverse("generator:job", args=[self.id])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def group_name(self) -> str:
        """The Channels group that hears about this job."""
        return f"job.{self.id.hex}"
