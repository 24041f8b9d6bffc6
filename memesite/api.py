"""What every API endpoint shares: one error format, and the schema that documents it.

Every error answers {"detail": "...", "code": "...", "errors": {"field": ["..."]}}: `detail` is one sentence
for a person, `code` is DRF's code for a program (invalid, not_authenticated, permission_denied, not_found,
throttled, ...), and `errors` holds a bad request's messages by field ("boxes.0.y" for nested input;
"non_field_errors" for the request as a whole), empty otherwise.
"""

from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    code = serializers.CharField(help_text="DRF's error code: invalid, not_authenticated, not_found, throttled, ...")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='A bad request\'s messages by field ("boxes.0.y" for nested input, "non_field_errors" for the '
        "request as a whole); empty for other errors.",
    )


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as {"field.sub.0": [messages]}."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or NON_FIELD: [str(message) for message in messages]} if messages else {}


def exception_handler(exc, context):
    """DRF's handler (which turns Http404 and PermissionDenied into API errors too), answering the one format."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500
    if isinstance(response.data, dict) and set(response.data) == {"detail"}:
        detail = response.data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", "error"), "errors": {}}
        return response
    errors = _flatten(response.data)
    field, messages = next(iter(errors.items()), (NON_FIELD, ["Invalid input."]))
    summary = messages[0] if field == NON_FIELD else f"{field}: {messages[0]}"
    response.data = {"detail": summary, "code": "invalid", "errors": errors}
    return response


def not_found(request, exception):
    """Django's 404 for an address no view matched: under /api/, in the one format too."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found", "errors": {}}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error.", "code": "error", "errors": {}}, status=500)
    return defaults.server_error(request)


class ErrorDocumentingSchema(AutoSchema):
    """drf-spectacular's schema, with the error answers each operation can give in the one format."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(str(code), self._get_response_for_code(ErrorSerializer, str(code), direction=direction))
        return responses

    def get_auth(self):
        auths = super().get_auth()
        # drf-spectacular knows only DRF's own "or read only" permission by name; ours build on it (staff write).
        optional = self.method in permissions.SAFE_METHODS and any(
            isinstance(permission, permissions.IsAuthenticatedOrReadOnly) for permission in self.view.get_permissions()
        )
        return auths + [{}] if optional and {} not in auths else auths

    def _error_codes(self) -> list[int]:
        # 401: any call with a wrong or stale token. 403: a write refused (CSRF on a session, or not yours).
        # 429: every call is counted per user or address. 400: bad input. 404: no such object or page. 415: a body
        # in a media type the operation does not take. 503: the database or the job queue away for a moment, or the
        # queue too long to take another meme (memesite.outages).
        codes = [401, 429, 503]
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes += [400, 403]
            if self.method != "DELETE":
                codes.append(415)
        elif self.get_override_parameters():  # a query to check (the gallery's sort, period, ...)
            codes.append(400)
        if "{" in self.path or self._is_list_view():
            codes.append(404)
        return codes
