"""Django's ASGI handler, with each request handled in one trip to a pool of worker threads.

Django's own ASGI handler runs the middleware in async mode: the request_started signal, each sync middleware,
each process_view and the sync view all cross between the event loop and a worker thread, half a dozen
crossings a request, in a thread started for that request alone, and a task watches for the client going away.
Every view and middleware of this site is sync, so this handler builds the sync chain, as under WSGI, and runs
it in a fixed pool of threads (WEB_THREADS a process), each keeping its database connection wrapper between
requests as a WSGI server's threads do. On two cores that took the vote benchmark from about 280 to 440-490 votes/s.
Reading the body and sending the response stay in the event loop. A client that leaves mid-request can't stop
a sync view anyway, so there is no disconnect watcher.
"""

from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse
from django.urls import set_script_prefix


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self, threads: int):
        super().__init__()
        self.threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="request")

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await self._in_thread(self._response_to, scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await self._in_thread(response.close)
        finally:
            body_file.close()

    def _in_thread(self, function, *args):
        return sync_to_async(function, thread_sensitive=False, executor=self.threads)(*args)

    def _response_to(self, scope, body_file):
        """The response, closed (request_finished sent, the database connection back in its pool) unless it
        streams: a file is read while it is sent, and closed after."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = error_response if request is None else self.get_response(request)
        response._handler_class = self.__class__
        if not response.streaming:
            response.close()
            return response
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # the ASGI server chunks the body itself
        # The view is done with the database; the close after sending runs in whichever thread is free.
        close_old_connections()
        return response


def get_asgi_application() -> SyncChainASGIHandler:
    django.setup(set_prefix=False)
    return SyncChainASGIHandler(threads=settings.WEB_THREADS)
