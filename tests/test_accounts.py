"""Sign up, log in and out, change the password, and API tokens."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_web_sign_up_logs_the_new_user_in():
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"username": "carol", "email": "carol@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/accounts/settings/").status_code == 200
    assert User.objects.get(username="carol").check_password(PASSWORD)


@pytest.mark.django_db
def test_web_sign_up_refuses_a_weak_password():
    response = Client().post("/accounts/signup/", {"username": "dave", "password1": "123", "password2": "123"})
    assert response.status_code == 200 and "too short" in response.content.decode()
    assert not User.objects.filter(username="dave").exists()


@pytest.mark.django_db
def test_log_in_and_out(alice):
    client = Client()
    assert client.post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    assert client.get("/accounts/settings/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/accounts/settings/").status_code == 302


@pytest.mark.django_db
def test_password_change(alice):
    client = Client()
    client.force_login(alice)
    new = "an even better passphrase"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


@pytest.mark.django_db
def test_api_sign_up_returns_a_token_that_works():
    response = APIClient().post("/api/users/", {"username": "erin", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/me/").json()["username"] == "erin"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,field",
    [
        ({"username": "alice", "password": PASSWORD}, "username"),
        ({"username": "has space", "password": PASSWORD}, "username"),
        ({"username": "frank", "password": "short"}, "password"),
        ({"username": "frank"}, "password"),
    ],
)
def test_api_sign_up_explains_what_is_wrong(alice, body, field):
    response = APIClient().post("/api/users/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]


@pytest.mark.django_db
def test_rotating_the_token_retires_the_old_one(alice):
    client = APIClient()
    client.force_authenticate(alice)
    first = client.post("/api/me/token/").json()["token"]
    second = client.post("/api/me/token/").json()["token"]
    assert first != second and Token.objects.get(user=alice).key == second

    anonymous = APIClient()
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert anonymous.get("/api/me/").status_code == 401
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert anonymous.get("/api/me/").status_code == 200


@pytest.mark.django_db
def test_settings_page_rotates_the_token(alice):
    client = Client()
    client.force_login(alice)
    client.post("/accounts/settings/token/")
    key = Token.objects.get(user=alice).key
    assert key in client.get("/accounts/settings/").content.decode()


def test_deploy_check_is_clean_with_the_production_variables(tmp_path):
    env = {
        **os.environ,
        "SECRET_KEY": "a-production-secret-" + "x" * 50,
        "ALLOWED_HOSTS": "memes.example.com",
        "HTTPS": "1",
        "SLOWMEME_VAR_DIR": str(tmp_path),
    }
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
