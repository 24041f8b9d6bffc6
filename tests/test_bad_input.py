"""Bad input gets a clear 400 with a message, never a 500, and never creates a job."""

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from generator import services
from generator.models import Job

from .conftest import png_bytes


def png_claiming(width, height) -> bytes:
    """A tiny PNG whose header claims a huge size."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def jpeg_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def upload(data, name="upload.png"):
    return SimpleUploadedFile(name, data)


BAD_UPLOADS = {
    "not an image": b"%PDF-1.4 this is a document, not a picture",
    "truncated": png_bytes((400, 300), (10, 200, 30))[:200],
    "claims 30000x30000": png_claiming(30000, 30000),
    "empty": b"",
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_bad_uploads_get_a_400_with_a_message(case, alice, client_for):
    response = client_for(alice).post(
        "/api/memes/", {"image": upload(BAD_UPLOADS[case]), "lines": ["top", "bottom"]}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["image"][0]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_decompression_bomb_is_refused(alice, client_for, settings):
    settings.MEME_MAX_PIXELS = 1_000_000
    bomb = png_bytes((4000, 4000), (0, 0, 0))  # 16 MP of one colour compresses to a few kB
    assert len(bomb) < 100_000
    response = client_for(alice).post("/api/memes/", {"image": upload(bomb), "lines": ["x"]}, format="multipart")
    assert response.status_code == 400
    assert "pixels" in response.json()["errors"]["image"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lines,message",
    [
        (["x" * 10_000], "at most 200"),
        (["", "   "], "at least one line"),
        ([], "at least one line"),
        ("not a list", "list"),
        ([str(n) for n in range(11)], "at most 10 lines"),
    ],
)
def test_bad_lines_get_a_400_with_a_message(lines, message, alice, template, client_for):
    response = client_for(alice).post("/api/memes/", {"template": "grey", "lines": lines}, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,message",
    [
        ({"lines": ["x"]}, "Choose a template or upload an image"),
        ({"template": "no-such-template", "lines": ["x"]}, "does not exist"),
        ({"template": "grey", "lines": ["x"], "is_public": "perhaps"}, "valid boolean"),
    ],
)
def test_bad_requests_name_the_problem(body, message, alice, template, client_for):
    response = client_for(alice).post("/api/memes/", body, format="json")
    assert response.status_code == 400
    assert message in str(response.json())


@pytest.mark.django_db
def test_emoji_accents_and_cjk_are_welcome(alice, template, client_for):
    lines = ["🔥 ça brûle 🔥", "日本語のミーム"]
    response = client_for(alice).post("/api/memes/", {"template": "grey", "lines": lines}, format="json")
    assert response.status_code == 202
    job = services.job_run(response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED and job.meme.lines == lines


@pytest.mark.django_db
def test_cmyk_jpeg_is_accepted_and_rendered(alice, client_for):
    cmyk = jpeg_bytes(Image.new("CMYK", (300, 200), (0, 255, 255, 0)))
    response = client_for(alice).post(
        "/api/memes/", {"image": upload(cmyk, "cmyk.jpg"), "lines": ["cmyk"]}, format="multipart"
    )
    assert response.status_code == 202
    job = services.job_run(response.json()["id"])
    with job.meme.image.open("rb") as file:
        assert Image.open(file).mode == "RGB"


@pytest.mark.django_db
def test_exif_rotated_photo_is_rendered_upright(alice, client_for):
    # Stored sideways: red on the left, blue on the right. EXIF orientation 6 means "rotate 90° clockwise
    # to view", which puts red on top and blue at the bottom.
    sideways = Image.new("RGB", (400, 300), (0, 0, 255))
    sideways.paste((255, 0, 0), (0, 0, 200, 300))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", exif=exif, quality=95)

    response = client_for(alice).post(
        "/api/memes/", {"image": upload(buffer.getvalue(), "photo.jpg"), "lines": ["", "upright"]}, format="multipart"
    )
    job = services.job_run(response.json()["id"])
    with job.meme.image.open("rb") as file:
        meme = Image.open(file).convert("RGB")
    assert meme.height > meme.width  # portrait, as the camera meant it
    red, _, blue = meme.getpixel((meme.width // 2, int(meme.height * 0.4)))
    assert red > 200 and blue < 60


@pytest.mark.django_db
def test_staff_template_upload_that_is_not_an_image_gets_a_400(sam, client_for):
    response = client_for(sam).post(
        "/api/templates/",
        {"slug": "bad", "name": "Bad", "image": ContentFile(b"GIF89a but not really", name="bad.gif"),
         "boxes": '[{"y": 0.8}]'},  # fmt: skip
        format="multipart",
    )
    assert response.status_code == 400 and "image" in response.json()["errors"]


@pytest.mark.django_db
def test_template_box_outside_the_image_gets_a_400(sam, client_for):
    response = client_for(sam).post(
        "/api/templates/",
        {"slug": "wide", "name": "Wide", "image": ContentFile(png_bytes(), name="wide.png"),
         "boxes": '[{"x": 0.5, "width": 0.9}]'},  # fmt: skip
        format="multipart",
    )
    assert response.status_code == 400 and "outside the image" in str(response.json())
