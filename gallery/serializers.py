from rest_framework import serializers

from accounts.models import User
from generator.serializers import SlugLookupField
from memes.models import Template

from .selectors import PERIODS, RANKINGS


class GalleryQuerySerializer(serializers.Serializer):
    sort = serializers.ChoiceField(choices=list(RANKINGS), default="hot", help_text="hot, best, top or new.")
    period = serializers.ChoiceField(
        choices=list(PERIODS), default="week", help_text="For top: memes made in the last day, week, or all time."
    )
    template = SlugLookupField(
        slug_field="slug", queryset=Template.objects.all(), required=False, help_text="Only this template's memes."
    )
    user = SlugLookupField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False,
        help_text="Only this user's memes (their own private and hidden ones too, to themselves).",
    )  # fmt: skip


class VoteSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=[1, -1, 0], help_text="1 up, -1 down, 0 none.")


class TallySerializer(serializers.Serializer):
    meme = serializers.IntegerField()
    ups = serializers.IntegerField()
    downs = serializers.IntegerField()
    score = serializers.IntegerField()
    vote = serializers.IntegerField(help_text="Your vote now: 1, -1 or 0.")


class ReportSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class HideSerializer(serializers.Serializer):
    hidden = serializers.BooleanField(default=True)


class PublishSerializer(serializers.Serializer):
    public = serializers.BooleanField(default=True, help_text="true: in the public gallery; false: private.")
