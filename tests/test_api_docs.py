"""The API's documentation: Swagger UI at /api/docs/, served by the site itself (no CDN), over the schema."""

import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.test import Client

from memesite.asgi import application

pytestmark = pytest.mark.django_db


def asgi_status(path: str) -> int:
    """What the site's ASGI application (static files come before Django) answers for a GET of path."""
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"testserver")])
    return async_to_sync(communicator.get_response)()["status"]


def test_swagger_ui_is_served_from_our_own_static_files():
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/schema/" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    scripts = [asset for asset in assets if asset.endswith(".js")]
    assert scripts and all(asset.startswith("/static/drf_spectacular_sidecar/") for asset in scripts), assets
    assert not any(asset.startswith(("http://", "https://", "//")) for asset in assets), assets
    for asset in assets:
        assert asgi_status(asset) == 200, asset


def test_static_files_are_answered_before_django_and_unknown_ones_are_not_found():
    assert asgi_status("/static/slowmeme/site.css") == 200
    assert asgi_status("/static/admin/css/base.css") == 200
    assert asgi_status("/static/slowmeme/no-such-file.css") == 404


def test_the_schema_is_openapi_3_with_token_and_session_auth():
    schema = Client().get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    assert "/api/token/" in schema["paths"] and "/api/me/" in schema["paths"]
