"""The caption corpus the model learns from, and the registry of trained caption models."""

from django.conf import settings
from django.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q

from memes.models import Template


class Caption(models.Model):
    """One imported caption: the text of each box of a meme made on a template.

    Captions that users write on the site are not copied here: the corpus reads them from their memes.
    """

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="captions")
    boxes = models.JSONField(help_text="The text of each box, top to bottom.")
    title = models.CharField(max_length=300, blank=True)
    dataset = models.CharField(max_length=50, default="imgflip", help_text="Where the caption came from.")
    external_id = models.CharField(max_length=64, help_text="The caption's id in its dataset (makes imports idempotent).")
    views = models.PositiveIntegerField(default=0)
    votes = models.IntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "external_id"], name="unique_caption_per_dataset"),
        ]

    def __str__(self):
        return " / ".join(self.boxes)


class Version(models.Model):
    """A trained model in a folder, maybe fine-tuned from another; one version of a kind is active at a time."""

    path = models.CharField(max_length=500, help_text="The folder holding the model's files.")
    base = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="fine_tunes",
        help_text="The version this one was fine-tuned from.",
    )  # fmt: skip
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self):
        return self.name + (" (active)" if self.is_active else "")


class CaptionModelVersion(Version):
    """A trained caption model: its files live in a folder; exactly one version is active at a time."""

    class State(models.TextChoices):
        TRAINED = "trained", "Trained"
        TESTING = "testing", "In a live experiment: passed the held-out gate"
        PROMOTED = "promoted", "Promoted: beat the active model"
        REJECTED = "rejected", "Rejected: did not beat the active model"

    name = models.CharField(max_length=100, unique=True, help_text="The version string the model files carry.")
    head = models.CharField(max_length=20, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.TRAINED)
    gate = models.JSONField(
        default=dict, blank=True, help_text="Perplexities of this version and the active one on the gate's held-out sets."
    )

    class Meta(Version.Meta):
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_caption_model"),
        ]


class ScorerVersion(Version):
    """A caption scorer (ml.scorer: which of two captions people vote for more): the bundled one, or one the learning
    loop fine-tuned on the site's votes. It reads the word vectors of the caption model folder it was trained over;
    one version at a time is active and weighs in title mode's ranking."""

    class State(models.TextChoices):
        BUNDLED = "bundled", "Bundled: trained on ImgFlip's votes"
        PROMOTED = "promoted", "Promoted: ranked held-out site pairs better than the active scorer"
        REJECTED = "rejected", "Rejected: did not rank held-out site pairs better"

    name = models.CharField(max_length=200, unique=True, help_text="The version string the scorer's files carry.")
    vectors_path = models.CharField(max_length=500, help_text="The caption model folder whose word vectors it reads.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.BUNDLED)
    gate = models.JSONField(
        default=dict, blank=True, help_text="Pairwise AUC of this version and the active one on held-out site pairs."
    )

    class Meta(Version.Meta):
        constraints = [models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_scorer")]


class TrainingRun(models.Model):
    """One turn of the learning loop: collect what people wrote and liked, fine-tune the active caption model,
    judge the candidate on held-out captions, promote or reject it, refit the photo ensemble's weights."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=200, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="Fine-tuning settings that differ from the defaults.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, help_text="Empty: the schedule."
    )
    candidate = models.ForeignKey(CaptionModelVersion, on_delete=models.SET_NULL, null=True, blank=True)
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Training run {self.pk} ({self.status})"


class Experiment(models.Model):
    """A live A/B test: a candidate caption model writes a share of title-mode captions beside the active one (the
    control), and is promoted only when its memes are liked more (captions.experiments judges the votes)."""

    class Status(models.TextChoices):
        RUNNING = "running"
        PROMOTED = "promoted", "Promoted: its memes were liked more"
        ROLLED_BACK = "rolled back", "Rolled back: liked less, or undecided in time"
        STOPPED = "stopped", "Stopped by staff or by a newer candidate"

    candidate = models.ForeignKey(CaptionModelVersion, on_delete=models.CASCADE, related_name="experiments")
    control = models.ForeignKey(
        CaptionModelVersion, on_delete=models.CASCADE, related_name="+", help_text="The model active when it started."
    )
    share = models.FloatField(
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="The share of title-mode captions the candidate writes.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(help_text="Rolled back if still undecided then.")
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    history = models.JSONField(default=list, blank=True, help_text="Each judgement: the votes and the estimate then.")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="one_running_caption_experiment"
            ),
        ]

    def __str__(self):
        return f"{self.candidate.name} vs {self.control.name} ({self.status})"
