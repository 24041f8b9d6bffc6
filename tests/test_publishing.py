"""Who sees a meme is its owner's choice: a photo's meme starts private, and the owner publishes a meme or makes it
private again later, on its page or over the API. Staff's hiding still holds."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from generator.models import Job

from .conftest import make_meme, png_bytes

pytestmark = pytest.mark.django_db


def photo_upload():
    return SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")


def test_a_photo_meme_is_private_unless_its_maker_says_otherwise(alice, client_for):
    client = client_for(alice)
    assert client.post("/api/memes/", {"source": "photo", "photo": photo_upload()}, format="multipart").status_code == 202
    assert Job.objects.get().is_public is False
    body = {"source": "photo", "photo": photo_upload(), "is_public": True}
    assert client.post("/api/memes/", body, format="multipart").status_code == 202
    assert Job.objects.filter(is_public=True).count() == 1

    web = Client()
    web.force_login(alice)
    assert 'name="is_public" id="id_is_public" checked' not in web.get("/make/photo/").content.decode()
    assert web.post("/make/photo/", {"photo": photo_upload()}).status_code == 302
    assert Job.objects.filter(is_public=False).count() == 2


def listed(client) -> list[int]:
    return [meme["id"] for meme in client.get("/api/memes/?sort=new").json()["results"]]


def test_an_owner_publishes_and_unpublishes_over_the_api(alice, bob, sam, template, client_for):
    meme = make_meme(alice, template, is_public=False)
    url = f"/api/memes/{meme.pk}/publish/"
    assert client_for(bob).post(url, {"public": True}, format="json").status_code == 404  # not there for bob
    assert client_for(None).post(url, {"public": True}, format="json").status_code == 401

    answer = client_for(alice).post(url, {"public": True}, format="json")
    assert answer.status_code == 200 and answer.json()["is_public"] is True
    assert meme.pk in listed(client_for(bob))
    assert client_for(bob).post(url, {"public": False}, format="json").status_code == 403
    assert client_for(sam).post(url, {"public": False}, format="json").status_code == 403  # staff hide instead

    assert client_for(alice).post(url, {"public": False}, format="json").json()["is_public"] is False
    assert meme.pk not in listed(client_for(bob))
    assert client_for(bob).get(meme.get_image_url()).status_code == 404


def test_publishing_a_hidden_meme_leaves_it_hidden(alice, bob, template, client_for):
    meme = make_meme(alice, template, is_public=False, is_hidden=True)
    assert client_for(alice).post(f"/api/memes/{meme.pk}/publish/", format="json").json()["is_public"] is True
    assert meme.pk not in listed(client_for(bob))
    assert client_for(bob).get(f"/api/memes/{meme.pk}/").status_code == 404


def test_the_owner_publishes_from_the_meme_page(alice, bob, template):
    meme = make_meme(alice, template, is_public=False)
    owner = Client()
    owner.force_login(alice)
    page = owner.get(meme.get_absolute_url()).content.decode()
    assert f'action="/m/{meme.pk}/publish/"' in page and "Show it in the public gallery" in page
    response = owner.post(f"/m/{meme.pk}/publish/", {"public": "1"}, follow=True)
    assert "The meme is public." in response.content.decode() and "Make it private" in response.content.decode()
    meme.refresh_from_db()
    assert meme.is_public

    other = Client()
    other.force_login(bob)
    assert f'action="/m/{meme.pk}/publish/"' not in other.get(meme.get_absolute_url()).content.decode()
    response = other.post(f"/m/{meme.pk}/publish/", {"public": "0"}, follow=True)
    assert "Only its owner" in response.content.decode()
    meme.refresh_from_db()
    assert meme.is_public
