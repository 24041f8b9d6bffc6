"""One pagination for the gallery's pages and its API: a cursor, so that pages stay put while memes arrive."""

import math
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from memes.models import Meme

from .selectors import RANKINGS


class GalleryCursor(CursorPagination):
    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100

    def __init__(self, ranking: str = "new"):
        self.ordering = RANKINGS[ranking]

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # The position is the client's text, compared with the ranking's column: one the column cannot hold
        # (p=x, p=2026-13-40, p=1e9999, p=nan) is no page, not a database error.
        if cursor is not None and cursor.position is not None and not _is_position(self.ordering[0], cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor


def _is_position(ordering: str, position: str) -> bool:
    field = Meme._meta.get_field(ordering.lstrip("-"))
    try:
        value = field.to_python(position)
        if isinstance(value, datetime):
            value.astimezone(UTC)  # the database compares in UTC: an offset past year 9999 or before year 1 fails
    except (ValidationError, ValueError, OverflowError):
        return False
    return value is not None and (not isinstance(value, float) or math.isfinite(value))


def gallery_page(request, memes, ranking: str) -> tuple[list, str | None, str | None]:
    """A web page of ranked memes with links to the next and previous pages (Django request in, no count query)."""
    paginator = GalleryCursor(ranking)
    try:
        page = paginator.paginate_queryset(memes, Request(request))
    except NotFound as error:  # DRF's answer to a bad cursor, as the web pages answer it
        raise Http404(str(error.detail)) from error
    return page, paginator.get_next_link(), paginator.get_previous_link()
