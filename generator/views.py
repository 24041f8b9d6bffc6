from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from django.views.decorators.http import require_POST, require_safe
from rest_framework.exceptions import AuthenticationFailed

from accounts.services import request_user
from memes.layout import TOP_AND_BOTTOM
from memes.models import EXPRESSIONS, Template
from memes.selectors import memes_visible_to
from memesite.images import ImageRejected

from . import services, sharing, template_parse
from .forms import MemeForm, OwnImageForm, PhotoForm, TitleForm
from .models import Job

YEAR = 365 * 24 * 60 * 60


def pick(request):
    """The template picker, with a search box."""
    query = request.GET.get("q", "").strip()
    templates = Template.objects.prefetch_related("boxes")
    if query:
        templates = templates.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    return render(request, "generator/pick.html", {"templates": templates, "query": query})


def make(request, slug):
    """Both ways to caption a template: lines written by hand, or a title for the caption model. Anyone may look
    (and try the preview); making the meme asks to log in."""
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    template = get_object_or_404(Template.objects.prefetch_related("boxes"), slug=slug)
    wants_title = "title" in request.POST
    form = MemeForm(template.example_lines(), None if wants_title else request.POST or None)
    title_form = TitleForm(request.POST if wants_title else None, auto_id="title_%s")  # ids unique on the page
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
def own(request):
    """Your own image, with the boxes you place on it: dragged on the page, or their numbers typed."""
    form = OwnImageForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            return redirect(services.job_create(
                owner=request.user, lines=form.cleaned_data["lines"], background=form.cleaned_data["image"],
                boxes=form.cleaned_data["boxes"], is_public=form.cleaned_data["is_public"],
            ))  # fmt: skip
        except ValidationError as error:  # the form checked the rest: only the image can be wrong here
            form.add_error("image", error)
    return render(request, "generator/own.html", {"form": form})


@login_required
def remix(request, meme_id):
    """A new meme from another's template (or image) and caption, the caption as it was, to change."""
    parent = get_object_or_404(services.memes_remixable_by(request.user), pk=meme_id)
    placeholders = parent.template.example_lines() if parent.template else [""] * len(parent.boxes or TOP_AND_BOTTOM)
    initial = {f"line_{position}": line for position, line in enumerate(parent.lines)} | {"is_public": parent.is_public}
    form = MemeForm(placeholders, request.POST or None, initial=initial)
    if form.is_valid():
        try:
            return redirect(services.meme_remix(
                owner=request.user, parent=parent, lines=form.cleaned_data["lines"],
                is_public=form.cleaned_data["is_public"],
            ))  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "generator/remix.html", {"parent": parent, "form": form})


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
    labelled = services.job_face_labels(job)
    faces = [{**face, "labelled": labelled.get(number)} for number, face in enumerate(job.faces)]
    # An own picture that is a known template's: offer the template, whose boxes and caption model fit it.
    found = template_parse.hash_recognise(int(job.picture_hash, 16)) if job.picture_hash else None
    return render(request, "generator/job.html", {
        "job": job, "faces": faces, "expressions": EXPRESSIONS, "looks_like": found.template if found else None,
    })  # fmt: skip


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
        labelled = services.job_face_label(
            job, face=int(request.POST.get("face", -1)), label=request.POST.get("label", ""), user=request.user
        )
        messages.success(request, f"Thank you: face {labelled.face + 1} is kept as {labelled.label}, to learn from.")
    except (ValueError, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", ["Choose a face and an expression."])))
    return redirect(job)


@require_safe
def meme_image(request, meme_id, key, extension):
    """A meme's image at its stable address: kept by browsers and shared caches for a year when the meme is in the
    gallery (a new rendering gets a new address); only revalidated, by its viewer alone, when it is not."""
    try:
        user = request_user(request)  # an API client follows image_url with its token
    except AuthenticationFailed as error:
        return HttpResponse(
            str(error.detail), status=401, content_type="text/plain", headers={"WWW-Authenticate": "Token"}
        )
    meme = get_object_or_404(memes_visible_to(user), pk=meme_id)
    current = meme.get_image_url()
    if request.path != current:
        return redirect(current)  # an older rendering's address, or another extension: the image as it is now
    etag = quote_etag(meme.image_key)
    response = get_conditional_response(request, etag=etag) or FileResponse(meme.image.open("rb"))
    response["ETag"] = etag
    if meme.in_gallery:
        patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
    else:
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


@require_safe
def template_image(request, slug, path, extension):
    """A template with the text in the address, memegen.link's way (/t/<slug>/<top>/<bottom>.jpg; ?width=):
    rendered on the first request, then from the cache; an ETag from its inputs lets clients revalidate for free."""
    template = get_object_or_404(Template.objects.prefetch_related("boxes"), slug=slug)
    try:
        lines, width = sharing.path_lines(path), sharing.width_clean(request.GET.get("width"))
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages), content_type="text/plain")
    image_format = sharing.FORMATS[extension]
    key = sharing.template_image_key(template, lines, image_format, width)
    throttle = sharing.RenderThrottle()
    response = get_conditional_response(request, etag=quote_etag(key))
    if response is None:
        try:
            picture = sharing.template_image(
                template, lines, image_format, width, key=key, may_render=lambda: throttle.allow_request(request, None)
            )
        except ImageRejected as error:  # a picture stored before its shape was checked: it cannot be drawn
            return HttpResponse(
                f"This template's image cannot be drawn: {error}.", status=422, content_type="text/plain"
            )
        if picture is None:
            return HttpResponse(
                "Too many new images at once: try again shortly.", status=429, content_type="text/plain",
                headers={"Retry-After": str(round(throttle.wait() or 1))},
            )  # fmt: skip
        response = HttpResponse(picture, content_type=sharing.CONTENT_TYPES[image_format])
    response["ETag"] = quote_etag(key)
    # Not immutable: the address stays when staff change the template's picture or boxes (the ETag does not).
    patch_cache_control(response, public=True, max_age=settings.MEME_URL_CACHE_SECONDS)
    return response
