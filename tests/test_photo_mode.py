"""Photo mode: an uploaded photo's faces are read in a real worker, and the expression on the chosen face picks a
template and the caption — or the caption goes on the photo itself, off the faces. No face is a meme too."""

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from skimage import data

from expressions import services as expression_services
from generator.models import Job
from generator.placement import FACE_SHARE
from generator.rendering import render_meme
from memes.models import Meme
from ml.expressions import MEMBER_NAMES

from .conftest import png_bytes
from .ml.test_expressions_faces import composite_of_heads
from .test_making_memes import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def photo_file(pixels: np.ndarray, name="me.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_from_photo(client, pixels: np.ndarray, **fields) -> Job:
    body = {"source": "photo", "photo": photo_file(pixels), **fields}
    response = client.post("/api/memes/", body, format="multipart")
    assert response.status_code == 202, response.content
    return wait_for_job(response.json()["id"], timeout=120)  # the first one loads the ensemble


def test_the_astronaut_reads_happy_and_gets_a_happy_template(
    celery_worker, caption_model, alice, template, happy_template, client_for
):
    job = make_from_photo(client_for(alice), data.astronaut())

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert len(job.faces) == 1 and job.face == 0
    assert job.expression == "happy" and job.confidence > 0.9 and not job.notice
    meme = job.meme
    assert meme.source == Meme.Source.PHOTO and meme.template == happy_template
    assert meme.model_version == "tiny-test-model" and len(meme.lines) == 2 and all(meme.lines)
    body = client_for(alice).get(f"/api/jobs/{job.id}/").json()
    assert body["expression"] == "happy" and body["faces"][0]["label"] == "happy"
    assert set(body["faces"][0]) == {"x", "y", "width", "height", "label", "confidence", "probabilities"}
    # The job keeps what each member read, by name, and each member's own reading for the page.
    members = job.faces[0]["members"]
    # (PostgreSQL's jsonb keeps an object's keys in its own order.)
    assert set(members) == set(MEMBER_NAMES) and all(len(row) == 7 for row in members.values())
    assert [(r["member"], r["label"]) for r in job.faces[0]["member_readings"]] == [(m, "happy") for m in MEMBER_NAMES]


def test_every_face_is_listed_and_the_chosen_one_is_used(
    celery_worker, caption_model, alice, happy_template, client_for
):
    client = client_for(alice)
    job = make_from_photo(client, composite_of_heads(), face=2)

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert len(job.faces) == 3 and job.face == 2
    areas = [face["width"] * face["height"] for face in job.faces]
    assert areas == sorted(areas, reverse=True)
    assert [face["label"] for face in job.faces] == ["happy"] * 3

    assert client.post(f"/api/jobs/{job.id}/face/", {"face": 1}, format="json").status_code == 202
    again = wait_for_job(job.id)
    assert again.status == Job.Status.SUCCEEDED and again.face == 1 and again.meme_id == job.meme_id


def test_a_face_number_past_the_faces_found_reads_the_largest(
    celery_worker, caption_model, alice, happy_template, client_for
):
    job = make_from_photo(client_for(alice), data.astronaut(), face=4)
    assert job.status == Job.Status.SUCCEEDED and job.face == 0 and "no face number 4" in job.notice


@pytest.mark.parametrize("pixels", [data.coffee(), np.full((300, 400, 3), 128, np.uint8)], ids=["coffee", "grey"])
def test_a_photo_without_a_face_makes_a_meme_about_that(
    celery_worker, caption_model, alice, happy_template, client_for, pixels
):
    job = make_from_photo(client_for(alice), pixels)

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.faces == [] and job.expression == "no face" and job.confidence is None
    assert job.notice.startswith(
        "No face was found in your photo, so the caption goes on the photo itself, about a photo with no face in it"
    )
    assert job.meme.template is None and job.meme.background and all(job.meme.lines)


def test_no_template_for_the_expression_puts_the_caption_on_the_photo(
    celery_worker, caption_model, alice, template, client_for
):
    job = make_from_photo(client_for(alice), data.astronaut())

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.expression == "happy" and job.meme.template is None
    assert "No template is labelled happy" in job.notice


def test_on_the_photo_the_caption_leaves_the_face_clear(
    celery_worker, caption_model, alice, happy_template, client_for
):
    job = make_from_photo(client_for(alice), data.astronaut(), on_photo="true", title="mondays")

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.meme.template is None and job.on_photo and job.meme.title == "mondays"
    with job.meme.image.open("rb") as file:
        meme = np.asarray(Image.open(file).convert("RGB"), dtype=float)
    without_text = render_meme(Image.fromarray(data.astronaut()), [], [], width=meme.shape[1], format="jpeg")
    plain = np.asarray(Image.open(io.BytesIO(without_text)).convert("RGB"), dtype=float)
    scale = meme.shape[1] / data.astronaut().shape[1]
    x, y, width, height = (job.faces[0][key] * scale for key in ("x", "y", "width", "height"))
    # The face, less the share of it that a band may cover (the chin or the hairline).
    rows = slice(round(y + FACE_SHARE * height), round(y + (1 - FACE_SHARE) * height))
    columns = slice(round(x), round(x + width))
    assert np.abs(meme[rows, columns] - plain[rows, columns]).max() < 40  # JPEG noise only: no letters on the face
    assert np.abs(meme - plain).max() > 200  # but letters elsewhere


def test_the_worker_loads_the_ensemble_once_for_many_photos(
    celery_worker, caption_model, alice, happy_template, client_for
):
    expression_services._LoadedEnsemble.ensemble = None
    loads_before = expression_services._LoadedEnsemble.loads
    for _ in range(3):
        assert make_from_photo(client_for(alice), data.astronaut()).status == Job.Status.SUCCEEDED
    assert expression_services._LoadedEnsemble.loads == loads_before + 1


BAD_PHOTOS = {
    "not an image": (b"%PDF-1.4 this is a document, not a photo", "not an image"),
    "empty": (b"", "empty"),
    "truncated": (png_bytes((400, 300))[:100], "truncated"),
}


@pytest.mark.parametrize("case", BAD_PHOTOS)
def test_a_photo_that_is_no_image_gets_a_400_with_a_message(alice, client_for, case):
    content, message = BAD_PHOTOS[case]
    photo = SimpleUploadedFile("photo.png", content)
    response = client_for(alice).post("/api/memes/", {"source": "photo", "photo": photo}, format="multipart")

    assert response.status_code == 400, response.content
    assert message in response.json()["errors"]["photo"][0]
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "fields,message",
    [({}, "No file was submitted"), ({"title": "x" * 201}, "at most 200 characters"), ({"face": -1}, "greater than")],
)
def test_other_bad_photo_requests_name_the_problem(alice, client_for, fields, message):
    body = {"source": "photo", "photo": photo_file(data.astronaut()), **fields} if fields else {"source": "photo"}
    response = client_for(alice).post("/api/memes/", body, format="multipart")
    assert response.status_code == 400 and message in response.content.decode()
    assert not Job.objects.exists()


