"""Remixes: a new meme from another's template and caption, linked to its parent, listed on the parent's page,
and counted as liking for a caption the model wrote."""

import pytest
from django.test import Client

from captions import services as caption_services
from gallery.services import meme_hide
from generator import services
from generator.models import Job
from memes.models import Meme

from .conftest import make_meme, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent(alice, template):
    return make_meme(alice, template, lines=("one does not simply", "remix a meme"))


def remix_over_api(client, meme, **body):
    return client.post(f"/api/memes/{meme.pk}/remix/", body, format="json")


def test_a_remix_starts_from_the_parents_template_and_caption(parent, bob, client_for):
    response = remix_over_api(client_for(bob), parent)
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.owner, job.template, job.lines, job.parent, job.is_public) == (
        bob, parent.template, parent.lines, parent, True
    )
    meme = services.job_run(job.pk).meme
    assert meme.parent == parent and list(parent.remixes.all()) == [meme]
    assert client_for(bob).get(f"/api/memes/{meme.pk}/").json()["parent"] == parent.pk


def test_a_remix_can_change_the_caption_and_is_checked_like_any(parent, bob, client_for):
    client = client_for(bob)
    response = remix_over_api(client, parent, lines=["one does simply", "remix it"], is_public=False)
    job = Job.objects.get(pk=response.json()["id"])
    assert job.lines == ["one does simply", "remix it"] and job.is_public is False
    empty = remix_over_api(client, parent, lines=["", " "])
    assert empty.status_code == 400 and "Write at least one line of text." in str(empty.json())


def test_others_private_and_hidden_memes_cannot_be_remixed(parent, alice, bob, sam, client_for):
    private = make_meme(alice, parent.template, is_public=False)
    hidden = make_meme(alice, parent.template, is_hidden=True)
    for meme in (private, hidden):
        assert remix_over_api(client_for(bob), meme).status_code == 404
        assert remix_over_api(client_for(sam), meme).status_code == 404  # staff see it, but it is not theirs
        assert Client().get(f"/make/remix/{meme.pk}/").status_code == 302  # to the login page
    bob_web = Client()
    bob_web.force_login(bob)
    assert bob_web.get(f"/make/remix/{private.pk}/").status_code == 404
    own = remix_over_api(client_for(alice), private)  # one's own: yes, and as private as it was
    assert own.status_code == 202 and Job.objects.get(pk=own.json()["id"]).is_public is False
    assert remix_over_api(client_for(None), parent).status_code == 401


def test_an_owner_cannot_remix_their_own_hidden_meme_back_into_the_gallery(parent, alice, sam, client_for):
    meme_hide(parent, hidden=True)
    assert remix_over_api(client_for(alice), parent).status_code == 404
    assert remix_over_api(client_for(alice), parent, is_public=False).status_code == 404
    owner = Client()
    owner.force_login(alice)
    assert f"/make/remix/{parent.pk}/" not in owner.get(parent.get_absolute_url()).content.decode()
    assert owner.get(f"/make/remix/{parent.pk}/").status_code == 404
    assert owner.post(f"/make/remix/{parent.pk}/", {"line_0": "again", "is_public": "on"}).status_code == 404
    assert not Job.objects.exists()


def test_a_meme_whose_template_is_gone_cannot_be_remixed(parent, bob, client_for):
    parent.template.delete()
    response = remix_over_api(client_for(bob), parent)
    assert response.status_code == 400 and "template is gone" in str(response.json())


def test_a_remix_of_a_meme_on_its_owners_image_keeps_the_image_and_boxes(alice, bob, client_for):
    from .test_own_background import upload

    boxes = [{"x": 0.1, "y": 0.6, "width": 0.8, "height": 0.3}]
    original = services.job_run(
        services.job_create(owner=alice, lines=["mine"], background=upload(), boxes=boxes, is_public=True).pk
    ).meme
    response = remix_over_api(client_for(bob), original, lines=["ours"])
    job = services.job_run(response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.meme.background.name == original.background.name and job.meme.boxes == boxes
    assert job.meme.parent == original


def test_the_web_remix_page_offers_the_caption_and_makes_the_remix(parent, bob):
    client = Client()
    client.force_login(bob)
    page = client.get(parent.get_absolute_url()).content.decode()
    assert f'href="/make/remix/{parent.pk}/"' in page
    form = client.get(f"/make/remix/{parent.pk}/").content.decode()
    assert 'value="one does not simply"' in form and 'value="remix a meme"' in form
    response = client.post(f"/make/remix/{parent.pk}/", {"line_0": "one does", "line_1": "remix", "is_public": "on"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.parent, job.lines, job.owner) == (parent, ["one does", "remix"], bob)


def test_the_meme_page_lists_the_remixes_its_viewer_may_see(parent, alice, bob, template):
    shown = make_meme(bob, template, lines=("shown remix", ""), parent=parent)
    kept = make_meme(bob, template, lines=("kept remix", ""), is_public=False, parent=parent)
    alices_view = Client()
    alices_view.force_login(alice)
    page = alices_view.get(parent.get_absolute_url()).content.decode()
    assert "Remixes" in page and "shown remix" in page and "kept remix" not in page
    bobs_view = Client()
    bobs_view.force_login(bob)
    assert "kept remix" in bobs_view.get(parent.get_absolute_url()).content.decode()
    assert "A remix of" in Client().get(shown.get_absolute_url()).content.decode()
    parent.delete()
    kept.refresh_from_db()
    assert kept.parent is None  # the remix stays when its parent goes


def test_remixes_count_as_liking_a_caption_the_model_wrote(alice, bob, template):
    def records_of(meme):
        """Its caption's records, trained on or held out as liked (a fixed fifth of memes are held out, by id)."""
        train, liked = caption_services.platform_records()
        return [record for record in train + liked if record.boxes == tuple(meme.lines)]

    # Made recently (so a held-out one counts as recently liked), never voted on: the model's words teach nothing.
    written = make_meme(alice, template, lines=("model wrote", "this"), source=Meme.Source.TITLE, title="work")
    assert records_of(written) == []
    make_meme(alice, template, lines=("my own", "remix"), parent=written)
    assert records_of(written) == []  # remixing one's own meme says nothing
    make_meme(bob, template, lines=("bob's", "remix"), parent=written)
    make_meme(bob, template, lines=("bob's second", "remix"), parent=written)  # one person counts once
    (record,) = records_of(written)
    assert record.weight == pytest.approx(caption_services.caption_weight(Meme.Source.TITLE, 1, 0))
    assert record.weight > 0
    carol = make_user("carol")
    make_meme(carol, template, lines=written.lines, parent=written)  # unchanged: still the model's words, unliked
    (again,) = records_of(written)
    assert again.weight == pytest.approx(caption_services.caption_weight(Meme.Source.TITLE, 2, 0))
    assert again.weight > record.weight


def test_caption_weight_counts_remixers_as_up_votes():
    assert caption_services.caption_weight(Meme.Source.TITLE, 0, 0, remixers=0) == 0.0
    assert caption_services.caption_weight(Meme.Source.TITLE, 0, 0, remixers=3) == caption_services.caption_weight(
        Meme.Source.TITLE, 3, 0
    )


def test_admin_names_the_parent_by_id_rather_than_listing_every_meme(parent, bob, template, admin_client):
    remix = make_meme(bob, template, parent=parent)
    page = admin_client.get(f"/admin/memes/meme/{remix.pk}/change/").content.decode()
    assert '<select name="parent"' not in page and f'name="parent" value="{parent.pk}"' in page
