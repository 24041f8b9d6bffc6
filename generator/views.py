from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from . import services
from .forms import MemeForm
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
    template = get_object_or_404(Template.objects.prefetch_related("boxes"), slug=slug)
    form = MemeForm(template, request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = services.job_create(
            owner=request.user, template=template, lines=form.cleaned_data["lines"],
            is_public=form.cleaned_data["is_public"],
        )  # fmt: skip
        return redirect(job)
    return render(request, "generator/make.html", {"template": template, "form": form})


@login_required
def job(request, job_id):
    job = get_object_or_404(Job.objects.select_related("meme", "template"), pk=job_id, owner=request.user)
    return render(request, "generator/job.html", {"job": job})
