"""Live gallery: vote counts, new memes and hidden memes reach open pages over Channels (in-process or Redis)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from gallery.services import meme_announce, meme_hide, vote_cast
from generator.models import Job
from generator.services import job_run
from memes.models import Meme
from memesite.asgi import application

from .conftest import make_meme

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def session_headers(user=None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


async def open_gallery(user=None, watch=()):
    communicator = WebsocketCommunicator(application, "/ws/gallery/", headers=await session_headers(user))
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"watch": list(watch)})
    return communicator


async def test_a_vote_updates_the_count_on_open_pages(alice, bob, template):
    meme = await sync_to_async(make_meme)(alice, template, ["live", "count"])
    watcher = await open_gallery(watch=[meme.pk])
    assert (await watcher.receive_json_from(timeout=5))["type"] == "watching"  # the watch request has been handled
    await sync_to_async(vote_cast)(bob, meme.pk, 1)
    assert await watcher.receive_json_from(timeout=5) == {"type": "tally", "meme": meme.pk, "ups": 1, "downs": 0, "score": 1}
    await watcher.disconnect()


async def test_a_new_public_meme_appears_and_a_hidden_one_goes(alice, template):
    watcher = await open_gallery()
    await watcher.receive_nothing(timeout=0.3)
    job = await Job.objects.acreate(owner=alice, template=template, lines=["fresh", "meme"])
    await sync_to_async(job_run)(job.pk)  # what the worker does
    meme = await Meme.objects.aget(job__pk=job.pk)
    published = await watcher.receive_json_from(timeout=5)
    assert published["type"] == "published"
    assert published["meme"]["id"] == meme.pk and published["meme"]["caption"] == "fresh / meme"

    await watcher.send_json_to({"watch": [meme.pk]})
    assert (await watcher.receive_json_from(timeout=5))["type"] == "watching"
    await sync_to_async(meme_hide)(meme, True)
    assert await watcher.receive_json_from(timeout=5) == {"type": "hidden", "meme": meme.pk}
    await watcher.disconnect()


async def test_private_memes_are_not_announced_nor_watchable(alice, template):
    private = await sync_to_async(make_meme)(alice, template, ["secret"], is_public=False)
    watcher = await open_gallery(watch=[private.pk])
    assert await watcher.receive_json_from(timeout=5) == {"type": "watching", "tallies": [], "gone": [private.pk]}
    await sync_to_async(meme_announce)(private)
    assert await watcher.receive_nothing(timeout=0.5)
    await watcher.disconnect()


@pytest.mark.parametrize("request_sent", [{"watch": "everything"}, ["watch"], {"watch": list(range(201))}])
async def test_a_bad_watch_request_gets_an_error_not_a_crash(db, request_sent):
    watcher = await open_gallery()
    await watcher.send_json_to(request_sent)
    assert (await watcher.receive_json_from(timeout=5))["type"] == "error"
    await watcher.send_json_to({"watch": []})  # still open
    assert await watcher.receive_nothing(timeout=0.3)
    await watcher.disconnect()


async def test_a_socket_watches_at_most_200_memes_in_all(alice):
    memes = await sync_to_async(Meme.objects.bulk_create)(
        Meme(owner=alice, lines=[str(number)], image="memes/x.jpg") for number in range(300)
    )
    ids = [meme.pk for meme in memes]
    watcher = await open_gallery(watch=ids[:150])
    assert len((await watcher.receive_json_from(timeout=5))["tallies"]) == 150
    await watcher.send_json_to({"watch": ids[150:]})
    assert (await watcher.receive_json_from(timeout=5))["type"] == "error"
    await watcher.send_json_to({"watch": ids[:150]})  # the same memes again are no more
    assert (await watcher.receive_json_from(timeout=5))["type"] == "watching"
    await watcher.disconnect()


@pytest.mark.skipif(not settings.REDIS_URL, reason="the in-process layer has no socket to time out; this is Redis's")
@pytest.mark.timeout(120)
async def test_idle_sockets_stay_open_on_redis_and_still_hear(alice, bob, template):
    """redis-py 8 reads with a 5-s timeout, as long as channels_redis's blocking pop: a quiet socket died (1011)."""
    meme = await sync_to_async(make_meme)(alice, template, ["quiet", "gallery"])
    watcher = await open_gallery(watch=[meme.pk])
    assert (await watcher.receive_json_from(timeout=5))["type"] == "watching"
    job = await Job.objects.acreate(owner=alice, template=template, lines=["slow", "queue"])
    job_socket = WebsocketCommunicator(application, f"/ws/jobs/{job.pk}/", headers=await session_headers(alice))
    assert (await job_socket.connect())[0]
    assert (await job_socket.receive_json_from(timeout=5))["status"] == "queued"

    await asyncio.sleep(30)  # nothing said either way

    await sync_to_async(vote_cast)(bob, meme.pk, 1)
    assert (await watcher.receive_json_from(timeout=5))["ups"] == 1
    await sync_to_async(job_run)(job.pk)
    assert (await job_socket.receive_json_from(timeout=5))["status"] == "running"
    await watcher.disconnect()
    await job_socket.disconnect()


async def test_a_page_that_reconnects_gets_the_counts_and_hidings_it_missed(alice, bob, template):
    kept = await sync_to_async(make_meme)(alice, template, ["kept"])
    hidden = await sync_to_async(make_meme)(alice, template, ["hidden"])
    first = await open_gallery(watch=[kept.pk, hidden.pk])
    assert (await first.receive_json_from(timeout=5))["tallies"][0]["ups"] == 0
    await first.disconnect()  # the socket drops; meanwhile a vote and a hiding

    await sync_to_async(vote_cast)(bob, kept.pk, -1)
    await sync_to_async(meme_hide)(hidden, True)

    again = await open_gallery(watch=[kept.pk, hidden.pk])  # what gallery.js sends on every (re)connection
    assert await again.receive_json_from(timeout=5) == {
        "type": "watching",
        "tallies": [{"meme": kept.pk, "ups": 0, "downs": 1, "score": -1}],
        "gone": [hidden.pk],
    }
    await again.disconnect()
