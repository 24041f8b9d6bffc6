"""The API's documentation: Swagger UI at /api/docs/, served by the site itself (no CDN), over the schema."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


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
        assert client.get(asset).status_code == 200, asset


def test_the_schema_is_openapi_3_with_token_and_session_auth():
    schema = Client().get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    assert "/api/token/" in schema["paths"] and "/api/me/" in schema["paths"]
