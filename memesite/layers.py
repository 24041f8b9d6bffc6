"""The embedded mode's channel layer."""

import asyncio

from channels.layers import InMemoryChannelLayer


class InProcessChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, made safe to send to from other threads.

    In the embedded mode the Celery worker runs in a thread of the server process, and its sends run
    on another event loop (memesite.live's). asyncio queues belong to one loop and are not
    thread-safe, so a send from another loop is handed to the loop the consumers receive on.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._consumer_loop = None

    async def receive(self, channel):
        self._consumer_loop = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel, message):
        await self._on_consumer_loop(super().send(channel, message))

    async def group_send(self, group, message):
        await self._on_consumer_loop(super().group_send(group, message))

    async def _on_consumer_loop(self, coroutine):
        loop = self._consumer_loop
        if loop is None or not loop.is_running() or loop is asyncio.get_running_loop():
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))
