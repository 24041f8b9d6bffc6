"""What a request gets when a service behind the site is away: a 503 that says so, never a traceback."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from generator.queueing import JobRefused

log = logging.getLogger(__name__)

DATABASE_AWAY = "The site's database is unavailable for a moment. Please try again in a minute."


class OutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, JobRefused):
            return _answer(request, str(exception), exception.status, exception.retry_after)
        if isinstance(exception, (OperationalError, InterfaceError)):
            log.error("database unavailable during %s %s: %s", request.method, request.path, exception)
            return _answer(request, DATABASE_AWAY, 503, retry_after=30)
        return None


def _answer(request, message: str, status: int, retry_after: int):
    headers = {"Retry-After": str(retry_after)}
    if request.path.startswith("/api/"):
        code = "throttled" if status == 429 else "unavailable"
        return JsonResponse({"detail": message, "code": code, "errors": {}}, status=status, headers=headers)
    # A page of its own, rendered without the request: the usual context (the user, messages) needs the database.
    page = render_to_string("unavailable.html", {"message": message, "status": status})
    return HttpResponse(page, status=status, headers=headers)
