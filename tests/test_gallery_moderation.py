"""Reports (once per user) and hiding: a hidden meme leaves the gallery and the API for all but staff and its owner."""

import pytest
from django.test import Client

from gallery.models import Report

from .conftest import make_meme

pytestmark = pytest.mark.django_db


@pytest.fixture
def meme(alice, template):
    return make_meme(alice, template, ["report", "me"])


def test_a_user_reports_a_meme_once(meme, bob, client_for):
    client = client_for(bob)
    assert client.post(f"/api/memes/{meme.pk}/report/", {"reason": "spam"}, format="json").status_code == 201
    again = client.post(f"/api/memes/{meme.pk}/report/", {"reason": "more spam"}, format="json")
    assert again.status_code == 400 and again.json()["detail"] == "You have reported this meme already."
    assert list(Report.objects.values_list("reporter__username", "reason")) == [("bob", "spam")]


@pytest.mark.parametrize("body", [{}, {"reason": "   "}, {"reason": "x" * 501}])
def test_a_report_needs_a_reason(meme, bob, client_for, body):
    response = client_for(bob).post(f"/api/memes/{meme.pk}/report/", body, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    assert not Report.objects.exists()


def test_the_web_form_reports_and_says_so(meme, bob):
    client = Client()
    client.force_login(bob)
    page = client.post(f"/m/{meme.pk}/report/", {"reason": "offensive"}, follow=True).content.decode()
    assert "staff will look at this meme" in page
    page = client.post(f"/m/{meme.pk}/report/", {"reason": "offensive"}, follow=True).content.decode()
    assert "You have reported this meme already." in page
    assert Report.objects.count() == 1


def listed_ids(client, query="") -> list[int]:
    return [meme["id"] for meme in client.get(f"/api/memes/?sort=new{query}").json()["results"]]


def test_a_hidden_meme_is_seen_only_by_staff_and_its_owner(meme, alice, bob, sam, client_for):
    response = client_for(sam).post(f"/api/memes/{meme.pk}/hide/", {"hidden": True}, format="json")
    assert response.status_code == 200 and response.json()["is_hidden"] is True

    for who in (None, bob, alice, sam):  # the gallery is the same for everyone
        assert meme.pk not in listed_ids(client_for(who))
    assert client_for(None).get(f"/api/memes/{meme.pk}/").status_code == 404
    assert client_for(bob).get(f"/api/memes/{meme.pk}/").status_code == 404
    assert client_for(alice).get(f"/api/memes/{meme.pk}/").json()["is_hidden"] is True
    assert client_for(sam).get(f"/api/memes/{meme.pk}/").status_code == 200
    assert listed_ids(client_for(alice), "&user=alice") == [meme.pk]
    assert listed_ids(client_for(bob), "&user=alice") == []

    web = Client()
    assert f'alt="report / me"' not in web.get("/new/").content.decode()
    assert web.get(f"/m/{meme.pk}/").status_code == 404
    web.force_login(alice)
    assert "hidden by staff" in web.get(f"/m/{meme.pk}/").content.decode()
    assert 'alt="report / me"' in web.get("/u/alice/").content.decode()

    client_for(sam).post(f"/api/memes/{meme.pk}/hide/", {"hidden": False}, format="json")
    assert meme.pk in listed_ids(client_for(bob))


def test_staff_hide_from_the_meme_page_and_the_admin(meme, sam):
    client = Client()
    client.force_login(sam)
    client.post(f"/m/{meme.pk}/hide/", {"hidden": "1"})
    meme.refresh_from_db()
    assert meme.is_hidden
    sam.is_superuser = True
    sam.save()
    client.force_login(sam)
    response = client.post("/admin/memes/meme/", {"action": "unhide", "_selected_action": [meme.pk]})
    assert response.status_code == 302
    meme.refresh_from_db()
    assert not meme.is_hidden
