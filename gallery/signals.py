"""Keep tallies true when votes go by a cascade (a user deleted), which vote_cast never sees."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .models import Vote
from .services import tallies_recount


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def tallies_recount_after_user_goes(sender, instance, **kwargs):
    meme_ids = list(Vote.objects.filter(user=instance).values_list("meme_id", flat=True))
    if meme_ids:
        transaction.on_commit(lambda: tallies_recount(meme_ids))
