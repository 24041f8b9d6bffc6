"""Limits that keep one user, or a crowd, from swamping the site: queued jobs per user and in all; media files
written whole or not at all; orphan media removed. (Upload sizes, pixels and text lengths: test_bad_input.py;
rates: test_api_throttles.py.)"""

import io
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings

from generator.models import Job
from tests.conftest import make_meme

pytestmark = pytest.mark.django_db


def make(client, template, text="hello"):
    return client.post("/api/memes/", {"template": template.slug, "lines": [text, "there"]}, format="json")


@override_settings(MEME_MAX_JOBS_PER_USER=2)
def test_a_user_has_at_most_so_many_jobs_waiting(alice, bob, template, client_for):
    api = client_for(alice)
    assert [make(api, template).status_code for _ in range(2)] == [202, 202]
    refused = make(api, template)
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "You already have 2 memes waiting to be made. Wait until one is done, then try again.",
        "code": "throttled", "errors": {},
    }  # fmt: skip
    assert refused["Retry-After"]
    assert Job.objects.filter(owner=alice).count() == 2
    assert make(client_for(bob), template).status_code == 202  # per user: bob is not held back
    # A finished job leaves room for the next.
    Job.objects.filter(pk=Job.objects.filter(owner=alice).first().pk).update(status=Job.Status.SUCCEEDED)
    assert make(api, template).status_code == 202


@override_settings(MEME_MAX_JOBS_PER_USER=1)
def test_the_web_form_says_so_too(alice, template, client):
    client.force_login(alice)
    assert client.post(f"/make/{template.slug}/", {"line_0": "one", "is_public": "on"}).status_code == 302
    page = client.post(f"/make/{template.slug}/", {"line_0": "two", "is_public": "on"})
    assert page.status_code == 429
    assert "You already have 1 memes waiting" in page.content.decode()
    assert Job.objects.count() == 1


@override_settings(MEME_MAX_QUEUED_JOBS=2)
def test_a_full_queue_sheds_load_with_503(alice, bob, sam, template, client_for):
    assert make(client_for(alice), template).status_code == 202
    assert make(client_for(bob), template).status_code == 202
    shed = make(client_for(sam), template)
    assert shed.status_code == 503
    assert shed.json()["code"] == "unavailable"
    assert "Too many memes are waiting" in shed.json()["detail"]
    assert Job.objects.count() == 2
    # Running jobs are no longer waiting: room again.
    Job.objects.update(status=Job.Status.RUNNING)
    assert make(client_for(sam), template).status_code == 202


class BrokenUpload(File):
    """An upload that fails half way: the disk filled, the client went away."""

    def chunks(self, chunk_size=None):
        yield b"GIF89a half an image"
        raise OSError("No space left on device")


def test_a_media_file_is_written_whole_or_not_at_all(isolated_files):
    folder = Path(settings.MEDIA_ROOT) / "memes"
    before = set(folder.glob("*")) if folder.exists() else set()
    with pytest.raises(OSError):
        default_storage.save("memes/broken.gif", BrokenUpload(None, name="broken.gif"))
    assert not default_storage.exists("memes/broken.gif")
    assert set(folder.glob("*")) == before  # no half file, no temporary one

    name = default_storage.save("memes/whole.txt", ContentFile(b"all of it"))
    again = default_storage.save("memes/whole.txt", ContentFile(b"another"))
    assert again != name  # never written over another file
    assert default_storage.open(name).read() == b"all of it" and default_storage.open(again).read() == b"another"
    assert set(folder.glob(".tmp-*")) == set()


def media_file(name: str, age: float) -> Path:
    # Templates are public media; memes and uploads are private.
    root = settings.MEDIA_ROOT if name.startswith(("templates/", "elsewhere/")) else settings.PRIVATE_MEDIA_ROOT
    path = Path(root) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


DAY = 24 * 60 * 60


def test_remove_orphan_media_removes_only_old_files_nothing_refers_to(alice, template):
    meme = make_meme(alice, template)
    kept = [Path(meme.image.path), Path(template.image.path)]
    for path in kept:
        os.utime(path, (time.time() - 2 * DAY,) * 2)
    orphans = [media_file("memes/orphan.jpg", 2 * DAY), media_file("backgrounds/.tmp-crashed", 2 * DAY)]
    young = media_file("memes/being-saved.jpg", 60)  # may belong to a meme not committed yet
    elsewhere = media_file("elsewhere/not-ours.txt", 2 * DAY)

    call_command("remove_orphan_media", "--dry-run", stdout=(listing := io.StringIO()))
    assert all(path.exists() for path in orphans)
    assert "memes/orphan.jpg" in listing.getvalue() and "2 orphan files found." in listing.getvalue()

    call_command("remove_orphan_media", stdout=(report := io.StringIO()))
    assert "2 orphan files removed." in report.getvalue()
    assert not any(path.exists() for path in orphans)
    assert all(path.exists() for path in [*kept, young, elsewhere])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_the_scheduled_task_removes_orphans_too(celery_worker, alice, template):
    from generator.tasks import remove_orphan_media

    meme = make_meme(alice, template)
    orphan = media_file("memes/forgotten.jpg", 2 * DAY)
    remove_orphan_media.delay()
    deadline = time.monotonic() + 60
    while orphan.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not orphan.exists()
    assert Path(meme.image.path).exists()


def test_remove_orphan_media_refuses_a_negative_age():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="number of seconds"):
        call_command("remove_orphan_media", "--older-than", "-1")

