from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .forms import MemeForm, TitleForm
from .models import Job, Template


def pick(request):
    """The template picker, with a search box."""
    query = request.GET.get("q", "").strip()
    templates = Template.objects.prefetch_related("boxes")
    if query:
        templates = templates.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    return render(request, "generator/pick.html", {"templates": templates, "query": query})


@login_required
def make(request, slug):
    """Both ways to caption a template: lines written by hand, or a title for the caption model."""
    template = get_object_or_404(Template.objects.prefetch_related("boxes"), slug=slug)
    wants_title = "title" in request.POST
    form = MemeForm(template, None if wants_title else request.POST or None)
    title_form = TitleForm(request.POST if wants_title else None)
    if wants_title and title_form.is_valid():
        job = services.job_create_titled(owner=request.user, template=template, **title_form.cleaned_data)
        return redirect(job)
    if not wants_title and request.method == "POST" and form.is_valid():
        job = services.job_create(
            owner=request.user, template=template, lines=form.cleaned_data["lines"],
            is_public=form.cleaned_data["is_public"],
        )  # fmt: skip
        return redirect(job)
    return render(request, "generator/make.html", {"template": template, "form": form, "title_form": title_form})


@login_required
def job(request, job_id):
    job = get_object_or_404(Job.objects.select_related("meme", "template"), pk=job_id, owner=request.user)
    return render(request, "generator/job.html", {"job": job})


@login_required
@require_POST
def choose(request, job_id):
    job = get_object_or_404(Job, pk=job_id, owner=request.user)
    try:
        services.job_choose(job, int(request.POST.get("candidate", -1)))
    except (ValueError, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", ["Choose one of the captions."])))
    return redirect(job)
