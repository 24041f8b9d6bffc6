"""One pagination for the gallery's pages and its API: a cursor, so that pages stay put while memes arrive."""

from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from .selectors import RANKINGS


class GalleryCursor(CursorPagination):
    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100

    def __init__(self, ranking: str = "new"):
        self.ordering = RANKINGS[ranking]


def gallery_page(request, memes, ranking: str) -> tuple[list, str | None, str | None]:
    """A web page of ranked memes with links to the next and previous pages (Django request in, no count query)."""
    paginator = GalleryCursor(ranking)
    page = paginator.paginate_queryset(memes, Request(request))
    return page, paginator.get_next_link(), paginator.get_previous_link()
