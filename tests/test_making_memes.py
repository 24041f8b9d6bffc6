"""Making a meme end to end: the request queues a job, a real Celery worker renders it, and the
browser hears about it over the websocket (on the in-process layer or on Redis)."""

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from PIL import Image

from generator.models import Job
from generator.tasks import render_job
from memes.models import Meme
from memesite.asgi import application

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_job(job_id, timeout=30) -> Job:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def test_api_meme_is_rendered_by_the_worker(celery_worker, alice, template, client_for):
    client = client_for(alice)
    response = client.post("/api/memes/", {"template": "grey", "lines": ["top text", "bottom text"]}, format="json")
    assert response.status_code == 202
    assert response["Location"] == f"/api/jobs/{response.json()['id']}/"

    job = wait_for_job(response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED, job.error
    body = client.get(f"/api/jobs/{job.id}/").json()
    assert body["status"] == "succeeded" and body["progress"] == 1.0
    meme = Meme.objects.get(pk=body["meme"]["id"])
    assert (meme.owner, meme.template, meme.lines) == (alice, template, ["top text", "bottom text"])
    assert meme.source == Meme.Source.MANUAL and meme.model_version == ""
    with meme.image.open("rb") as file:
        picture = Image.open(file)
        assert picture.format == "JPEG" and picture.width == 800


def test_a_missing_template_image_fails_the_job_at_once_with_a_reason(celery_worker, alice, template, client_for):
    template.image.storage.delete(template.image.name)
    response = client_for(alice).post("/api/memes/", {"template": "grey", "lines": ["a", "b"]}, format="json")
    job = wait_for_job(response.json()["id"], timeout=10)  # no retries with backoff
    assert job.status == Job.Status.FAILED and "missing (grey" in job.error


def test_web_form_makes_a_meme_and_the_job_page_shows_it(celery_worker, alice, template):
    client = Client()
    client.force_login(alice)
    response = client.post("/make/grey/", {"line_0": "hello", "line_1": "world", "is_public": "on"})
    assert response.status_code == 302
    job = wait_for_job(response["Location"].rstrip("/").rsplit("/", 1)[1])
    page = client.get(response["Location"]).content.decode()
    assert job.meme.get_image_url() in page and 'alt="hello / world"' in page


def test_web_form_rejects_all_empty_lines(alice, template):
    client = Client()
    client.force_login(alice)
    response = client.post("/make/grey/", {"line_0": "  ", "line_1": ""})
    assert response.status_code == 200
    assert "Write at least one line of text." in response.content.decode()
    assert not Job.objects.exists()


async def _connect(user, job_id):
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/jobs/{job_id}/", headers=headers)
    return communicator, await communicator.connect()


@pytest.mark.asyncio
async def test_websocket_streams_progress_then_the_meme(celery_worker, alice, template):
    job = await Job.objects.acreate(owner=alice, template=template, lines=["live", "update"])
    communicator, (connected, _) = await _connect(alice, job.id)
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    assert first["status"] == "queued"

    render_job.delay(str(job.id))
    seen = []
    while not seen or seen[-1]["status"] not in ("succeeded", "failed"):
        seen.append(await communicator.receive_json_from(timeout=20))
    await communicator.disconnect()

    assert [message["status"] for message in seen] == ["running", "succeeded"]
    assert seen[0]["progress"] < seen[1]["progress"] == 1.0
    assert seen[1]["meme"]["lines"] == ["live", "update"] and seen[1]["meme"]["image"]


@pytest.mark.asyncio
@pytest.mark.parametrize("who", ["anonymous", "bob"])
async def test_websocket_refuses_people_who_do_not_own_the_job(who, alice, bob, template):
    job = await Job.objects.acreate(owner=alice, template=template, lines=["mine"])
    communicator, (connected, code) = await _connect(None if who == "anonymous" else bob, job.id)
    assert not connected and code == 4403
