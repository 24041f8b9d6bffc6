"""A user's correction of an expression, over the API."""

from rest_framework import serializers

from memes.models import EXPRESSIONS

from .models import LabelledFace


class FaceLabelSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=EXPRESSIONS, help_text="The expression the face really shows.")
    face = serializers.IntegerField(min_value=0, default=0, help_text="Which of the photo's faces, 0 the largest.")


class LabelledFaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabelledFace
        fields = ("id", "face", "label", "created_at")
        read_only_fields = fields
