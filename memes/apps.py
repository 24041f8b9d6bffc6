from django.apps import AppConfig


class MemesConfig(AppConfig):
    """The ground floor: templates with their text boxes, and memes with their visibility and tallies."""

    name = "memes"
    verbose_name = "Templates and memes"
