"""A corpus of hostile input (issue 16) against the API, the pages and the admin: no answer is a server error, every
refusal says why, and every job the site accepts ends (succeeded, or failed with a reason) within a minute on the
real worker, a worker's memory staying under 1 GB for any single upload. import_templates' corpus is
tests/test_import_hostile.py."""

import io
import json
import os
import struct
import subprocess
import sys
import time
import zlib

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient
from skimage import data as samples

from accounts.models import User
from generator.models import Job
from memes.models import Meme

from .conftest import PASSWORD, make_meme, png_bytes
from .faults.conftest import test_database_url
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
    ("admin", "get", "/admin/memes/template/?q=%00", None),
    ("admin", "get", "/admin/memes/meme/?o=999", None),
    ("admin", "get", "/admin/generator/job/?status__exact=%00", None),
    ("admin", "get", "/admin/memes/template/99999999999999999999999/change/", None),
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


JOB_TIME_LIMIT = 60  # seconds: every job ends, succeeded or failed with a reason, within a minute


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
    deadline = time.monotonic() + JOB_TIME_LIMIT
    while time.monotonic() < deadline and Job.objects.exclude(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]).exists():
        time.sleep(0.1)
    for name, job_id in jobs.items():
        job = Job.objects.get(pk=job_id)
        assert job.status == Job.Status.SUCCEEDED or (job.status == Job.Status.FAILED and job.error), (name, job.status)
        assert (job.updated_at - job.created_at).total_seconds() < JOB_TIME_LIMIT, name  # from accepted to ended
    assert not Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists()


def apng(frames: int, size: tuple[int, int], mode="RGB") -> bytes:
    """An animated PNG of `frames` plain frames, each a colour of its own, written chunk by chunk (Pillow's writer
    would hold every frame decoded): 48 frames of 5000×830 take 0.7 MB."""
    width, height = size
    channels, colour_type = {"RGB": (3, 2), "RGBA": (4, 6)}[mode]

    def pixels(index: int) -> bytes:
        return zlib.compress((b"\x00" + bytes([index * 5 % 256, 120, 150, 128][:channels]) * width) * height, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)),
             chunk(b"acTL", struct.pack(">II", frames, 0))]  # fmt: skip
    sequence = 0
    for index in range(frames):
        parts.append(chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, width, height, 0, 0, 1, 10, 0, 0)))
        if index == 0:
            parts.append(chunk(b"IDAT", pixels(index)))
            sequence += 1
        else:
            parts.append(chunk(b"fdAT", struct.pack(">I", sequence + 1) + pixels(index)))
            sequence += 2
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


def big_photo() -> bytes:
    """The astronaut at 5000×5000, the pixel limit, as a camera's JPEG."""
    return jpeg_bytes(Image.fromarray(samples.astronaut()).resize((5000, 5000)))


# The heaviest pictures the limits let through (and one they now stop), each made by a worker of its own (the task
# run in a fresh process), whose peak memory is measured: (source, picture).
HEAVY_UPLOADS = {
    "25 megapixels": (Meme.Source.MANUAL, lambda: png_bytes((5000, 5000))),
    "25 megapixels at 20:1": (Meme.Source.MANUAL, lambda: png_bytes((22360, 1118))),
    "48 frames of 5000x830 in 0.7 MB": (Meme.Source.MANUAL, lambda: apng(48, (5000, 830))),
    "2 transparent frames of 25 megapixels": (Meme.Source.MANUAL, lambda: apng(2, (5000, 5000), "RGBA")),
    "48 transparent frames of 1 megapixel": (Meme.Source.MANUAL, lambda: apng(48, (1440, 720), "RGBA")),
    "a photo of 25 megapixels": (Meme.Source.PHOTO, big_photo),
}
WORKER_MEMORY_LIMIT = 1024**3  # a worker's peak resident memory for any single upload, its start included

# The web's part: each upload kept as the API keeps it, and its job (not queued: the worker below takes it); one line
# each, the job's id or why the upload was refused.
KEEP = """
import sys
import django
django.setup()
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from generator.models import Job
from generator.services import upload_keep
owner, *uploads = sys.argv[1:]
for source, path in zip(uploads[::2], uploads[1::2]):
    try:
        kept = upload_keep(SimpleUploadedFile("upload", open(path, "rb").read()))
    except ValidationError as error:
        print("refused:", *error.messages)
        continue
    lines = [] if source == "photo" else ["top", "bottom"]
    print(Job.objects.create(owner_id=owner, kind=source, background=kept, lines=lines).pk)
"""
# The worker's part: the job's task, as a worker runs it; then the process's peak resident memory (VmHWM: the
# resource module's ru_maxrss would count the test process's memory at the fork).
WORK = """
import sys
import django
django.setup()
from generator import tasks
source, job_id = sys.argv[1:]
(tasks.photo_job if source == "photo" else tasks.render_job).apply(args=[job_id])
print(next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def run_python(code: str, *arguments, timeout: float) -> list[str]:
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"} | {
        "DJANGO_SETTINGS_MODULE": "memesite.settings", "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT), "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "OMP_NUM_THREADS": "1", "TORCH_THREADS": "1",
    }  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code, *arguments], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=timeout)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads a process's peak memory from /proc")
@pytest.mark.django_db(transaction=True)
def test_no_upload_takes_a_worker_past_1_gb_or_a_minute(alice, caption_model, happy_template, tmp_path):
    uploads = []
    for number, (source, picture) in enumerate(HEAVY_UPLOADS.values()):
        path = tmp_path / f"upload-{number}"
        path.write_bytes(picture())
        uploads += [source, str(path)]
    kept = run_python(KEEP, str(alice.pk), *uploads, timeout=120)
    assert len(kept) == len(HEAVY_UPLOADS), kept
    peaks = {}
    for (name, (source, _)), job_id in zip(HEAVY_UPLOADS.items(), kept):
        if job_id.startswith("refused:"):
            peaks[name] = job_id
            continue
        started = time.monotonic()
        peak = int(run_python(WORK, source, job_id, timeout=JOB_TIME_LIMIT)[-1])
        job = Job.objects.get(pk=job_id)
        assert job.status == Job.Status.SUCCEEDED or (job.status == Job.Status.FAILED and job.error), (name, job.status)
        assert time.monotonic() - started < JOB_TIME_LIMIT, name  # the worker's start included
        peaks[name] = f"{peak / 1024**2:.0f} MB in {time.monotonic() - started:.1f} s"
        assert peak < WORKER_MEMORY_LIMIT, (name, peaks)
