"""Reading memes for the gallery: who may see what."""

from django.db.models import Q, QuerySet

from generator.models import Meme


def memes_visible_to(user) -> QuerySet[Meme]:
    """Public memes, plus the user's own; staff see everything."""
    memes = Meme.objects.select_related("owner", "template")
    if user.is_staff:
        return memes
    if user.is_authenticated:
        return memes.filter(Q(is_public=True) | Q(owner=user))
    return memes.filter(is_public=True)


def memes_public_newest() -> QuerySet[Meme]:
    return Meme.objects.filter(is_public=True).select_related("owner", "template").order_by("-created_at", "-id")
