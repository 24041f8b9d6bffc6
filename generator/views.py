from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from expressions.services import face_label

from . import services
from .forms import MemeForm, PhotoForm, TitleForm
from .models import EXPRESSIONS, Job, Template


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
def photo(request):
    """Photo mode: the expression read on the photo's face picks the template and the caption."""
    form = PhotoForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            return redirect(services.job_create_photo(owner=request.user, **form.cleaned_data))
        except ValidationError as error:
            form.add_error(None, error)  # the error names its field
    return render(request, "generator/photo.html", {"form": form})


@login_required
def job(request, job_id):
    job = get_object_or_404(Job.objects.select_related("meme", "template"), pk=job_id, owner=request.user)
    # Photo mode: each face found, with the label its owner gave it, if any.
    labelled = dict(job.labelled_faces.values_list("face", "label"))
    faces = [{**face, "labelled": labelled.get(number)} for number, face in enumerate(job.faces)]
    return render(request, "generator/job.html", {"job": job, "faces": faces, "expressions": EXPRESSIONS})


def _redo(request, job_id, redo, field: str, choices: str):
    """Make a finished meme again from the caption or face the user picked (redo(job, number))."""
    job = get_object_or_404(Job, pk=job_id, owner=request.user)
    try:
        redo(job, int(request.POST.get(field, -1)))
    except (ValueError, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [f"Choose one of the {choices}."])))
    return redirect(job)


@login_required
@require_POST
def choose(request, job_id):
    return _redo(request, job_id, services.job_choose, "candidate", "captions")


@login_required
@require_POST
def face(request, job_id):
    return _redo(request, job_id, services.job_face_choose, "face", "faces")


@login_required
@require_POST
def expression(request, job_id):
    """Photo mode: the user says which expression a face really shows; the expression reader learns from it."""
    job = get_object_or_404(Job, pk=job_id, owner=request.user)
    try:
        labelled = face_label(
            job=job, face=int(request.POST.get("face", -1)), label=request.POST.get("label", ""), user=request.user
        )
        messages.success(request, f"Thank you: face {labelled.face + 1} is kept as {labelled.label}, to learn from.")
    except (ValueError, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", ["Choose a face and an expression."])))
    return redirect(job)
