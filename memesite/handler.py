"""Django's ASGI handler, with each request handled in one trip to a worker thread.

Django's own ASGI handler runs the middleware in async mode: the request_started signal, each sync middleware,
each process_view and the sync view all cross between the event loop and a worker thread, half a dozen
crossings a request, and a task watches for the client going away. Every view and middleware of this site is
sync, so this handler builds the sync chain, as under WSGI, and crosses twice: once to make the response, once
to close it after it was sent (closing fires request_finished, which gives the database connection back).
Reading the body and sending the response stay in the event loop. A client that leaves mid-request can't stop
a sync view anyway, so there is no disconnect watcher.
"""

import django
from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await sync_to_async(self._response_to, thread_sensitive=True)(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _response_to(self, scope, body_file):
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            return error_response
        response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # the ASGI server chunks the body itself
        return response


def get_asgi_application() -> SyncChainASGIHandler:
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
