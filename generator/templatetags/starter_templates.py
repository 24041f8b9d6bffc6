"""{% starter_templates_only as flag %}: whether the site has only its starter templates (scikit-image's sample
photos, generator/starter.py) or none, so that its pages can say where the real meme templates come from."""

from django import template

register = template.Library()


@register.simple_tag
def starter_templates_only() -> bool:
    """True while every template is a starter one: a starter's slug, never imported over (import_folder empty)."""
    from generator.starter import STARTERS, Template  # the model, wherever starter.py takes it from

    real = Template.objects.exclude(slug__in=[starter.slug for starter in STARTERS], import_folder="")
    return not real.exists()
