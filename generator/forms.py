from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from .services import lines_clean, title_clean


class MemeForm(forms.Form):
    """One text field per box of the template, plus whether the meme is public."""

    is_public = forms.BooleanField(required=False, initial=True, label="Show it in the public gallery")

    def __init__(self, template, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        for position, box in enumerate(template.boxes.all()):
            self.fields[f"line_{position}"] = forms.CharField(
                required=False,
                max_length=settings.MEME_MAX_LINE_CHARS,
                label=f"Line {position + 1}",
                widget=forms.TextInput(attrs={"placeholder": box.example, "autocomplete": "off"}),
            )
        self.order_fields([name for name in self.fields if name.startswith("line_")] + ["is_public"])

    def clean(self):
        data = super().clean()
        lines = [data.get(name, "") for name in self.fields if name.startswith("line_")]
        try:
            data["lines"] = lines_clean(lines)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
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
    is_public = forms.BooleanField(required=False, initial=True, label="Show it in the public gallery")
