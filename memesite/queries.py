"""Query strings with a NUL character are refused before a page's view runs."""

from django.http import HttpResponseBadRequest


class NulQueryMiddleware:
    """PostgreSQL refuses text holding NUL (0x00), even in a comparison, and some pages hand query values to the
    database as they come: the admin's list filters (?status__exact=%00 was a 500). Nobody means one. The API checks
    its own query fields (and answers in its error format)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = [text for name, values in request.GET.lists() for text in (name, *values)]
        if not request.path.startswith("/api/") and any("\x00" in text for text in query):
            return HttpResponseBadRequest("A query cannot hold a NUL character.", content_type="text/plain")
        return self.get_response(request)
