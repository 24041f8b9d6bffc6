"""How templates, memes and jobs look over the API and the websocket."""

import json
import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers
from rest_framework.utils import html

from expressions.serializers import LabelledFaceSerializer
from memes.models import Meme, Template, TextBox
from memesite.parsers import JSONField

from .models import Job
from .services import boxes_clean, lines_clean, template_image_clean, title_clean, upload_open


def as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    # An error that names its fields keeps them: {"photo": [...]}.
    return serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else list(error.messages))


class SlugLookupField(serializers.SlugRelatedField):
    """A slug or a name that picks a row. Text with a NUL byte picks none: PostgreSQL refuses to even compare it."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


LINES_HELP = (
    "The caption, one line per box. In a multipart form, repeat the field once per line (-F lines=top "
    "-F lines=bottom) or send one field holding a JSON list of strings (-F 'lines=[\"top\",\"bottom\"]')."
)


class LinesField(serializers.ListField):
    """A caption's lines: a JSON list, or in a multipart form the field repeated, or one field holding a JSON list
    (what `curl -F 'lines=["top","bottom"]'` sends; it was read as one line with brackets and quotes in it)."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(allow_blank=True, trim_whitespace=False), **kwargs)

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if html.is_html_input(dictionary) and isinstance(value, list) and len(value) == 1:
            try:
                listed = json.loads(value[0])
            except (ValueError, RecursionError):
                return value  # a line of text, brackets or not
            if isinstance(listed, list) and all(isinstance(line, str) for line in listed):
                return listed
        return value


class TextBoxSerializer(serializers.ModelSerializer):
    class Meta:
        model = TextBox
        fields = ("x", "y", "width", "height", "align", "angle", "style", "color", "outline", "font", "start", "stop",
                  "example")  # fmt: skip


class TemplateSerializer(serializers.ModelSerializer):
    boxes = TextBoxSerializer(many=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=Template.MAX_TAG_CHARS), max_length=Template.MAX_TAGS, required=False
    )

    class Meta:
        model = Template
        fields = ("slug", "name", "image", "boxes", "tags", "expression", "source", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")

    def to_internal_value(self, data):
        # A multipart form (needed to send the image) carries the boxes and tags as JSON text.
        if hasattr(data, "getlist"):
            data = {key: data.get(key) for key in data}
            for key in ("boxes", "tags"):
                if isinstance(data.get(key), str):
                    try:
                        data[key] = json.loads(data[key])
                    except (ValueError, RecursionError) as error:
                        raise serializers.ValidationError({key: "Send this as JSON text."}) from error
        return super().to_internal_value(data)

    def validate_image(self, image):
        try:
            template_image_clean(image)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return image

    def validate_boxes(self, boxes):
        if not 1 <= len(boxes) <= 10:
            raise serializers.ValidationError("A template has between 1 and 10 text boxes.")
        for number, box in enumerate(boxes, start=1):
            if box.get("x", 0) + box.get("width", 1) > 1.0001 or box.get("y", 0) + box.get("height", 0.2) > 1.0001:
                raise serializers.ValidationError(f"Box {number} reaches outside the image.")
        return boxes

    @transaction.atomic
    def create(self, validated_data):
        boxes = validated_data.pop("boxes")
        template = Template.objects.create(**validated_data)
        self._save_boxes(template, boxes)
        return template

    @transaction.atomic
    def update(self, template, validated_data):
        boxes = validated_data.pop("boxes", None)
        template = super().update(template, validated_data)
        if boxes is not None:
            template.boxes.all().delete()
            self._save_boxes(template, boxes)
        return template

    @staticmethod
    def _save_boxes(template, boxes):
        TextBox.objects.bulk_create(
            TextBox(template=template, position=position, **box) for position, box in enumerate(boxes)
        )


class MemeSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    template = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="None on the user's own image."
    )
    url = serializers.CharField(source="get_absolute_url", read_only=True, help_text="The meme's page (a path).")
    image = serializers.SerializerMethodField(help_text="The image's address (image_url), absolute over HTTP.")
    vote = serializers.SerializerMethodField(help_text="Your vote on it: 1, -1 or 0 (in gallery listings).")
    image_url = serializers.CharField(
        source="get_image_url", read_only=True,
        help_text="The image's stable address (a path): it changes when the image does.",
    )  # fmt: skip

    class Meta:
        model = Meme
        fields = (
            "id", "url", "owner", "template", "lines", "boxes", "title", "caption", "image", "image_url", "source",
            "model_version", "parent", "is_public", "is_hidden", "ups", "downs", "score", "vote", "created_at",
        )  # fmt: skip
        read_only_fields = fields

    def get_vote(self, meme) -> int:
        return self.context.get("votes", {}).get(meme.pk, 0)

    def get_image(self, meme) -> str:
        # Not the file's own address: the image is served only at the meme's, to who may see the meme.
        request = self.context.get("request")
        return request.build_absolute_uri(meme.get_image_url()) if request else meme.get_image_url()


