"""Reading memes for the gallery: whose, and in which order (who may see a meme is the memes app's rule)."""

from datetime import timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from memes.models import Meme
from memes.selectors import memes_in_gallery

from .models import Vote

# Each ordering is served by one of Meme's partial indexes; the id breaks ties.
RANKINGS = {
    "hot": ("-hot", "-id"),
    "best": ("-best", "-id"),
    "top": ("-score", "-id"),
    "new": ("-created_at", "-id"),
}
PERIODS = {"day": timedelta(days=1), "week": timedelta(weeks=1), "all": None}


def tallies_of(memes: QuerySet[Meme]) -> list[dict]:
    """The vote counts of these memes, in the shape the live gallery sends them."""
    return [
        {"meme": pk, "ups": ups, "downs": downs, "score": ups - downs}
        for pk, ups, downs in memes.order_by("pk").values_list("pk", "ups", "downs")
    ]


def memes_of(owner, viewer) -> QuerySet[Meme]:
    """A user's page: their gallery memes, and to themselves (and staff) their private and hidden ones too."""
    if viewer.is_staff or viewer.pk == owner.pk:
        return Meme.objects.filter(owner=owner).select_related("owner", "template")
    return memes_in_gallery().filter(owner=owner)


def memes_ranked(memes: QuerySet[Meme], ranking: str, period: str = "week") -> QuerySet[Meme]:
    """Order memes by a ranking; "top" counts only memes made within the period."""
    since = PERIODS[period]
    if ranking == "top" and since is not None:
        memes = memes.filter(created_at__gte=timezone.now() - since)
    return memes.order_by(*RANKINGS[ranking])


def gallery_memes(viewer, ranking: str, period: str = "week", template=None, owner=None) -> QuerySet[Meme]:
    """A gallery listing: everyone's, one template's or one user's memes, ranked."""
    memes = memes_of(owner, viewer) if owner is not None else memes_in_gallery()
    if template is not None:
        memes = memes.filter(template=template)
    return memes_ranked(memes, ranking, period)


def with_own_votes(memes: QuerySet[Meme], viewer) -> QuerySet[Meme]:
    """Each meme with the viewer's own vote on it as `my_vote` (1, -1, or None for none), in the same query."""
    if not viewer.is_authenticated:
        return memes
    own = Vote.objects.filter(meme=OuterRef("pk"), user=viewer).values("value")[:1]
    return memes.annotate(my_vote=Subquery(own))
