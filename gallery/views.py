from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from .selectors import memes_public_newest, memes_visible_to


def new(request):
    page = Paginator(memes_public_newest(), 24).get_page(request.GET.get("page"))
    return render(request, "gallery/new.html", {"page": page})


def meme(request, meme_id):
    meme = get_object_or_404(memes_visible_to(request.user), pk=meme_id)
    return render(request, "gallery/meme.html", {"meme": meme})