class FaceSerializer(serializers.Serializer):
    """A face found in photo mode: its box in the photo's pixels and the expression read on it."""

    x = serializers.IntegerField()
    y = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    label = serializers.CharField()
    confidence = serializers.FloatField()
    probabilities = serializers.DictField(child=serializers.FloatField())


class JobLabelledFaceSerializer(LabelledFaceSerializer):
    """A face of the job's photo, labelled by its owner."""

    job = serializers.SerializerMethodField()

    class Meta(LabelledFaceSerializer.Meta):
        fields = ("id", "job", *LabelledFaceSerializer.Meta.fields[1:])
        read_only_fields = fields

    def get_job(self, labelled) -> uuid.UUID:
        return self.context["job"].id


class JobSerializer(serializers.ModelSerializer):
    meme = MemeSerializer(read_only=True, allow_null=True, help_text="None until the job has made it.")
    template = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    faces = FaceSerializer(many=True, read_only=True)

    class Meta:
        model = Job
        fields = (
            "id", "kind", "status", "progress", "stage", "error", "template", "title", "lines", "candidates",
            "model_version", "faces", "face", "expression", "confidence", "on_photo", "notice", "meme", "created_at",
        )  # fmt: skip
        read_only_fields = fields


class ManualMemeSerializer(serializers.Serializer):
    """A meme written by hand: lines on a template, or on an uploaded image."""

    source = serializers.ChoiceField(choices=[Meme.Source.MANUAL.value], default=Meme.Source.MANUAL.value)
    template = SlugLookupField(slug_field="slug", queryset=Template.objects.all(), required=False, allow_null=True)
    image = serializers.ImageField(required=False, allow_null=True, help_text="Your own image instead of a template.")
    lines = LinesField(help_text=LINES_HELP)
    boxes = JSONField(
        required=False, allow_null=True,
        help_text='With your own image: one box per line, [{"x": 0.1, "y": 0.05, "width": 0.8, "height": 0.2}, ...], '
        "fractions of the image (JSON text in a multipart form). Without: the top and bottom bands.",
    )  # fmt: skip
    is_public = serializers.BooleanField(
        default=None, allow_null=True, help_text="Default: public on a template, private on your own image."
    )

    def validate_lines(self, lines):
        try:
            return lines_clean(lines)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error

    def validate_image(self, image):
        if image is not None:
            try:
                upload_open(image)
            except DjangoValidationError as error:
                raise as_drf_error(error) from error
        return image

    def validate(self, data):
        if (data.get("template") is None) == (data.get("image") is None):
            raise serializers.ValidationError("Choose a template or upload an image, not both.")
        if data.get("boxes"):  # [] or null: no boxes, the top and bottom bands
            if data.get("template") is not None:
                raise serializers.ValidationError({"boxes": "Boxes go with your own image; a template has its own."})
            try:
                data["boxes"] = boxes_clean(data["boxes"], len(data["lines"]))
            except DjangoValidationError as error:
                raise serializers.ValidationError({"boxes": error.messages}) from error
        return data


