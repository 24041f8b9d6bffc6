"""Uploads and memes are kept out of the public media folder: an upload gets an unguessable name and loses its
metadata (EXIF, GPS, comments) once its orientation is applied; a meme's image is served only at its own address,
to who may see the meme; a labelled face's crop only to staff, in the admin."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from PIL import Image, PngImagePlugin

from expressions.models import LabelledFace
from gallery.services import meme_hide
from generator import services
from generator.models import Job
from generator.services import job_face_label
from memes.models import Meme

from .conftest import make_user, png_bytes

pytestmark = pytest.mark.django_db

ROTATED_90 = 6  # EXIF orientation: the pixels are stored turned; shown upright, width and height swap
GPS = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 3.2)}


def camera_jpeg(name="alice-at-home.jpg") -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x0112] = ROTATED_90
    exif[0x010F] = "AliceCam"  # the camera's maker
    exif[0x8825] = GPS
    buffer = io.BytesIO()
    Image.new("RGB", (320, 160), (200, 30, 30)).save(buffer, format="JPEG", exif=exif, comment=b"alice's kitchen")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def annotated_png(name="alice-at-home.png") -> SimpleUploadedFile:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Alice Example, 12 Home Street")
    buffer = io.BytesIO()
    Image.new("RGBA", (320, 160), (30, 30, 200, 128)).save(buffer, format="PNG", pnginfo=info)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def stored_bytes(field) -> bytes:
    with field.open("rb") as file:
        return file.read()


def assert_kept_bare(field, size):
    """Kept outside MEDIA_ROOT, under a name that is not the uploader's, upright, with no metadata."""
    assert "alice" not in field.name and not (Path(settings.MEDIA_ROOT) / field.name).exists()
    assert Path(field.path).is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    data = stored_bytes(field)
    kept = Image.open(io.BytesIO(data))
    assert kept.size == size and not kept.getexif() and not set(kept.info) & {"exif", "comment", "Author", "xmp"}
    assert b"Alice" not in data and b"kitchen" not in data


def fetched_by_anyone(path: str) -> int:
    return Client().get(f"/{settings.MEDIA_URL}{path}").status_code


@pytest.mark.parametrize("upload,size", [(camera_jpeg, (160, 320)), (annotated_png, (320, 160))])
def test_an_own_image_is_kept_bare_and_private(alice, bob, client_for, upload, size):
    response = client_for(alice).post("/api/memes/", {"image": upload(), "lines": ["mine"]}, format="multipart")
    assert response.status_code == 202, response.content
    job = services.job_run(response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert_kept_bare(job.background, size)
    meme = job.meme
    for name in (job.background.name, meme.image.name, upload().name, f"backgrounds/{upload().name}"):
        assert fetched_by_anyone(name) == 404
    assert not (Path(settings.MEDIA_ROOT) / meme.image.name).exists()
    owner, other = Client(), Client()
    owner.force_login(alice)
    other.force_login(bob)
    assert owner.get(meme.get_image_url()).status_code == 200 and other.get(meme.get_image_url()).status_code == 404


def test_a_photo_for_photo_mode_is_kept_bare_and_private(alice, client_for):
    response = client_for(alice).post("/api/memes/", {"source": "photo", "photo": camera_jpeg()}, format="multipart")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert_kept_bare(job.background, (160, 320))
    assert fetched_by_anyone(job.background.name) == 404 and fetched_by_anyone("backgrounds/alice-at-home.jpg") == 404


def test_an_animation_keeps_its_frames_and_times_but_not_its_comment(alice):
    frames = [Image.new("RGB", (64, 48), (40 * number, 0, 0)) for number in range(4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=[100, 200, 300, 400],
                   loop=0, comment=b"made at alice's")  # fmt: skip
    upload = SimpleUploadedFile("alice.gif", buffer.getvalue(), content_type="image/gif")
    job = services.job_run(services.job_create(owner=alice, lines=["moving"], background=upload).pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    kept = services.picture_open(stored_bytes(job.background))
    assert kept.durations == (100, 200, 300, 400) and kept.loop == 0
    assert b"alice" not in stored_bytes(job.background) and job.meme.image.name.endswith(".gif")


def test_a_hidden_memes_image_is_no_longer_served_to_others(alice, bob, sam, template, client_for):
    job = services.job_run(services.job_create(owner=alice, lines=["soon", "hidden"], template=template).pk)
    meme = job.meme
    assert Client().get(meme.get_image_url()).status_code == 200
    meme_hide(meme, hidden=True)
    assert Client().get(meme.get_image_url()).status_code == 404 and fetched_by_anyone(meme.image.name) == 404
    for viewer, status in ((bob, 404), (alice, 200), (sam, 200)):
        client = Client()
        client.force_login(viewer)
        assert client.get(meme.get_image_url()).status_code == status


def photo_job_with_a_face(owner) -> Job:
    """A photo-mode job whose photo the worker read: one face, as the ensemble reported it."""
    members = [[1 / 7] * 7] * 5
    face = {"x": 40, "y": 30, "width": 80, "height": 80, "label": "happy", "confidence": 0.5, "members": members}
    photo = ContentFile(png_bytes((200, 160), (200, 150, 120)), name="photo.png")
    return Job.objects.create(owner=owner, kind=Meme.Source.PHOTO, background=photo, faces=[face])


def test_a_labelled_faces_crop_is_private_and_shown_to_staff_alone(alice, bob, sam):
    face = job_face_label(photo_job_with_a_face(alice), face=0, label="sad", user=alice)
    assert not (Path(settings.MEDIA_ROOT) / face.image.name).exists()
    assert Path(face.image.path).is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert fetched_by_anyone(face.image.name) == 404

    sam.user_permissions.add(Permission.objects.get(codename="view_labelledface"))
    staff = Client()
    staff.force_login(sam)
    listing = staff.get("/admin/expressions/labelledface/").content.decode()
    address = f"/admin/expressions/labelledface/{face.pk}/image/"
    assert f'src="{address}"' in listing and face.image.name not in listing
    shown = staff.get(address)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) == stored_bytes(face.image)
    assert "no-cache" in shown["Cache-Control"] and "private" in shown["Cache-Control"]

    staff_without_permission = Client()
    staff_without_permission.force_login(make_user("tess", is_staff=True))
    assert staff_without_permission.get(address).status_code == 403
    for user in (bob, None):
        client = Client()
        if user:
            client.force_login(user)
        response = client.get(address)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.django_db(transaction=True)
def test_a_migration_moves_existing_face_crops_out_of_the_media_folder():
    name = "faces/0123456789abcdef0123456789abcdef.png"
    public, private = Path(settings.MEDIA_ROOT) / name, Path(settings.PRIVATE_MEDIA_ROOT) / name
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("expressions")
    executor.migrate([("expressions", "0001_initial")])
    try:
        old_apps = executor.loader.project_state([("expressions", "0001_initial")]).apps
        public.parent.mkdir(parents=True, exist_ok=True)
        public.write_bytes(png_bytes((8, 8)))
        old_apps.get_model("expressions", "LabelledFace").objects.create(image=name, member_probs=[], label="sad")
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert not public.exists() and private.read_bytes() == png_bytes((8, 8))
    assert LabelledFace.objects.get().image.path == str(private)
