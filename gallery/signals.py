"""The gallery's receivers: live pages hear of new memes, and tallies stay true when votes go by a cascade."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from generator.signals import meme_made
from memes.models import Meme

from .models import Vote
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
