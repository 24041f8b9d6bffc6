"""Throttles: per user on making memes and voting, per address for anonymous callers, per user overall."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from .conftest import make_meme

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    def set_rate(scope, rate):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


def test_votes_are_counted_per_user(alice, bob, sam, template, client_for, rates):
    rates("vote", "2/minute")
    memes = [make_meme(alice, template) for _ in range(3)]
    bob_client = client_for(bob)
    statuses = [bob_client.put(f"/api/memes/{meme.pk}/vote/", {"value": 1}, format="json").status_code
                for meme in memes]  # fmt: skip
    assert statuses == [200, 200, 429]
    assert bob_client.delete(f"/api/memes/{memes[0].pk}/vote/").status_code == 429  # undoing is a vote too
    # Someone else still votes, and reading is not voting.
    assert client_for(sam).put(f"/api/memes/{memes[2].pk}/vote/", {"value": 1}, format="json").status_code == 200
    assert bob_client.get(f"/api/memes/{memes[2].pk}/").json()["ups"] == 1


def test_making_memes_is_counted_per_user_across_create_and_remix(alice, bob, template, client_for, rates):
    rates("generate", "2/minute")
    parent = make_meme(bob, template)
    client = client_for(alice)
    assert client.post("/api/memes/", {"template": "grey", "lines": ["a", "b"]}, format="json").status_code == 202
    assert client.post(f"/api/memes/{parent.pk}/remix/", {}, format="json").status_code == 202
    assert client.post(f"/api/memes/{parent.pk}/remix/", {}, format="json").status_code == 429
    assert client_for(bob).post("/api/memes/", {"template": "grey", "lines": ["a", "b"]}, format="json").status_code == 202


def test_anonymous_callers_are_counted_by_address(alice, template, client_for, rates):
    rates("anon", "3/minute")
    anonymous = client_for()
    assert [anonymous.get("/api/templates/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client_for(alice).get("/api/templates/").status_code == 200  # a user has their own count
    assert anonymous.get("/api/templates/", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_every_user_has_an_overall_rate(alice, bob, template, client_for, rates):
    rates("user", "2/minute")
    client = client_for(alice)
    assert [client.get("/api/me/").status_code for _ in range(3)] == [200, 200, 429]
    assert client_for(bob).get("/api/me/").status_code == 200


def test_rates_come_from_the_environment(tmp_path):
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['vote'])"
    env = {"DJANGO_SETTINGS_MODULE": "memesite.settings", "THROTTLE_VOTE": "7/second", "SLOWMEME_VAR_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], env=env,
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert result.stdout.strip() == "7/second"
