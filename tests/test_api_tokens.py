"""API tokens: log in with a password for the token, which works until it is rotated."""

import pytest
from rest_framework.test import APIClient

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_logging_in_gives_the_same_token_until_it_is_rotated(alice):
    client = APIClient()
    first = client.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert first.status_code == 200
    token = first.json()["token"]
    assert client.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json").json()["token"] == token

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/me/").json()["username"] == "alice"
    rotated = client.post("/api/me/token/").json()["token"]
    assert rotated != token
    assert client.get("/api/me/").status_code == 401  # the old token no longer works
    client.credentials(HTTP_AUTHORIZATION=f"Token {rotated}")
    assert client.get("/api/me/").status_code == 200


@pytest.mark.parametrize("body", [{"username": "alice", "password": "wrong"}, {"username": "nobody", "password": "x"},
                                  {"username": "alice"}])  # fmt: skip
def test_a_wrong_password_gets_no_token(alice, body):
    response = APIClient().post("/api/token/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["errors"]
    assert "token" not in response.json()


def test_an_inactive_user_gets_no_token(alice):
    alice.is_active = False
    alice.save()
    response = APIClient().post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 400
