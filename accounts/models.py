from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A Slowmeme user. Staff users are the admins who curate templates."""
