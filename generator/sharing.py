"""Image addresses people share and embed: each meme's own, and memegen.link's way of rendering a template with the
text in the path (/t/<slug>/<top>/<bottom>.jpg), so that links and bots made for memegen.link work here too."""

import hashlib
import json
import re

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from rest_framework.throttling import SimpleRateThrottle

from memes.models import Template

from .services import picture_open, picture_render

# memegen.link's escapes (its documentation's "Special Characters"): doubled characters stand for themselves,
# a single `_` or `-` for a space, `~` and a letter for a character that URLs reserve.
_DECODED = {
    "__": "_", "--": "-", "''": '"', "_": " ", "-": " ",
    "~q": "?", "~a": "&", "~p": "%", "~h": "#", "~s": "/", "~b": "\\", "~l": "<", "~g": ">", "~n": "\n",
}  # fmt: skip
# Longest first, so that a doubled character is read as one escape, left to right.
_ESCAPE = re.compile("|".join(re.escape(token) for token in sorted(_DECODED, key=len, reverse=True)))
_ENCODED = {"_": "__", "-": "--", '"': "''", " ": "_"} | {
    char: token for token, char in _DECODED.items() if token.startswith("~")
}

FORMATS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp", "gif": "gif"}
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
MIN_WIDTH = 16


def text_decode(segment: str) -> str:
    """One line of a memegen-style path as text."""
    return _ESCAPE.sub(lambda match: _DECODED[match.group()], segment)


def text_encode(line: str) -> str:
    """One line as a memegen-style path segment (`_` for an empty line)."""
    return "".join(_ENCODED.get(char, char) for char in line) or "_"


def path_lines(path: str) -> list[str]:
    """The lines in a path's segments, one per box; a ValidationError when there are too many or too long."""
    lines = [text_decode(segment).strip() for segment in path.split("/")]
    if len(lines) > settings.MEME_MAX_LINES:
        raise ValidationError(f"A meme has at most {settings.MEME_MAX_LINES} lines; this address has {len(lines)}.")
    for number, line in enumerate(lines, start=1):
        if len(line) > settings.MEME_MAX_LINE_CHARS:
            raise ValidationError(
                f"Line {number} has {len(line)} characters; a line has at most {settings.MEME_MAX_LINE_CHARS}."
            )
    return lines


def template_url(template: Template, lines: list[str], extension: str = "jpg") -> str:
    """The memegen-style address of a template with these lines."""
    return f"/t/{template.slug}/{'/'.join(text_encode(line) for line in lines)}.{extension}"


def width_clean(value: str | None) -> int:
    """The width asked for in the query (?width=), or the site's usual width."""
    if value in (None, ""):
        return settings.MEME_RENDER_WIDTH
    # isdigit() alone takes "²" and other digits that int() refuses: ASCII digits only.
    if not (value.isascii() and value.isdigit()) or not MIN_WIDTH <= int(value) <= settings.MEME_URL_MAX_WIDTH:
        raise ValidationError(f"The width is a number of pixels from {MIN_WIDTH} to {settings.MEME_URL_MAX_WIDTH}.")
    return int(value)


def template_image_key(template: Template, lines: list[str], image_format: str, width: int) -> str:
    """A digest of everything that goes into the image (the template's picture and boxes as they are now, the text,
    format and size): the ETag, and the key the rendered image is cached under."""
    inputs = [template.slug, template.image.name, template.updated_at.isoformat(), repr(template.text_boxes()),
              lines, image_format, width]  # fmt: skip
    return hashlib.sha256(json.dumps(inputs).encode()).hexdigest()[:32]


def template_image(template: Template, lines: list[str], image_format: str, width: int, *, key: str, may_render):
    """The image, from the cache or rendered (and cached) when may_render() allows; None when it does not.
    An animated template comes out animated as .gif or .webp, and as its first frame as .jpg or .png."""
    picture = cache.get(f"template-image:{key}")
    if picture is None and may_render():
        with template.image.open("rb") as file:
            image = picture_open(file.read())
        picture = picture_render(image, template.text_boxes(), lines, format=image_format, width=width)
        cache.set(f"template-image:{key}", picture, settings.MEME_URL_CACHE_SECONDS)
    return picture


class RenderThrottle(SimpleRateThrottle):
    """Rendering from an address costs CPU: so many renders a minute for each user, or each client address when
    anonymous. Served from the cache or answered 304, an image costs nothing and is not counted."""

    scope = "render"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
