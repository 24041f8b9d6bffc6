"""memesite.handler through the ASGI application: answers and their bodies whole, request_started and
request_finished once a request (after a file has been sent, for a file), bodies read, and no database
connection left checked out of the pool."""

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core import signals
from django.db import connection

from memesite.asgi import application

from .conftest import make_meme

pytestmark = pytest.mark.django_db(transaction=True)  # the requests run in the handler's threads


@pytest.fixture
def request_signals():
    sent = []

    def started(**kwargs):
        sent.append("started")

    def finished(**kwargs):
        sent.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield sent
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def asgi(method: str, path: str, body: bytes = b"", headers: tuple = ()) -> dict:
    """The answer's status and its body, joined from all its messages (a file comes in several)."""

    async def exchange():
        head = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()), *headers]
        communicator = ApplicationCommunicator(application, {
            "type": "http", "http_version": "1.1", "method": method, "path": path, "raw_path": path.encode(),
            "query_string": b"", "scheme": "http", "headers": head,
            "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        })  # fmt: skip
        await communicator.send_input({"type": "http.request", "body": body})
        start = await communicator.receive_output(10)
        parts = [await communicator.receive_output(10)]
        while parts[-1].get("more_body"):
            parts.append(await communicator.receive_output(10))
        await communicator.wait()
        return {"status": start["status"], "body": b"".join(part.get("body", b"") for part in parts)}

    return async_to_sync(exchange)()


def test_an_api_answer_comes_whole_with_one_start_and_finish(alice, template, request_signals):
    meme = make_meme(alice, template, is_public=True)
    answer = asgi("GET", f"/api/memes/{meme.pk}/")
    assert answer["status"] == 200
    assert json.loads(answer["body"])["id"] == meme.pk
    assert request_signals == ["started", "finished"]


def test_a_file_is_sent_whole_and_finished_after(alice, template, request_signals):
    meme = make_meme(alice, template, is_public=True)
    answer = asgi("GET", meme.get_image_url())
    assert answer["status"] == 200
    assert answer["body"] == meme.image.open("rb").read()
    assert request_signals == ["started", "finished"]


def test_a_request_body_reaches_the_view(alice):
    answer = asgi(
        "POST", "/api/token/", body=b'{"username": "alice", "password": "not her password"}',
        headers=((b"content-type", b"application/json"),),
    )  # fmt: skip
    assert answer["status"] == 400
    errors = json.loads(answer["body"])["errors"]
    assert "username" not in errors and "password" not in errors  # both were read: they are just wrong


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the connection pool is PostgreSQL's")
def test_requests_give_their_database_connections_back(alice, template):
    meme = make_meme(alice, template, is_public=True)
    connection.ensure_connection()
    pool = connection.pool

    def checked_out() -> int:
        stats = pool.get_stats()
        return stats["pool_size"] - stats["pool_available"]

    before = checked_out()
    for _ in range(3):
        assert asgi("GET", f"/api/memes/{meme.pk}/")["status"] == 200
        assert asgi("GET", meme.get_image_url())["status"] == 200
    assert checked_out() == before
