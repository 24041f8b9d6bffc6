"""Live messages go out from one long-lived event loop per process (memesite/live.py), on the real channel layer:
in-process by default, Redis when REDIS_URL is set."""

import asyncio
import socket
import threading
import time
import uuid

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from redis import Redis

from memesite import live

SENDS = 120


@pytest.mark.asyncio
async def test_many_sends_from_a_worker_thread_arrive_in_order():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("live.order", channel)

    async def receive_all():
        return [(await layer.receive(channel))["n"] for _ in range(SENDS)]

    receiving = asyncio.create_task(receive_all())
    await asyncio.sleep(0)  # receive() starts first, as a consumer's does

    def worker():  # what a task does: blocking sends from its own thread
        return [live.group_send("live.order", {"type": "job.update", "n": n}) for n in range(SENDS)]

    sent = await asyncio.to_thread(worker)
    assert sent == [True] * SENDS
    assert await asyncio.wait_for(receiving, timeout=10) == list(range(SENDS))
    await layer.group_discard("live.order", channel)


@pytest.mark.skipif(not settings.REDIS_URL, reason="the embedded layer opens no connections")
def test_many_sends_share_one_redis_connection(settings):
    # async_to_sync(group_send) opened a connection for every send (on a loop of its own) and closed it with the loop.
    name = f"live-test-{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": settings.REDIS_URL, "client_name": name}], "prefix": f"{name}-"},
        }
    }
    redis = Redis.from_url(settings.REDIS_URL)

    def our_connections():
        return [client["id"] for client in redis.client_list() if client["name"] == name]

    assert live.group_send("live.nobody", {"type": "job.update"})
    first = our_connections()
    assert all(live.group_send("live.nobody", {"type": "job.update", "n": n}) for n in range(SENDS))
    assert len(first) == 1 and our_connections() == first


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers: a Redis that hangs."""
    server = socket.create_server(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port():
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


@pytest.mark.parametrize("redis_port", ["silent_server", "closed_port"])
def test_a_layer_that_hangs_or_is_down_costs_a_send_its_timeout_and_no_error(request, settings, monkeypatch, redis_port):
    port = request.getfixturevalue(redis_port)
    monkeypatch.setattr(live, "SEND_TIMEOUT", 0.3)
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}"]}}
    }
    started = time.monotonic()
    assert live.group_send("live.outage", {"type": "job.update"}) is False
    assert time.monotonic() - started < 2

    # The loop is not stuck behind the failed send: the next one, to a layer that works, goes through.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "memesite.layers.InProcessChannelLayer"}}
    assert live.group_send("live.outage", {"type": "job.update"}) is True
    assert [thread.name for thread in threading.enumerate()].count("live-sender") == 1
