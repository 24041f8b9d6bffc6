"""One error format everywhere in the API, and the schema saying so."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from .conftest import make_meme

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}, body
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


def test_bad_input_names_each_field_and_sums_up_the_first(alice, template, client_for):
    body = assert_error(client_for(alice).post("/api/memes/", {"lines": ["a"]}, format="json"), 400, "invalid")
    assert body["errors"] == {"non_field_errors": ["Choose a template or upload an image, not both."]}
    assert body["detail"] == "Choose a template or upload an image, not both."

    body = assert_error(client_for(alice).post("/api/memes/", {"template": "grey"}, format="json"), 400, "invalid")
    assert body["errors"]["lines"] == ["This field is required."]
    assert body["detail"].startswith("lines: ")


def test_nested_errors_are_flattened_to_dotted_names(sam, client_for):
    template = {"slug": "x", "name": "X", "boxes": [{"y": 0.0, "height": 0.2}, {"y": "high", "height": 0.2}]}
    body = assert_error(client_for(sam).post("/api/templates/", template, format="json"), 400, "invalid")
    assert body["errors"]["boxes.1.y"] == ["A valid number is required."]
    assert not any(name.startswith("boxes.0") for name in body["errors"])


def test_a_malformed_body_is_a_400_in_the_same_format(alice):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.post("/api/memes/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_a_body_that_is_not_an_object_is_a_400(alice, client_for):
    # Found by schemathesis: a JSON list made POST /api/memes/ crash.
    response = client_for(alice).post("/api/memes/", ["title", "grey"], format="json")
    assert_error(response, 400, "invalid")


def test_an_unknown_api_address_is_a_404_in_the_same_format(client_for):
    # Found by schemathesis: an id that is no number never reached a view, and Django answered in HTML.
    for path in ("/api/memes/not-a-number/", "/api/jobs/1234/", "/api/no-such-thing/"):
        assert_error(client_for().get(path), 404, "not_found")
    assert client_for().get("/no-such-page/")["Content-Type"].startswith("text/html")  # pages stay pages


def test_a_nul_byte_in_a_name_is_a_clear_refusal(alice, template, client_for):
    # Found by schemathesis on PostgreSQL, which refuses to compare text with a NUL byte: these were 500s.
    body = {"source": "title", "template": "gr\x00ey", "title": "mondays"}
    assert_error(client_for(alice).post("/api/memes/", body, format="json"), 400, "invalid")
    assert_error(client_for().get("/api/memes/?user=ali%00ce"), 400, "invalid")
    assert_error(client_for().get("/api/memes/?template=gr%00ey"), 400, "invalid")
    assert_error(client_for().get("/api/templates/gr%00ey/"), 404, "not_found")


def test_refusals_use_the_same_format(alice, bob, template, client_for):
    meme = make_meme(alice, template)
    assert_error(client_for().get("/api/me/"), 401, "not_authenticated")
    body = assert_error(client_for(alice).put(f"/api/memes/{meme.pk}/vote/", {"value": 1}, format="json"), 403,
                        "permission_denied")  # fmt: skip
    assert body["detail"] == "You can't vote on your own meme." and body["errors"] == {}
    assert_error(client_for(bob).get("/api/memes/999999/"), 404, "not_found")
    assert_error(client_for(bob).get("/api/templates/no-such-template/"), 404, "not_found")
    assert_error(client_for(bob).patch("/api/me/", {}, format="json"), 405, "method_not_allowed")
    bad_token = APIClient(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(bad_token.get("/api/templates/"), 401, "authentication_failed")


def test_a_throttled_call_says_when_to_come_back(alice, template, client_for, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "generate", "1/minute")
    client = client_for(alice)
    assert client.post("/api/memes/", {"template": "grey", "lines": ["a", "b"]}, format="json").status_code == 202
    response = client.post("/api/memes/", {"template": "grey", "lines": ["a", "b"]}, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_the_schema_documents_the_error_format_on_every_operation(client_for):
    schema = client_for().get("/api/schema/?format=json").json()
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"detail", "code", "errors"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "429"} <= set(responses), (method, path)
            if method in ("post", "put", "patch", "delete"):
                assert {"400", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            for status in ("400", "401", "403", "404", "429"):
                if status in responses:
                    ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (method, path, status)
