"""A template from a captioned meme, through the API and admin (issue 23): a rendered meme becomes a template whose
boxes and caption match what was rendered; a bad upload, or no OCR engine, gets a clear 400."""

import io
import os
import re
from importlib import resources

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from generator import template_parse
from generator.rendering import render_meme
from memes.layout import TOP_AND_BOTTOM
from memes.models import Template
from ml.memeparse import ocr_available

from .conftest import PASSWORD, png_bytes

needs_ocr = pytest.mark.skipif(
    not ocr_available() and not os.environ.get("SLOWMEME_REQUIRE_OCR"),
    reason="Tesseract is not installed (apt-get install tesseract-ocr); SLOWMEME_REQUIRE_OCR makes this fail",
)
LINES = ["YOU CALL THIS", "A MEME?"]


def meme_jpeg(lines=LINES, name="chelsea.png", width=600) -> bytes:
    picture = Image.open(io.BytesIO(resources.files("skimage.data").joinpath(name).read_bytes()))
    return render_meme(picture, TOP_AND_BOTTOM, lines, width=width, quality=85)


def upload(data: bytes, name="meme.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def iou(box, truth) -> float:
    w = max(0.0, min(box.x + box.width, truth.x + truth.width) - max(box.x, truth.x))
    h = max(0.0, min(box.y + box.height, truth.y + truth.height) - max(box.y, truth.y))
    inter = w * h
    return inter / (box.width * box.height + truth.width * truth.height - inter)


@needs_ocr
@pytest.mark.django_db
def test_the_api_saves_a_rendered_meme_as_a_template_with_its_boxes_and_caption(sam, client_for):
    answer = client_for(sam).post(
        "/api/templates/from-meme/", {"image": upload(meme_jpeg()), "name": "Cat Judging", "save": "true"},
        format="multipart",
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    assert answer.json()["caption"] == LINES
    template = Template.objects.get(slug=answer.json()["template"])
    assert template.name == "Cat Judging" and template.example_lines() == LINES
    boxes = list(template.boxes.all())
    assert len(boxes) == 2 and all(iou(box, truth) >= 0.7 for box, truth in zip(boxes, TOP_AND_BOTTOM))
    assert all(box.style == "upper" and box.color == "white" for box in boxes)
    with template.image.open("rb") as file:
        assert Image.open(file).size == (600, 399)


@needs_ocr
@pytest.mark.django_db
def test_a_preview_saves_nothing(sam, client_for):
    answer = client_for(sam).post("/api/templates/from-meme/", {"image": upload(meme_jpeg())}, format="multipart")
    assert answer.status_code == 200 and answer.json()["template"] is None
    assert [box["example"] for box in answer.json()["boxes"]] == LINES
    assert not Template.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [(b"this is no picture", "image"), (b"GIF89a" + b"\x00" * 40, "image"), (png_bytes((4000, 20)), "")],
)
def test_a_bad_upload_gets_a_400_that_says_why(sam, client_for, data, message):
    answer = client_for(sam).post("/api/templates/from-meme/", {"image": upload(data)}, format="multipart")
    assert answer.status_code == 400
    assert answer.json() and str(answer.json()).strip()
    assert not Template.objects.exists()


@pytest.mark.django_db
def test_without_tesseract_the_api_says_what_to_install(sam, client_for, monkeypatch):
    monkeypatch.setattr(template_parse, "ocr_available", lambda: False)
    answer = client_for(sam).post("/api/templates/from-meme/", {"image": upload(meme_jpeg())}, format="multipart")
    assert answer.status_code == 400 and "tesseract-ocr" in str(answer.json())


@pytest.mark.django_db
def test_only_staff_may_read_a_meme_into_a_template(bob, client_for):
    assert client_for(bob).post("/api/templates/from-meme/", {"image": upload(meme_jpeg())}).status_code == 403
    assert client_for().post("/api/templates/from-meme/", {"image": upload(meme_jpeg())}).status_code in (401, 403)


@needs_ocr
@pytest.mark.django_db
def test_admin_shows_the_proposal_and_saves_it_as_corrected(sam, client):
    sam.is_superuser = True
    sam.save()
    client.login(username="sam", password=PASSWORD)
    page = client.post("/admin/memes/template/from-meme/", {"image": upload(meme_jpeg())})
    assert page.status_code == 200
    html = page.content.decode()
    assert "data:image/png;base64," in html and "YOU CALL THIS" in html
    boxes = re.search(r'<textarea name="boxes"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    import html as html_module
    import json

    proposed = json.loads(html_module.unescape(boxes))
    proposed[1]["example"] = "A MEME"  # staff correct what was read
    answer = client.post("/admin/memes/template/from-meme/", {"name": "Judging Cat", "boxes": json.dumps(proposed)})
    assert answer.status_code == 302
    template = Template.objects.get(name="Judging Cat")
    assert template.example_lines() == ["YOU CALL THIS", "A MEME"]


@pytest.mark.django_db
def test_staff_without_the_right_to_add_templates_get_no_page(sam, client):
    client.login(username="sam", password=PASSWORD)
    assert client.get("/admin/memes/template/from-meme/").status_code == 403


@pytest.mark.django_db
def test_admin_refuses_a_bad_upload_with_its_reason(sam, client):
    sam.is_superuser = True
    sam.save()
    client.login(username="sam", password=PASSWORD)
    page = client.post("/admin/memes/template/from-meme/", {"image": upload(b"no picture")})
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert not Template.objects.exists()


@pytest.mark.django_db
def test_the_template_list_links_to_the_page(sam, client):
    sam.is_superuser = True
    sam.save()
    client.login(username="sam", password=PASSWORD)
    assert "/admin/memes/template/from-meme/" in client.get("/admin/memes/template/").content.decode()
