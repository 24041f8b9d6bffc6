"""`manage.py fetch_templates`: memegen.link's API, served here by a server on loopback (the tests never reach
outside). Templates import with their images, box counts and examples; a hostile server (huge or broken JSON, an
image bomb, a slow answer, a redirect elsewhere) gives a clean error or a rejected template, in bounded time."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from captions.services import BUNDLED_MODEL_DIR, template_info
from generator.template_fetch import TEMPLATES_MAX_BYTES
from memes.models import Template
from ml.captions.aliases import known_templates

from .conftest import png_bytes
from .test_hostile_inputs import png_claiming

pytestmark = pytest.mark.django_db


class Server:
    """An HTTP server on 127.0.0.1 in a thread; `routes` maps a path to a function of the request handler that
    answers it. Every path asked for is kept in `asked`."""

    def __init__(self):
        self.routes, self.asked = {}, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.asked.append(self.path)
                answer = server.routes.get(self.path)
                if answer is None:
                    send(self, b"not here", status=404, kind="text/plain")
                else:
                    answer(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # a client that stopped reading, as it should
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path, body, kind="application/octet-stream"):
        self.routes[path] = lambda handler: send(handler, body, kind=kind)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def send(handler, body: bytes, *, status=200, kind="application/octet-stream", length=True):
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


@pytest.fixture
def other_server():
    running = Server()
    yield running
    running.close()


def entry(server, key, name, lines=2, example=("top", "bottom"), image=".png", **extra) -> dict:
    """One template as memegen's /templates/ lists it."""
    return {
        "id": key, "name": name, "lines": lines, "overlays": 0, "styles": [],
        "blank": f"{server.url}/images/{key}{image}",
        "example": {"text": list(example), "url": f"{server.url}/images/{key}/x.png"},
        "source": f"https://knowyourmeme.com/memes/{key}", "keywords": ["test", key], "_self": "", **extra,
    }  # fmt: skip


def serve_list(server, entries, images=None):
    server.serve("/templates/", json.dumps(entries).encode(), kind="application/json")
    for item in entries:
        if isinstance(item, dict) and isinstance(item.get("blank"), str) and item["blank"].startswith(server.url):
            path = item["blank"][len(server.url) :]
            server.serve(path, (images or {}).get(item["id"], png_bytes((300, 200))), kind="image/png")


def fetch(server_or_url, *options) -> tuple[str, dict[str, str]]:
    """Run fetch_templates; its summary line and the templates it rejected, each with its reason."""
    out, errors = StringIO(), StringIO()
    url = getattr(server_or_url, "url", server_or_url)
    call_command("fetch_templates", "--source", url, *options, stdout=out, stderr=errors, verbosity=0)
    rejected = dict(line.strip()[len("rejected ") :].split(": ", 1) for line in errors.getvalue().splitlines())
    return out.getvalue().strip(), rejected


def test_fetch_imports_the_listed_templates_with_their_images_boxes_and_examples(server):
    geometry = [{"anchor_x": 0.5, "anchor_y": 0.0, "scale_x": 0.5, "scale_y": 0.5, "font": "comic"},
                {"anchor_x": 0.5, "anchor_y": 0.5, "scale_x": 0.5, "scale_y": 0.5}]  # fmt: skip
    entries = [
        entry(server, "drake", "Drakeposting", example=("left on unread", "left on read")),
        entry(server, "ds", "Daily Struggle", lines=3, example=("a", "b"), image=".jpg"),
        entry(server, "with-boxes", "With Boxes", text=geometry),
    ]
    serve_list(server, entries)
    summary, rejected = fetch(server)
    assert summary.startswith("created 3, updated 0, skipped 0") and rejected == {}

    drake = Template.objects.get(slug="drake")
    assert drake.name == "Drakeposting" and drake.tags == ["test", "drake"]
    assert drake.example_lines() == ["left on unread", "left on read"]
    assert drake.source == "https://knowyourmeme.com/memes/drake"
    assert drake.image.name.endswith(".png") and drake.image.read() == png_bytes((300, 200))
    assert [(box.y, box.height) for box in drake.boxes.all()] == [(0.02, 0.18), (0.8, 0.18)]  # top and bottom
    three = [(box.y, box.height) for box in Template.objects.get(slug="ds").boxes.all()]
    assert three == [(0.02, 0.18), (0.41, 0.18), (0.8, 0.18)]
    assert Template.objects.get(slug="ds").example_lines() == ["a", "b", ""]
    boxes = list(Template.objects.get(slug="with-boxes").boxes.all())
    assert [(box.x, box.y, box.width, box.height, box.font) for box in boxes] == [
        (0.5, 0.0, 0.5, 0.5, "comic"), (0.5, 0.5, 0.5, 0.5, "thick")
    ]  # fmt: skip
    # The caption model learned Drake under the corpus's name: the fetched template gets its learned row.
    assert template_info(drake, known_templates(BUNDLED_MODEL_DIR)).slug == "drake-hotline-bling"

    summary, _ = fetch(server)
    assert summary.startswith("created 0, updated 0, skipped 3")
    entries[0]["name"] = "Drake"
    serve_list(server, entries)
    summary, _ = fetch(server)
    assert summary.startswith("created 0, updated 1, skipped 2") and Template.objects.get(slug="drake").name == "Drake"


