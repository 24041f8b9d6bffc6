"""Admin: "Add from a captioned meme". Staff upload a meme, see the proposal (the text found and lifted off, the
boxes and what was read in each), correct the boxes and the name, and save it as a new template."""

from __future__ import annotations

import base64
import json
import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from memes.models import Template, TextBox
from memesite.storage import private_storage

from . import template_parse

SESSION_KEY = "template_from_meme"
FOLDER = "template-proposals"


class UploadForm(forms.Form):
    image = forms.FileField(help_text="A captioned meme: white letters with a black outline.")


class ReviewForm(forms.Form):
    name = forms.CharField(max_length=Template._meta.get_field("name").max_length)
    boxes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100}),
        help_text='The boxes, as JSON: [{"x", "y", "width", "height" (fractions), "style", "color", "example"}...]',
    )

    def clean_boxes(self):
        try:
            boxes = json.loads(self.cleaned_data["boxes"])
        except ValueError as error:
            raise ValidationError(f"The boxes are not JSON: {error}") from error
        if not isinstance(boxes, list) or not all(isinstance(box, dict) for box in boxes):
            raise ValidationError("The boxes are a JSON list of objects.")
        return [{key: box[key] for key in template_parse.BOX_FIELDS if key in box} for box in boxes]


def from_meme_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    context = {**model_admin.admin_site.each_context(request), "opts": Template._meta, "title": "Add a template from a captioned meme"}
    upload_form, review_form = UploadForm(), None
    kept = request.session.get(SESSION_KEY)
    if request.method == "POST" and "image" in request.FILES:
        upload_form = UploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            try:
                proposal = template_parse.template_propose(upload_form.cleaned_data["image"])
            except ValidationError as error:
                upload_form.add_error("image", error)
            else:
                name = private_storage().save(f"{FOLDER}/{secrets.token_urlsafe(16)}.png",
                                              ContentFile(template_parse.proposal_png(proposal)))  # fmt: skip
                data = template_parse.proposal_data(proposal)
                request.session[SESSION_KEY] = {"file": name, "preview": None}
                context["preview"] = base64.b64encode(template_parse.proposal_preview(proposal)).decode()
                context["proposal"] = data
                review_form = ReviewForm(initial={"name": "", "boxes": json.dumps(data["boxes"], indent=1)})
    elif request.method == "POST" and kept:
        review_form = ReviewForm(request.POST)
        if review_form.is_valid():
            try:
                with private_storage().open(kept["file"], "rb") as file:
                    png = file.read()
                template = template_parse.template_create(review_form.cleaned_data["name"], png,
                                                          review_form.cleaned_data["boxes"])  # fmt: skip
            except (OSError, ValidationError, TypeError, ValueError) as error:
                review_form.add_error(None, str(error))
            else:
                private_storage().delete(kept["file"])
                del request.session[SESSION_KEY]
                messages.success(request, f"Template {template.name} saved with {template.boxes.count()} boxes.")
                return redirect(reverse("admin:memes_template_change", args=[template.pk]))
    context.update(upload_form=upload_form, review_form=review_form, box_model=TextBox._meta)
    return TemplateResponse(request, "admin/generator/template/from_meme.html", context)
