"""The embedded layer delivers sends made from a worker thread to consumers on the server's loop."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync

from memesite.layers import InProcessChannelLayer


@pytest.mark.asyncio
async def test_a_group_send_from_another_thread_reaches_the_consumer_loop():
    layer = InProcessChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("job.demo", channel)
    receiving = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)  # let receive() start, as a consumer would

    def worker_thread():  # what the worker does: a send from its own thread and event loop
        async_to_sync(layer.group_send)("job.demo", {"type": "job.update", "n": 1})

    sender = threading.Thread(target=worker_thread)
    sender.start()
    message = await asyncio.wait_for(receiving, timeout=5)
    await asyncio.to_thread(sender.join, 5)
    assert not sender.is_alive()
    assert message == {"type": "job.update", "n": 1}
