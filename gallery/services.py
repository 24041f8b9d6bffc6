"""The gallery's rules: votes, reports and hiding, and the live news of them.

Users may not vote on their own memes: a meme's score is what other people think of it. Only memes in the
gallery (public, not hidden) take votes and reports.
"""

from dataclasses import asdict, dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count

from memes import ranking
from memes.models import Meme
from memesite import live

from .cards import gallery_changed
from .models import Report, Vote

GALLERY_GROUP = "gallery"
MAX_REPORT_CHARS = Report._meta.get_field("reason").max_length


def meme_group(meme_id: int) -> str:
    """The Channels group that hears about one meme's votes."""
    return f"meme.{meme_id}"


@dataclass(frozen=True)
class Tally:
    meme: int
    ups: int
    downs: int
    score: int
    vote: int  # the voter's own vote now: 1, -1, or 0 for none


def _in_gallery_for(user, meme: Meme, doing: str) -> None:
    if meme.owner_id == user.pk:
        raise PermissionDenied(f"You can't {doing} your own meme.")
    # Others' private memes, and hidden ones to all but staff, are not there at all.
    if not meme.is_public or (meme.is_hidden and not user.is_staff):
        raise Meme.DoesNotExist
    if meme.is_hidden:
        raise ValidationError(f"This meme is hidden from the gallery, so it can't take a {doing.split()[0]}.")


def vote_cast(user, meme_id: int, value: int) -> Tally:
    """Set the user's vote on a meme: 1 up, -1 down, 0 none (undo). Raises Meme.DoesNotExist (no such meme
    for this user), PermissionDenied (their own meme) or ValidationError (a bad value, a hidden meme)."""
    if value not in (Vote.UP, Vote.DOWN, 0):
        raise ValidationError("A vote is 1 (up), -1 (down) or 0 (none).")
    with transaction.atomic():
        # The meme's row lock queues concurrent votes on one meme, so its tally never drifts from its
        # vote rows and one user's racing requests can't both insert; votes on other memes go on at once.
        meme = (
            Meme.objects.select_for_update()
            .only("owner_id", "is_public", "is_hidden", "ups", "downs", "created_at")
            .get(pk=meme_id)
        )
        _in_gallery_for(user, meme, "vote on")
        previous = Vote.objects.filter(meme=meme, user=user).values_list("value", flat=True).first() or 0
        if value == previous:
            return Tally(meme.pk, meme.ups, meme.downs, meme.ups - meme.downs, value)
        if value == 0:
            Vote.objects.filter(meme=meme, user=user).delete()
        elif previous == 0:
            Vote.objects.create(meme=meme, user=user, value=value)
        else:
            Vote.objects.filter(meme=meme, user=user).update(value=value)
        ups = meme.ups + (value == Vote.UP) - (previous == Vote.UP)
        downs = meme.downs + (value == Vote.DOWN) - (previous == Vote.DOWN)
        _tally_save(meme, ups, downs)
        tally = Tally(meme.pk, ups, downs, ups - downs, value)
        transaction.on_commit(lambda: tally_announce(tally))
    return tally


def _tally_save(meme: Meme, ups: int, downs: int) -> None:
    """Store a tally and the rankings it gives; the caller holds the meme's row lock."""
    Meme.objects.filter(pk=meme.pk).update(
        ups=ups, downs=downs, score=ups - downs,
        hot=ranking.hot(ups, downs, meme.created_at), best=ranking.best(ups, downs),
    )  # fmt: skip
    gallery_changed()  # an update, which sends no post_save: the cached anonymous pages show the old tally


def tallies_recount(meme_ids) -> int:
    """Set these memes' tallies from their vote rows (after votes went without vote_cast, e.g. a deleted user's).
    Two queries for all of them, then each meme's own update, under the memes' row locks."""
    with transaction.atomic():
        memes = list(Meme.objects.select_for_update().only("created_at").filter(pk__in=list(meme_ids)).order_by("pk"))
        counts = {
            (meme, value): number
            for meme, value, number in Vote.objects.filter(meme__in=memes).values_list("meme", "value").annotate(number=Count("id"))
        }
        for meme in memes:
            _tally_save(meme, counts.get((meme.pk, Vote.UP), 0), counts.get((meme.pk, Vote.DOWN), 0))
    return len(memes)


def votes_of(user, memes) -> dict[int, int]:
    """The user's votes on these memes, by meme id: one query for a whole page."""
    if not user.is_authenticated:
        return {}
    return dict(Vote.objects.filter(user=user, meme__in=[meme.pk for meme in memes]).values_list("meme_id", "value"))


def meme_report(user, meme: Meme, reason: str) -> Report:
    """Report a meme to staff, once per user."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say what is wrong with this meme."})
    if len(reason) > MAX_REPORT_CHARS:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REPORT_CHARS} characters."})
    _in_gallery_for(user, meme, "report")
    report, created = Report.objects.get_or_create(meme=meme, reporter=user, defaults={"reason": reason})
    if not created:
        raise ValidationError("You have reported this meme already.")
    return report


def meme_hide(meme: Meme, hidden: bool) -> Meme:
    """Staff hide a meme from the gallery (or bring it back); pages showing it drop it at once."""
    meme.is_hidden = hidden
    meme.save(update_fields=["is_hidden"])
    if hidden:
        transaction.on_commit(lambda: _meme_withdrawn(meme))
    return meme


def meme_publish(user, meme: Meme, public: bool) -> Meme:
    """Its owner shows a meme in the gallery, or makes it private again (pages showing it drop it at once). Staff's
    hiding still holds: a hidden meme made public stays out of the gallery."""
    if meme.owner_id != user.pk:
        raise PermissionDenied("Only its owner can publish a meme or make it private.")
    if meme.is_public != public:
        meme.is_public = public
        meme.save(update_fields=["is_public"])
        transaction.on_commit(lambda: meme_announce(meme) if public else _meme_withdrawn(meme))
    return meme


def _meme_withdrawn(meme: Meme) -> None:
    live.group_send(meme_group(meme.pk), {"type": "meme.hidden", "meme": meme.pk})


def tally_announce(tally: Tally) -> None:
    counts = {key: value for key, value in asdict(tally).items() if key != "vote"}
    live.group_send(meme_group(tally.meme), {"type": "meme.tally", **counts})


def meme_announce(meme: Meme) -> None:
    """Tell open gallery pages about a newly published meme."""
    if not meme.is_public or meme.is_hidden:
        return
    card = {
        "id": meme.pk, "url": meme.get_absolute_url(), "image": meme.get_image_url(), "caption": meme.caption,
        "owner": meme.owner.username, "template": meme.template.slug if meme.template else None,
    }  # fmt: skip
    live.group_send(GALLERY_GROUP, {"type": "meme.published", "meme": card})
