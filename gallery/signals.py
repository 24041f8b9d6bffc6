"""The gallery's receivers: live pages hear of new memes, tallies stay true when votes go by a cascade, and the
pages cached for anonymous visitors are dropped when anything they show changes."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from generator.signals import meme_made
from memes.models import Meme, Template

from .models import Vote
from .cards import gallery_changed, templates_changed
from .services import meme_announce, tallies_recount


# A user deleted takes their votes by a cascade, which vote_cast never sees.
@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def tallies_recount_after_user_goes(sender, instance, **kwargs):
    meme_ids = list(Vote.objects.filter(user=instance).values_list("meme_id", flat=True))
    if meme_ids:
        transaction.on_commit(lambda: tallies_recount(meme_ids))


@receiver(meme_made, sender=Meme)
def meme_made_announce(sender, meme, **kwargs):
    meme_announce(meme)


# A meme made, redrawn (a new image), published, hidden, edited or deleted; a template or a user renamed, gone or
# back (their names are on the cards, a deactivated user's page is gone). A user's log-in changes nothing shown.
@receiver(post_save, sender=Meme)
@receiver(post_delete, sender=Meme)
@receiver(post_save, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def gallery_pages_drop(sender, update_fields=None, **kwargs):
    if update_fields is None or set(update_fields) != {"last_login"}:
        gallery_changed()


@receiver(post_save, sender=Template)
@receiver(post_delete, sender=Template)
def gallery_templates_changed(sender, **kwargs):
    templates_changed()  # the starter hint too
