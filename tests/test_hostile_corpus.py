"""A corpus of hostile input (issue 16) against the API, the pages and the admin: no answer is a server error, every
refusal says why, and every job the site accepts ends (succeeded, or failed with a reason) within a minute on the
real worker. import_templates' corpus is tests/test_import_hostile.py."""

import io
import json
import time

import pytest
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from generator.models import Job

from .conftest import PASSWORD, make_meme, png_bytes
from .test_bad_input import jpeg_bytes, png_claiming, upload
from .test_hostile_inputs import cursor, nested

DEEP = nested(100_000)

# (who, method, path, body): who is None (anonymous), "alice" or "admin"; a body is JSON unless it holds files.
CORPUS = [
    # Gallery pages and their queries.
    (None, "get", "/?cursor=" + cursor("nan"), None),
    (None, "get", "/best/?cursor=" + cursor("1e9999"), None),
    (None, "get", "/new/?cursor=" + cursor("2026-13-40"), None),
    (None, "get", "/top/?t=forever", None),
    (None, "get", "/top/?t=all&cursor=" + cursor("9" * 400), None),
    (None, "get", "/t/grey/?sort=%00", None),
    (None, "get", "/t/grey/?cursor=%ff%fe", None),
    (None, "get", "/u/alice/?sort=top&cursor=" + cursor("x", offset=10**30), None),
    (None, "get", "/u/%EF%BD%81lice/", None),
    (None, "get", "/m/1/" + "a" * 500 + ".jpg", None),
    (None, "get", "/?q=%00", None),
    # memegen-style addresses.
    (None, "get", "/t/grey/hello.jpg?width=%C2%B2", None),
    (None, "get", "/t/grey/hello.jpg?width=-1", None),
    (None, "get", "/t/grey/hello.jpg?width=" + "9" * 400, None),
    (None, "get", "/t/grey/" + "a/" * 40 + "b.jpg", None),
    (None, "get", "/t/grey/" + "~" * 500 + ".png", None),
    (None, "get", "/t/grey/%00.jpg", None),
    (None, "get", "/images/grey/a%ff.webp", None),
    (None, "get", "/t/no-such-template/x.gif", None),
    # API listings.
    (None, "get", "/api/memes/?sort=sideways", None),
    (None, "get", "/api/memes/?period=%00", None),
    (None, "get", "/api/memes/?template=%00", None),
    (None, "get", "/api/memes/?user=%EF%BD%81lice", None),
    (None, "get", "/api/memes/?page_size=-1", None),
    (None, "get", "/api/memes/?page_size=1e9", None),
    (None, "get", "/api/memes/?cursor=" + cursor("-inf"), None),
    (None, "get", "/api/memes/?sort=new&cursor=" + cursor("0001-01-01 00:00:00+14:00"), None),
    (None, "get", "/api/templates/?page=%C2%B2", None),
    (None, "get", "/api/templates/%00/", None),
    ("alice", "get", "/api/jobs/not-a-uuid/", None),
    # API writes with hostile bodies.
    ("alice", "post", "/api/memes/", DEEP),
    ("alice", "post", "/api/memes/", '{"template": "grey", "lines": ["x"], "boxes": ' + DEEP + "}"),
    ("alice", "post", "/api/memes/", '{"template": "grey", "lines": [NaN]}'),
    ("alice", "post", "/api/memes/", {"template": ["grey"], "lines": ["x"]}),
    ("alice", "post", "/api/memes/", {"template": "grey", "lines": {"a": 1}}),
    ("alice", "post", "/api/memes/", {"template": "grey", "lines": [1, None, ["x"]]}),
    ("alice", "post", "/api/memes/", {"template": "grey\x00", "lines": ["x"]}),
    ("alice", "post", "/api/memes/", {"source": "title", "template": "grey", "title": "x" * 100_000}),
    ("alice", "post", "/api/memes/", {"source": ["photo"], "lines": ["x"]}),
    ("alice", "post", "/api/memes/", {"source": "photo", "photo": upload(png_bytes()), "face": "9223372036854775808"}),
    ("alice", "post", "/api/memes/", {"source": "photo", "photo": upload(png_bytes()), "face": "1e3"}),
    ("alice", "post", "/api/memes/", {"image": upload(png_bytes()), "lines": ["x"], "boxes": DEEP}),
    ("alice", "post", "/api/memes/", {"image": upload(png_bytes()), "lines": [DEEP]}),
    ("alice", "post", "/api/memes/", {"image": upload(png_bytes()), "lines": ["x"], "boxes": '[{"x": 1e999}]'}),
    ("alice", "post", "/api/memes/", {"image": upload(png_claiming(2**31 - 1, 2**31 - 1)), "lines": ["x"]}),
    ("alice", "post", "/api/memes/", {"image": upload(png_claiming(1, 25_000_000)), "lines": ["x"]}),
    ("alice", "post", "/api/memes/", {"image": upload(png_bytes((3000, 100))), "lines": ["x"]}),
    ("alice", "put", "/api/memes/1/vote/", {"value": 10**100}),
    ("alice", "put", "/api/memes/99999999999999999999999/vote/", {"value": 1}),
    ("alice", "post", "/api/memes/1/report/", {"reason": DEEP}),
    ("alice", "post", "/api/jobs/00000000-0000-0000-0000-000000000000/choose/", {"candidate": 10**100}),
    ("alice", "post", "/api/jobs/00000000-0000-0000-0000-000000000000/face/", {"face": -(10**100)}),
    (None, "post", "/api/users/", {"username": "\x00", "password": PASSWORD}),
    (None, "post", "/api/users/", {"username": "a" * 10_000, "password": PASSWORD}),
    (None, "post", "/api/users/", {"username": "\ufdfa" * 10, "password": PASSWORD}),  # NFKC: 18 characters each
    (None, "post", "/api/users/", {"username": "ａｌｉｃｅ", "password": PASSWORD}),
    (None, "post", "/api/users/", {"username": ["alice"], "password": PASSWORD}),
    (None, "post", "/api/token/", {"username": DEEP, "password": DEEP}),
    # The admin.
    ("admin", "get", "/admin/generator/template/?q=%00", None),
    ("admin", "get", "/admin/generator/meme/?o=999", None),
    ("admin", "get", "/admin/generator/job/?status__exact=%00", None),
    ("admin", "get", "/admin/generator/template/99999999999999999999999/change/", None),
    ("admin", "get", "/admin/accounts/user/?q=%EF%BD%81lice", None),
]


