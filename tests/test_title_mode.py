"""Title mode: a title becomes a caption written by the model in a real worker, its stages shown live."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from captions import services as caption_services
from captions.models import CaptionModelVersion
from generator.models import Job
from generator.tasks import caption_job
from memes.models import Meme
from memesite.asgi import application

from .test_making_memes import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def make_titled(client, title="when the tests pass", slug="grey"):
    response = client.post("/api/memes/", {"source": "title", "template": slug, "title": title}, format="json")
    assert response.status_code == 202, response.content
    return wait_for_job(response.json()["id"])


def test_title_becomes_a_meme_with_a_caption_for_every_box(celery_worker, caption_model, alice, template, client_for):
    job = make_titled(client_for(alice))
    assert job.status == Job.Status.SUCCEEDED, job.error
    # "grey" is not among the tiny model's templates: a cold start still fills every box.
    assert len(job.candidates) == 4
    assert all(len(lines) == 2 and all(line.strip() for line in lines) for lines in job.candidates)
    meme = job.meme
    assert meme.source == Meme.Source.TITLE and meme.title == "when the tests pass"
    assert meme.lines == job.candidates[0] and meme.model_version == "tiny-test-model"


def test_worker_loads_the_model_once_for_many_tasks(celery_worker, caption_model, alice, template, client_for):
    caption_services._LoadedModel.generators.clear()
    loads_before = caption_services._LoadedModel.loads
    for title in ("one", "two", "three"):
        assert make_titled(client_for(alice), title).status == Job.Status.SUCCEEDED
    assert caption_services._LoadedModel.loads == loads_before + 1


def test_choosing_another_candidate_redraws_the_same_meme(celery_worker, caption_model, alice, template, client_for):
    client = client_for(alice)
    job = make_titled(client)
    first_image = job.meme.image.name
    response = client.post(f"/api/jobs/{job.id}/choose/", {"candidate": 2}, format="json")
    assert response.status_code == 202
    job = wait_for_job(job.id)
    assert job.status == Job.Status.SUCCEEDED
    job.meme.refresh_from_db()
    assert job.meme.lines == job.candidates[2] and job.meme.image.name != first_image
    assert Meme.objects.filter(owner=alice).count() == 1
    assert client.post(f"/api/jobs/{job.id}/choose/", {"candidate": 4}, format="json").status_code == 400


@pytest.mark.parametrize(
    "body,message",
    [
        ({"source": "title", "template": "grey", "title": "   "}, "Give a title"),
        ({"source": "title", "template": "grey", "title": "x" * 201}, "at most 200 characters"),
        ({"source": "title", "template": "nope", "title": "hello"}, "does not exist"),
        ({"source": "title", "title": "hello"}, "required"),
    ],
)
def test_bad_title_requests_get_a_clear_400(alice, template, client_for, body, message):
    response = client_for(alice).post("/api/memes/", body, format="json")
    assert response.status_code == 400 and message in response.content.decode()
    assert not Job.objects.exists()


def test_web_form_makes_a_titled_meme_and_lists_the_candidates(celery_worker, caption_model, alice, template):
    client = Client()
    client.force_login(alice)
    response = client.post("/make/grey/", {"title": "my cat on monday", "is_public": "on"})
    assert response.status_code == 302
    job = wait_for_job(response["Location"].rstrip("/").rsplit("/", 1)[1])
    page = client.get(response["Location"]).content.decode()
    # Four candidates: the one in use is marked, the other three offered.
    assert job.meme.get_image_url() in page and page.count("Use this one") == 3 and "(in use)" in page


@pytest.mark.asyncio
async def test_websocket_shows_the_stages_then_the_meme_with_its_candidates(celery_worker, caption_model, alice, template):
    job = await Job.objects.acreate(owner=alice, template=template, kind=Meme.Source.TITLE, title="my dog")
    client = Client()
    await sync_to_async(client.force_login)(alice)
    headers = [(b"origin", b"http://localhost"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    communicator = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/", headers=headers)
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(timeout=5))["status"] == "queued"

    caption_job.delay(str(job.id))
    messages = []
    while not messages or messages[-1].get("status") not in ("succeeded", "failed"):
        messages.append(await communicator.receive_json_from(timeout=30))
    await communicator.disconnect()

    stages = [m["stage"] for m in messages]
    assert stages.index("Writing the caption") < stages.index("Drawing the caption") < len(stages) - 1, stages
    final = messages[-1]
    assert final["status"] == "succeeded" and final["stage"] == "Done"
    assert final["meme"]["lines"] == final["candidates"][0] and len(final["candidates"]) == 4


def test_fresh_site_registers_and_activates_the_bundled_model(db):
    if not (caption_services.BUNDLED_MODEL_DIR / "weights.pt").exists():
        pytest.skip("no bundled model in this checkout")
    version = caption_services.model_version_active()
    assert version.is_active and CaptionModelVersion.objects.get() == version
    assert caption_services.model_version_folder(version) == caption_services.BUNDLED_MODEL_DIR


def test_a_site_on_the_bundled_model_moves_to_the_one_an_upgrade_brought(db):
    if not (caption_services.BUNDLED_MODEL_DIR / "weights.pt").exists():
        pytest.skip("no bundled model in this checkout")
    bundled = caption_services.model_version_register(caption_services.BUNDLED_MODEL_DIR)
    # What an older release registered from the same folder, active until now.
    old = CaptionModelVersion.objects.create(name="captions-older-bundle", path=bundled.path, is_active=True)
    bundled.delete()
    version = caption_services.model_version_active()
    assert version.name == json.loads((caption_services.BUNDLED_MODEL_DIR / "config.json").read_text())["version"]
    assert version.is_active and not CaptionModelVersion.objects.get(pk=old.pk).is_active
    # A model trained on the site stays active through an upgrade.
    trained = CaptionModelVersion.objects.create(name="captions-trained-here", path="var/models/x")
    caption_services.model_version_activate(trained)
    assert caption_services.model_version_active() == trained


def test_corpus_has_imported_captions_and_public_hand_written_ones(alice, template):
    from captions.models import Caption

    Caption.objects.create(template=template, boxes=["imported", "caption"], title="t", external_id="1")
    for lines, public in ((["hand", "written"], True), (["kept", "private"], False)):
        Meme.objects.create(owner=alice, template=template, lines=lines, is_public=public, image="memes/x.jpg")
    Meme.objects.create(owner=alice, template=template, lines=["by", "model"], source=Meme.Source.TITLE, image="m.jpg")
    hand_written = Meme.objects.get(lines=["hand", "written"])
    boxes = [record.boxes for record in caption_services.corpus_records()]
    # The gallery's held-out fifth never trains; a caption the model wrote counts only once people like it.
    expected = [("imported", "caption")] + ([] if caption_services.is_held_out(hand_written.pk) else [("hand", "written")])
    assert boxes == expected
