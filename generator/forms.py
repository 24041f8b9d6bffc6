from dataclasses import replace

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from memes.layout import TOP_AND_BOTTOM
from memes.models import Template

from .services import box_clean, lines_clean, title_clean


def _line_field(number: int, placeholder: str = "") -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=settings.MEME_MAX_LINE_CHARS,
        label=f"Line {number}",
        widget=forms.TextInput(attrs={"placeholder": placeholder, "autocomplete": "off"}),
    )


class MemeForm(forms.Form):
    """One text field per box (each with its placeholder: the template's examples), plus whether the meme is public."""

    is_public = forms.BooleanField(required=False, initial=True, label="Show it in the public gallery")

    def __init__(self, placeholders: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        for position, placeholder in enumerate(placeholders):
            self.fields[f"line_{position}"] = _line_field(position + 1, placeholder)
        self.order_fields([name for name in self.fields if name.startswith("line_")] + ["is_public"])

    def clean(self):
        data = super().clean()
        lines = [data.get(name, "") for name in self.fields if name.startswith("line_")]
        try:
            data["lines"] = lines_clean(lines)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        return data


# Where the boxes start on one's own image: the top and bottom bands, then across the middle.
OWN_IMAGE_BOXES = [*TOP_AND_BOTTOM, replace(TOP_AND_BOTTOM[0], y=0.41), replace(TOP_AND_BOTTOM[0], x=0.2, width=0.6, y=0.6)]


class OwnImageForm(forms.Form):
    """Your own image and a box for each line, placed by its numbers (fractions of the image), which the page's
    script sets as the boxes are dragged. Rows left without text are left out."""

    image = forms.FileField(label="Your image", widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    is_public = forms.BooleanField(required=False, initial=False, label="Show it in the public gallery")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for position, box in enumerate(OWN_IMAGE_BOXES):
            self.fields[f"line_{position}"] = _line_field(position + 1)
            for name in ("x", "y", "width", "height"):
                self.fields[f"{name}_{position}"] = forms.FloatField(
                    required=False, min_value=0, max_value=1, initial=getattr(box, name), label=name.capitalize(),
                    widget=forms.NumberInput(attrs={"step": "0.001", "data-box": position, "data-side": name}),
                )  # fmt: skip

    def rows(self):
        """Each box's fields, for the page: (line, x, y, width, height)."""
        return [[self[f"{name}_{position}"] for name in ("line", "x", "y", "width", "height")]
                for position in range(len(OWN_IMAGE_BOXES))]  # fmt: skip

    def clean(self):
        data = super().clean()
        filled = [p for p in range(len(OWN_IMAGE_BOXES)) if data.get(f"line_{p}", "").strip()]
        try:
            data["lines"] = lines_clean([data[f"line_{p}"] for p in filled])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        data["boxes"] = []
        for position in filled:
            try:
                box = {name: data.get(f"{name}_{position}") for name in ("x", "y", "width", "height")}
                data["boxes"].append(box_clean(box))
            except ValidationError as error:  # shown on the box's row, numbered as the page numbers it
                self.add_error(f"line_{position}", f"Box {position + 1}: {error.message}")
        return data


class TitleForm(forms.Form):
    """Title mode: the caption model writes the lines from a title."""

    title = forms.CharField(
        max_length=settings.MEME_MAX_TITLE_CHARS,
        label="Title",
        widget=forms.TextInput(attrs={"placeholder": "when the tests pass on the first try", "autocomplete": "off"}),
    )
    is_public = forms.BooleanField(required=False, initial=True, label="Show it in the public gallery")

    def clean_title(self):
        try:
            return title_clean(self.cleaned_data["title"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error


class PhotoForm(forms.Form):
    """Photo mode: the expression read on the photo's face picks the template, and the caption model writes."""

    # A plain file: job_create_photo opens it safely and says what is wrong with it.
    photo = forms.FileField(label="Your photo", widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    title = forms.CharField(
        required=False,
        max_length=settings.MEME_MAX_TITLE_CHARS,
        label="Title (optional)",
        help_text="What the caption is about; without one, the expression read on the face.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    on_photo = forms.BooleanField(required=False, label="Put the caption on my photo instead of a template")
    # A photo of a person is theirs to show: private unless they say otherwise.
    is_public = forms.BooleanField(required=False, initial=False, label="Show it in the public gallery")


class TagsField(forms.CharField):
    """A template's tags as staff type them, words separated by commas; kept as a list."""

    def __init__(self, **kwargs):
        super().__init__(required=False, help_text="Words separated by commas, e.g. cat, office.", **kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        words = (word.strip() for word in super().to_python(value).split(","))
        return list(dict.fromkeys(word for word in words if word))  # in order, each once

    def validate(self, value):
        if len(value) > Template.MAX_TAGS:
            raise ValidationError(f"At most {Template.MAX_TAGS} tags.")
        for word in value:
            if len(word) > Template.MAX_TAG_CHARS:
                raise ValidationError(f"A tag has at most {Template.MAX_TAG_CHARS} characters: {word[:20]}…")