def _client(who, admin_user, alice):
    if who == "admin":
        client = Client(raise_request_exception=False)
        client.force_login(admin_user)
        return client
    client = APIClient(raise_request_exception=False)
    if who == "alice":
        client.force_authenticate(alice)
    return client


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", password=PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize("who,method,path,body", CORPUS, ids=[f"{m} {p[:60]}" for _, m, p, _ in CORPUS])
def test_no_hostile_request_is_a_server_error(who, method, path, body, alice, admin_user, template):
    make_meme(alice, template, is_public=True)
    client = _client(who, admin_user, alice)
    if body is None:
        response = getattr(client, method)(path)
    elif isinstance(body, str):
        response = getattr(client, method)(path, body, content_type="application/json")
    else:
        has_file = any(hasattr(value, "read") for value in body.values())
        response = getattr(client, method)(path, body if has_file else json.dumps(body),
                                           **({"format": "multipart"} if has_file else {"content_type": "application/json"}))  # fmt: skip
    assert response.status_code < 500, response.content[:300]
    if path.startswith("/api/") and response.status_code >= 400:
        assert response.json()["detail"]  # the one error format, with a reason


def animated_gif(size=(60, 40), frames=30) -> bytes:
    images = [Image.new("P", size, index % 200) for index in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=0, loop=0)
    return buffer.getvalue()


def rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 8
    buffer = io.BytesIO()
    Image.new("RGB", (400, 20), "blue").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


# Pictures at the edges of what is allowed: each is either refused with a reason or makes a meme.
EDGE_UPLOADS = {
    "20:1 wide": png_bytes((2000, 100)),
    "1:20 tall": png_bytes((100, 2000)),
    "1x1": png_bytes((1, 1)),
    "16-bit grey": png_bytes((300, 200), (40000,), mode="I;16"),
    "cmyk": jpeg_bytes(Image.new("CMYK", (300, 200), (0, 255, 255, 0))),
    "animated gif, zero delays": animated_gif(),
    "exif rotated into 20x400": rotated_jpeg(),
    "palette with transparency": png_bytes((300, 200), 0, mode="P"),
    "la": png_bytes((300, 200), (10, 100), mode="LA"),
}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_every_upload_at_the_edges_is_refused_with_a_reason_or_its_job_ends(celery_worker, alice):
    client = APIClient()
    client.force_authenticate(alice)
    jobs = {}
    for name, data in EDGE_UPLOADS.items():
        response = client.post(
            "/api/memes/", {"image": upload(data), "lines": ["top", "bottom"]}, format="multipart"
        )  # fmt: skip
        assert response.status_code in (202, 400), (name, response.content[:300])
        if response.status_code == 400:
            assert response.json()["errors"]["image"], name
        else:
            jobs[name] = response.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Job.objects.exclude(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]).exists():
        time.sleep(0.1)
    for name, job_id in jobs.items():
        job = Job.objects.get(pk=job_id)
        assert job.status == Job.Status.SUCCEEDED or (job.status == Job.Status.FAILED and job.error), (name, job.status)
    assert not Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists()
