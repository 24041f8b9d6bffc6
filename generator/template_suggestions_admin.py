"""Admin: "Template suggestions". Pictures several users captioned on their own image, each with its thumbnail, how
many users and memes, and their captions; staff name one and make it a template (generator.template_suggestions)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

from memes.models import Template

from . import template_suggestions


class AcceptForm(forms.Form):
    key = forms.UUIDField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=Template._meta.get_field("name").max_length)


def _allowed(model_admin, request) -> None:
    # The pictures are users' uploads: only staff who may add templates see them.
    if not model_admin.has_add_permission(request):
        raise PermissionDenied


def suggestions_view(model_admin, request):
    _allowed(model_admin, request)
    status = 200
    if request.method == "POST":
        form = AcceptForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError([f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()])
            template = template_suggestions.suggestion_accept(form.cleaned_data["key"], form.cleaned_data["name"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            status = 400
        else:
            messages.success(request, f"Template {template.name} made, with {template.captions.count()} captions.")
            return redirect(reverse("admin:memes_template_change", args=[template.pk]))
    context = {
        **model_admin.admin_site.each_context(request), "opts": Template._meta, "title": "Template suggestions",
        "suggestions": template_suggestions.suggestions(), "min_users": settings.TEMPLATE_SUGGESTION_USERS,
        "name_chars": AcceptForm.base_fields["name"].max_length,
    }  # fmt: skip
    return TemplateResponse(request, "admin/generator/template/suggestions.html", context, status=status)


def thumbnail_view(model_admin, request, key):
    _allowed(model_admin, request)
    try:
        data = template_suggestions.suggestion_thumbnail(key)
    except ValidationError as error:
        return HttpResponseNotFound(" ".join(error.messages), content_type="text/plain")
    response = HttpResponse(data, content_type="image/jpeg")
    patch_cache_control(response, private=True, no_store=True)
    return response
