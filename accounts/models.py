from disarm import skeleton_key
from django.contrib.auth.models import AbstractUser
from django.db import models


def username_key(username: str) -> str:
    """What a name looks like: Unicode's TR39 confusable skeleton (Cyrillic 'а' and fullwidth 'ａ' are 'a'; capital
    I, l and 1 are one letter, as are O and 0), taken of the name in capitals, since names differ by case only as
    one name."""
    return skeleton_key(username.upper(), digit_policy="tr39")


class User(AbstractUser):
    """A Slowmeme user. Staff users are the admins who curate templates."""

    username_key = models.TextField(
        db_index=True, editable=False, default="",
        help_text="username_key(username): a new name whose key is taken looks like an existing one.",
    )  # fmt: skip

    def save(self, *args, **kwargs):
        self.username_key = username_key(self.username)
        super().save(*args, **kwargs)