def test_only_and_limit_choose_the_templates_and_an_unlisted_key_is_reported(server):
    serve_list(server, [entry(server, key, key.title()) for key in ("buzz", "drake", "fry")])
    summary, rejected = fetch(server, "--only", "fry,drake,nope")
    assert summary.startswith("created 2") and set(Template.objects.values_list("slug", flat=True)) == {"drake", "fry"}
    assert "does not list it" in rejected["nope"]
    assert not any(path.startswith("/images/buzz") for path in server.asked)

    Template.objects.all().delete()
    summary, _ = fetch(server, "--limit", "1")
    assert summary.startswith("created 1") and list(Template.objects.values_list("slug", flat=True)) == ["buzz"]


def test_a_template_not_fetched_from_the_source_is_replaced_only_when_asked(server, other_server, template):
    template.slug = "drake"
    template.save()
    serve_list(server, [entry(server, "drake", "Drakeposting"), entry(server, "fry", "Futurama Fry")])
    summary, rejected = fetch(server)
    assert summary.startswith("created 1") and f"not imported from {server.url} exists" in rejected["drake"]
    assert Template.objects.get(slug="drake").name == template.name

    # Nor one fetched from another server.
    serve_list(other_server, [entry(other_server, "fry", "Another Fry")])
    _, rejected = fetch(other_server)
    assert "not imported from" in rejected["fry"] and Template.objects.get(slug="fry").name == "Futurama Fry"

    summary, rejected = fetch(server, "--replace")
    assert rejected == {} and Template.objects.get(slug="drake").name == "Drakeposting"


def test_a_server_that_cannot_be_reached_or_a_bad_source_is_a_command_error(server):
    port = server.httpd.server_port
    server.close()
    with pytest.raises(CommandError, match="cannot be reached.*import_templates DIR"):
        fetch(f"http://127.0.0.1:{port}")
    for source in ("ftp://example.com", "file:///etc", "not an address", "http://127.0.0.1:notaport"):
        with pytest.raises(CommandError, match="address"):
            fetch(source)
    with pytest.raises(CommandError):
        call_command("fetch_templates", "--limit", "-1", stdout=StringIO())
    assert not Template.objects.exists()


# --- A hostile server ---------------------------------------------------------------------------------------------


def test_a_list_over_the_limit_is_refused_whether_its_length_is_declared_or_not(server):
    huge = b"[" + b'"x",' * (TEMPLATES_MAX_BYTES // 4) + b'"x"]'
    server.serve("/templates/", huge, kind="application/json")
    started = time.monotonic()
    with pytest.raises(CommandError, match="at most 4,194,304"):
        fetch(server)

    def undeclared(handler):
        handler.send_response(200)
        handler.end_headers()
        while True:
            handler.wfile.write(b'"x",' * 16384)

    server.routes["/templates/"] = undeclared
    with pytest.raises(CommandError, match="more than 4,194,304 bytes"):
        fetch(server)
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    "body,message",
    [
        (b"<html>not json</html>", "did not answer JSON"),
        (b'{"id": "drake"}', "a JSON dict, not a list"),
        (b"[" * 100_000 + b"]" * 100_000, "did not answer JSON"),
        (b"[" + b"9" * 100_000 + b"]", "did not answer JSON"),
    ],
)
def test_a_list_that_is_not_a_json_list_is_a_command_error(server, body, message):
    server.serve("/templates/", body, kind="application/json")
    with pytest.raises(CommandError, match=message):
        fetch(server)


