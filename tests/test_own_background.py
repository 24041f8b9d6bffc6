"""Your own image: boxes placed by their numbers (API, or the page's inputs the drag writes), private by default,
and the text drawn inside the boxes given."""

import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from generator import services
from generator.models import Job

from .conftest import png_bytes

pytestmark = pytest.mark.django_db

GREY = (90, 90, 90)


def upload(name="mine.png", size=(400, 300)):
    return SimpleUploadedFile(name, png_bytes(size, GREY), content_type="image/png")


def post_own(client, lines, boxes=None, **extra):
    body = {"image": upload(), "lines": lines, **extra}
    if boxes is not None:
        body["boxes"] = json.dumps(boxes)  # a multipart form carries them as JSON text
    return client.post("/api/memes/", body, format="multipart")


@pytest.mark.parametrize(
    "boxes,message",
    [
        ([{"x": 0.5, "y": 0.1, "width": 0.6, "height": 0.2}], "Box 1: it reaches outside the image"),
        ([{"x": -0.1, "y": 0.1, "width": 0.5, "height": 0.2}], "Box 1: x must be a number between 0 and 1."),
        ([{"x": 0.1, "y": "top", "width": 0.5}], "Box 1: y, height must be a number between 0 and 1."),
        ([{"x": 0.1, "y": 0.1, "width": 0.01, "height": 0.2}], "Box 1: it is too small"),
        ([], None),  # an empty list is no boxes: the top and bottom bands
        ([{"x": 0, "y": 0, "width": 1, "height": 0.2}] * 2, "Give one box per line: 1 line, 2 boxes."),
        ({"x": 0}, "Send the boxes as a list"),
    ],
)
def test_the_api_checks_every_box(alice, client_for, boxes, message):
    response = post_own(client_for(alice), ["hello"], boxes)
    if message is None:
        assert response.status_code == 202
        return
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["boxes"]), response.json()
    assert not Job.objects.exists()


def test_boxes_that_are_not_json_text_are_a_clear_error(alice, client_for):
    body = {"image": upload(), "lines": ["hello"], "boxes": "{not json"}
    response = client_for(alice).post("/api/memes/", body, format="multipart")
    assert response.status_code == 400 and "boxes" in response.json()["errors"]


def test_boxes_go_with_an_image_not_a_template(alice, client_for, template):
    body = {"template": "grey", "lines": ["a"], "boxes": [{"x": 0, "y": 0, "width": 1, "height": 0.5}]}
    response = client_for(alice).post("/api/memes/", body, format="json")
    assert response.status_code == 400 and "a template has its own" in str(response.json())


def test_own_image_is_private_unless_asked_and_templates_stay_public(alice, client_for, template):
    client = client_for(alice)
    mine = post_own(client, ["mine"], [{"x": 0.1, "y": 0.1, "width": 0.8, "height": 0.3}])
    shown = post_own(client, ["shown"], is_public="true")
    on_template = client.post("/api/memes/", {"template": "grey", "lines": ["a", "b"]}, format="json")
    assert [r.status_code for r in (mine, shown, on_template)] == [202, 202, 202]
    jobs = {job.lines[0]: job for job in Job.objects.all()}
    assert jobs["mine"].is_public is False and jobs["shown"].is_public is True and jobs["a"].is_public is True
    assert jobs["mine"].boxes == [{"x": 0.1, "y": 0.1, "width": 0.8, "height": 0.3}]


def changed_pixels(meme) -> np.ndarray:
    """(row, column) of every pixel the text changed on the plain grey image."""
    with meme.image.open("rb") as file:
        pixels = np.asarray(Image.open(file).convert("RGB"), dtype=int)
    return np.argwhere(np.abs(pixels - np.array(GREY)).max(axis=2) > 60)


def test_the_text_is_drawn_inside_the_boxes_given(alice):
    boxes = [{"x": 0.55, "y": 0.5, "width": 0.4, "height": 0.3}, {"x": 0.05, "y": 0.05, "width": 0.3, "height": 0.2}]
    job = services.job_create(owner=alice, lines=["HELLO THERE", "HI"], background=upload(), boxes=boxes)
    job = services.job_run(job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    meme = job.meme
    assert meme.boxes == boxes and meme.is_public is False

    changed = changed_pixels(meme)
    height, width = 600, 800  # 400 x 300 drawn at the site's width
    inside = np.zeros(len(changed), dtype=bool)
    for box in boxes:
        top, left = box["y"] * height - 2, box["x"] * width - 2  # JPEG's ringing reaches a pixel or two out
        bottom, right = (box["y"] + box["height"]) * height + 2, (box["x"] + box["width"]) * width + 2
        in_box = (changed[:, 0] >= top) & (changed[:, 0] <= bottom) & (changed[:, 1] >= left) & (changed[:, 1] <= right)
        assert in_box.sum() > 500, f"little text in {box}"
        inside |= in_box
    assert inside.all(), f"{(~inside).sum()} changed pixels outside the boxes"


def test_without_boxes_the_text_goes_in_the_top_and_bottom_bands(alice):
    job = services.job_run(services.job_create(owner=alice, lines=["TOP", "BOTTOM"], background=upload()).pk)
    rows = changed_pixels(job.meme)[:, 0]
    assert job.meme.boxes == [] and rows.min() < 0.2 * 600 and rows.max() > 0.8 * 600
    assert not ((rows > 0.25 * 600) & (rows < 0.75 * 600)).any()


def page_form(**rows):
    """The own-image page's four rows of fields: empty, a box across the top, unless given (row0=..., row1=...)."""
    data = {"image": upload()}
    for position in range(4):
        values = {"line": "", "x": 0, "y": 0, "width": 1, "height": 0.2} | rows.get(f"row{position}", {})
        data.update({f"{name}_{position}": value for name, value in values.items()})
    return data


def test_the_page_places_boxes_by_their_numbers(alice):
    client = Client()
    client.force_login(alice)
    page = client.get("/make/own/").content.decode()
    assert 'data-side="width"' in page and "place-boxes.js" in page  # the inputs the drag writes
    data = page_form(row2={"line": "moved", "x": 0.3, "y": 0.6, "width": 0.5, "height": 0.25},
                     row3={"x": "", "width": ""})  # an unused row's numbers may be left empty  # fmt: skip
    response = client.post("/make/own/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.lines == ["moved"] and job.boxes == [{"x": 0.3, "y": 0.6, "width": 0.5, "height": 0.25}]
    assert job.is_public is False and job.template is None


def test_the_page_says_what_is_wrong_with_a_box(alice):
    client = Client()
    client.force_login(alice)
    data = page_form(row0={"line": "wide", "x": 0.9, "y": 0, "width": 0.5, "height": 0.2})
    response = client.post("/make/own/", data)
    assert response.status_code == 200 and "Box 1: it reaches outside the image" in response.content.decode()
    data = page_form(row2={"line": "no place", "x": ""})  # numbered as the page numbers its rows
    response = client.post("/make/own/", data)
    assert response.status_code == 200 and "Box 3: x must be a number between 0 and 1." in response.content.decode()
    assert not Job.objects.exists()


def test_the_page_says_when_the_upload_is_no_image(alice):
    client = Client()
    client.force_login(alice)
    data = page_form(row0={"line": "hello", "x": 0, "y": 0, "width": 1, "height": 0.2})
    data["image"] = SimpleUploadedFile("notes.png", b"not a picture at all", content_type="image/png")
    response = client.post("/make/own/", data)
    assert response.status_code == 200 and not Job.objects.exists()
    assert 'class="errorlist"' in response.content.decode()
