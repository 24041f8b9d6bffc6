from django.conf import settings
from django.db import models

from memes.models import Meme


class Vote(models.Model):
    """One user's up or down vote on one meme; undoing a vote deletes its row."""

    UP, DOWN = 1, -1
    VALUES = [(UP, "Up"), (DOWN, "Down")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    meme = models.ForeignKey(Meme, on_delete=models.CASCADE, related_name="votes")
    value = models.SmallIntegerField(choices=VALUES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meme", "user"], name="one_vote_per_user_and_meme"),
            models.CheckConstraint(condition=models.Q(value__in=[1, -1]), name="vote_is_up_or_down"),
        ]
        indexes = [models.Index(fields=["user", "meme"], name="vote_user_meme")]

    def __str__(self):
        return f"{self.user} {'+' if self.value > 0 else '-'}1 on meme {self.meme_id}"


class Report(models.Model):
    """A user's report that a meme breaks the rules; staff read them in admin and may hide the meme."""

    meme = models.ForeignKey(Meme, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["meme", "reporter"], name="one_report_per_user_and_meme")]

    def __str__(self):
        return f"{self.reporter} reported meme {self.meme_id}"