def test_entries_of_the_wrong_types_are_rejected_and_the_rest_import(server):
    good = entry(server, "good", "Good")
    bad = {
        "lines-text": entry(server, "lines-text", "x", lines="two"),
        "lines-huge": entry(server, "lines-huge", "x", lines=10**9),
        "lines-bool": entry(server, "lines-bool", "x", lines=True),
        "lines-eleven": entry(server, "lines-eleven", "x", lines=11),
        "name-list": entry(server, "name-list", ["x"]),
        "keywords-dict": entry(server, "keywords-dict", "x", keywords={"a": 1}),
        "example-list": entry(server, "example-list", "x") | {"example": ["a"]},
        "example-texts": entry(server, "example-texts", "x", example=[{"a": 1}]),
        "blank-number": entry(server, "blank-number", "x") | {"blank": 5},
        "blank-file": entry(server, "blank-file", "x") | {"blank": "file:///etc/passwd.png"},
        "blank-elsewhere": entry(server, "blank-elsewhere", "x") | {"blank": "http://127.0.0.2:1/a.png"},
        "nul-name": entry(server, "nul-name", "Dra\x00ke"),
        "text-not-boxes": entry(server, "text-not-boxes", "x", text=["top"]),
        "eleven-boxes": entry(server, "eleven-boxes", "x", text=[{}] * 11),
        "a" * 120: entry(server, "long", "x") | {"id": "a" * 120},
    }
    serve_list(server, [good, *bad.values(), "a string", {"id": 7}, {"name": "no id"}, good | {"id": "twice"},
                        good | {"id": "twice"}])  # fmt: skip
    summary, rejected = fetch(server)
    assert list(Template.objects.values_list("slug", flat=True)) == ["good"]
    assert set(rejected) == {*bad, "(the list)", "twice"}, rejected
    assert "3 of its 21 entries are not templates" in rejected["(the list)"]
    assert "listed more than once" in rejected["twice"]
    assert "not a number from 1 to 10" in rejected["lines-huge"] and "True" in rejected["lines-bool"]
    assert "not on" in rejected["blank-elsewhere"] and "not on" in rejected["blank-file"]
    assert "NUL" in rejected["nul-name"] and "at most 10" in rejected["eleven-boxes"]
    assert "too long" in rejected["a" * 120]
    assert not any(path.startswith("/images/lines") for path in server.asked)  # no image fetched for a bad entry


def test_bad_images_are_rejected_and_the_rest_import(server, settings):
    settings.MEME_MAX_UPLOAD_BYTES = 50_000
    entries = [entry(server, key, key) for key in ("good", "bomb", "huge", "fake", "missing")]
    serve_list(server, entries, images={
        "bomb": png_claiming(12000, 12000), "huge": png_bytes() + b"\0" * 60_000, "fake": b"not a picture",
    })  # fmt: skip
    del server.routes["/images/missing.png"]
    summary, rejected = fetch(server)
    assert list(Template.objects.values_list("slug", flat=True)) == ["good"]
    assert "too many pixels" in rejected["bomb"]
    assert "at most 50,000" in rejected["huge"]
    assert "not an image" in rejected["fake"]
    assert "answered 404" in rejected["missing"]


def test_a_slow_server_is_given_up_on_in_bounded_time(server):
    def silent(handler):
        time.sleep(5)

    def dripping(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(1000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)

    for answer in (silent, dripping):
        server.routes["/templates/"] = answer
        started = time.monotonic()
        with pytest.raises(CommandError, match="timed out|took more than 1 seconds"):
            fetch(server, "--timeout", "1")
        assert time.monotonic() - started < 3

    serve_list(server, [entry(server, "good", "Good"), entry(server, "slow", "Slow")])
    server.routes["/images/slow.png"] = dripping
    started = time.monotonic()
    _, rejected = fetch(server, "--timeout", "1")
    assert time.monotonic() - started < 4
    assert "took more than 1 seconds" in rejected["slow"]
    assert list(Template.objects.values_list("slug", flat=True)) == ["good"]


def test_a_redirect_is_followed_only_on_the_same_host(server, other_server):
    def redirect_to(target):
        def answer(handler):
            handler.send_response(302)
            handler.send_header("Location", target)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        return answer

    serve_list(other_server, [entry(other_server, "elsewhere", "Elsewhere")])
    server.routes["/templates/"] = redirect_to(f"{other_server.url}/templates/")
    with pytest.raises(CommandError, match="redirects to another host"):
        fetch(server)
    assert other_server.asked == []

    serve_list(server, [entry(server, "moved", "Moved"), entry(server, "away", "Away")])
    server.routes["/list/"] = server.routes["/templates/"]
    server.routes["/templates/"] = redirect_to("/list/")  # the same host: followed
    server.routes["/images/moved.png"] = redirect_to(f"{server.url}/images/moved-here.png")
    server.serve("/images/moved-here.png", png_bytes(), kind="image/png")
    server.routes["/images/away.png"] = redirect_to(f"{other_server.url}/images/elsewhere.png")
    summary, rejected = fetch(server)
    assert list(Template.objects.values_list("slug", flat=True)) == ["moved"]
    assert "redirects to another host" in rejected["away"]
    assert other_server.asked == []