def test_a_decompression_bomb_is_refused(alice, client_for, settings):
    settings.MEME_MAX_PIXELS = 1_000_000
    bomb = SimpleUploadedFile("bomb.png", png_bytes((4000, 4000), (0, 0, 0)))
    response = client_for(alice).post("/api/memes/", {"source": "photo", "photo": bomb}, format="multipart")
    assert response.status_code == 400 and "pixels" in response.json()["errors"]["photo"][0]


def test_the_web_form_makes_a_meme_and_shows_the_reading(celery_worker, caption_model, alice, happy_template):
    client = Client()
    client.force_login(alice)
    assert b"make one from a photo" in client.get("/make/").content
    response = client.post("/make/photo/", {"photo": photo_file(data.astronaut()), "is_public": "on"})
    assert response.status_code == 302
    job = wait_for_job(response["Location"].rstrip("/").rsplit("/", 1)[1], timeout=120)

    page = client.get(response["Location"]).content.decode()
    assert job.status == Job.Status.SUCCEEDED and job.meme.get_image_url() in page
    assert "Expression: <strong>happy</strong>" in page and "Face 1 (the largest): happy" in page
    assert f'action="/make/jobs/{job.id}/expression/"' in page
    # Each network's own reading beside the fused one, folded away until asked for.
    members = page[page.index('<details class="members">') :].split("</details>")[0]
    assert "<summary>What each network read</summary>" in members and "<details class=\"members\" open" not in page
    for title in ("mini-Xception (fer, FER-2013)", "FaceExpressionNet (face-api.js)", "MobileNetV2 (facex)"):
        assert f'<th scope="row">{title}</th><td>happy</td>' in members
    assert '<tr class="fused"><th scope="row">All of them, weighed per expression</th><td>happy</td>' in members


def test_the_web_form_says_what_is_wrong_with_a_non_image(alice):
    client = Client()
    client.force_login(alice)
    response = client.post("/make/photo/", {"photo": SimpleUploadedFile("notes.txt", b"just some text")})
    page = response.content.decode()
    assert response.status_code == 200 and "not an image Slowmeme can read; upload a JPEG, PNG, GIF or WebP" in page
    assert "Pillow" not in page  # a library's name means nothing to the person uploading
    assert not Job.objects.exists()