class RemixSerializer(serializers.Serializer):
    """A remix: the parent's template and caption, the lines changed if given."""

    lines = LinesField(required=False, help_text="The new caption, one line per box; the parent's when left out.")
    is_public = serializers.BooleanField(default=None, allow_null=True, help_text="Default: as the parent.")

    def validate_lines(self, lines):
        try:
            return lines_clean(lines)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error


class TitleMemeSerializer(serializers.Serializer):
    """A meme whose caption the model writes from a title (title mode)."""

    source = serializers.ChoiceField(choices=[Meme.Source.TITLE.value])
    template = SlugLookupField(slug_field="slug", queryset=Template.objects.all())
    title = serializers.CharField(trim_whitespace=False, help_text="A few words for the caption model to write about.")
    is_public = serializers.BooleanField(default=True)

    def validate_title(self, title):
        try:
            return title_clean(title)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error


class PhotoMemeSerializer(serializers.Serializer):
    """A meme made from a photo (photo mode): the expression read on a face picks the template and the caption."""

    source = serializers.ChoiceField(choices=[Meme.Source.PHOTO.value])
    # A plain file and text: job_create_photo checks them, and its errors name the field.
    photo = serializers.FileField(help_text="A JPEG, PNG, GIF or WebP photo with a face.")
    title = serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False,
        help_text="Optional: what the caption is about (else the expression read).",
    )  # fmt: skip
    face = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, help_text="Which face to read: 0, the largest, unless set.",
        validators=Job._meta.get_field("face").validators,  # the column's range: a larger number cannot be stored
    )
    on_photo = serializers.BooleanField(default=False, help_text="Put the caption on the photo, not on a template.")
    is_public = serializers.BooleanField(default=False, help_text="Default: private, as a photo of a person should be.")


class ManualJsonMemeSerializer(ManualMemeSerializer):
    """How the API schema shows a hand-written meme sent as JSON: on a template (your own image needs multipart)."""

    image = None
    boxes = None


class MemeFormSerializer(serializers.Serializer):
    """How the API schema shows making a meme in a multipart form: one flat set of fields (which ones count depends
    on `source`, as the JSON variants say). Only documents the form; the view checks it with the serializers above."""

    source = serializers.ChoiceField(choices=Meme.Source.choices, default=Meme.Source.MANUAL.value)
    template = serializers.CharField(
        required=False, help_text="manual or title: the template's slug (its name works too), e.g. drake."
    )
    lines = LinesField(required=False, help_text=f"manual (required): {LINES_HELP}")
    image = serializers.ImageField(
        required=False, help_text="manual: your own image instead of a template, a JPEG, PNG, GIF or WebP file."
    )
    boxes = serializers.CharField(
        required=False,
        help_text='manual, with your own image: JSON text, a list of one box per line, each {"x", "y", "width", '
        '"height"} as fractions of the image, e.g. [{"x": 0.1, "y": 0.05, "width": 0.8, "height": 0.2}]. '
        "Left out (or []): the top and bottom bands.",
    )  # fmt: skip
    title = serializers.CharField(required=False, help_text="title (required) or photo: what the caption is about.")
    photo = serializers.FileField(
        required=False, help_text="photo (required): a JPEG, PNG, GIF or WebP file with a face in it."
    )
    face = serializers.IntegerField(
        required=False, min_value=0, help_text="photo: which face to read, a number; 0 (the default) is the largest."
    )
    on_photo = serializers.BooleanField(
        required=False, help_text="photo: true to put the caption on the photo, not on a template; default false."
    )
    is_public = serializers.BooleanField(
        required=False,
        help_text="true or false. Default: public on a template, private on your own image or a photo.",
    )


class ChooseFaceSerializer(serializers.Serializer):
    face = serializers.IntegerField(min_value=0, help_text="Which of the job's faces to make the meme from.")


class ChooseCaptionSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(min_value=0, help_text="Which of the job's candidates to draw.")
