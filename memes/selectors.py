"""Who may see which memes: the one rule every page, API and feed of memes goes by."""

from django.db.models import Q, QuerySet

from .models import IN_GALLERY, Meme


def memes_visible_to(user) -> QuerySet[Meme]:
    """Memes one may open: public ones that staff have not hidden, plus the user's own; staff see everything."""
    memes = Meme.objects.select_related("owner", "template")
    if user.is_staff:
        return memes
    if user.is_authenticated:
        return memes.filter(IN_GALLERY | Q(owner=user))
    return memes.filter(IN_GALLERY)


def memes_in_gallery() -> QuerySet[Meme]:
    """The gallery: public memes that staff have not hidden, for everyone alike."""
    return Meme.objects.filter(IN_GALLERY).select_related("owner", "template")
