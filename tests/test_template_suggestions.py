"""New templates from the site itself (issue 23): a picture that several users captioned on their own image is offered
to staff as a template, with their captions as its first training captions; an own picture that is a known
template's is offered as that template instead."""

import io
import json
import re

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from captions.models import Caption
from generator import services
from generator.models import Job
from generator.template_suggestions import DATASET, suggestions
from memes.models import Template

from .conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SUGGESTIONS = "/admin/memes/template/suggestions/"


def picture(seed: int, size=(600, 450)) -> Image.Image:
    """A photo-like picture: random colours, smoothly blended (every seed a different picture)."""
    coarse = np.random.default_rng(seed).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return Image.fromarray(coarse).resize(size, Image.BICUBIC)


def encoded(image: Image.Image, format="PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


# The same picture as three users might have it: the original, resized, and JPEG re-encoded.
def original(seed=1):
    return encoded(picture(seed))


def resized(seed=1):
    return encoded(picture(seed).resize((420, 315), Image.LANCZOS))


def recompressed(seed=1):
    return encoded(picture(seed), "JPEG", quality=45)


def caption(user, data: bytes, lines, client_for, boxes=None, public=True) -> Job:
    """user uploads data as their own image (the API) with lines; the worker makes the meme."""
    body = {"image": SimpleUploadedFile("mine.png", data), "lines": lines, "is_public": "true" if public else "false"}
    if boxes is not None:
        body["boxes"] = json.dumps(boxes)
    answer = client_for(user).post("/api/memes/", body, format="multipart")
    assert answer.status_code == 202, answer.content
    job = services.job_run(answer.json()["id"])
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job


@pytest.fixture
def users(db):
    return [make_user(name) for name in ("ann", "ben", "cat", "dan")]


@pytest.fixture
def staff(db):
    return make_user("root", is_staff=True, is_superuser=True)


def logged_in(user) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def test_three_users_captioning_one_picture_make_one_suggestion(users, client_for):
    jobs = [caption(users[0], original(), ["WHEN THE TESTS", "PASS"], client_for),
            caption(users[1], resized(), ["ME AT 3AM"], client_for),
            caption(users[2], recompressed(), ["NOBODY:", "ME:"], client_for),
            caption(users[0], original(), ["AGAIN", "SAME USER"], client_for),  # one user, however many memes
            caption(users[3], original(seed=2), ["ANOTHER PICTURE"], client_for)]  # fmt: skip
    assert all(re.fullmatch("[0-9a-f]{16}", job.picture_hash) for job in jobs)
    found = suggestions()
    assert len(found) == 1
    assert found[0].users == 3 and len(found[0].memes) == 4 and found[0].key == jobs[0].id
    assert sorted(map(tuple, found[0].captions)) == sorted(tuple(job.lines) for job in jobs[:4])


def test_two_users_are_not_enough(users, client_for):
    caption(users[0], original(), ["ONE"], client_for)
    caption(users[1], recompressed(), ["TWO"], client_for)
    caption(users[1], resized(), ["TWO AGAIN"], client_for)
    assert suggestions() == []
    assert len(suggestions(min_users=2)) == 1


def test_a_picture_kept_private_is_neither_counted_nor_shown(users, client_for):
    caption(users[0], original(), ["ONE"], client_for)
    caption(users[1], recompressed(), ["TWO"], client_for)
    caption(users[2], resized(), ["MY OWN BUSINESS"], client_for, public=False)
    assert suggestions() == []
    caption(users[3], resized(), ["FOUR"], client_for)
    [found] = suggestions()
    assert found.users == 3 and ["MY OWN BUSINESS"] not in found.captions


def test_a_known_templates_picture_is_no_suggestion_and_is_offered_as_that_template(users, client_for):
    template = Template(slug="smooth", name="Smooth Colours")
    template.image.save("smooth.png", ContentFile(original()), save=False)
    template.save()
    jobs = [caption(user, data(), ["SAME OLD"], client_for)
            for user, data in zip(users, (original, resized, recompressed))]  # fmt: skip
    assert suggestions() == []
    client = Client()
    client.force_login(users[1])
    page = client.get(jobs[1].get_absolute_url()).content.decode()
    assert "This looks like <strong>Smooth Colours</strong>" in page and 'href="/make/smooth/"' in page
    other = caption(users[3], original(seed=2), ["NEW"], client_for)
    assert "This looks like" not in client.get(other.get_absolute_url()).content.decode()


def test_a_remix_by_another_user_counts_as_their_caption(users, client_for):
    first = caption(users[0], original(), ["FIRST"], client_for)
    caption(users[1], resized(), ["SECOND"], client_for)
    answer = client_for(users[2]).post(f"/api/memes/{first.meme.pk}/remix/", {"lines": ["THIRD"]}, format="json")
    assert answer.status_code == 202, answer.content
    services.job_run(answer.json()["id"])
    assert [suggestion.users for suggestion in suggestions()] == [3]


def test_staff_make_a_template_whose_captions_are_the_memes_captions(users, staff, client_for):
    boxes = [{"x": 0.1, "y": 0.05, "width": 0.8, "height": 0.2}, {"x": 0.1, "y": 0.7, "width": 0.8, "height": 0.25}]
    jobs = [caption(users[0], original(), ["WHEN THE TESTS", "PASS"], client_for, boxes),
            caption(users[1], resized(), ["ME AT 3AM", "STILL HERE"], client_for, boxes),
            caption(users[2], recompressed(), ["NOBODY", "ME"], client_for)]  # fmt: skip
    client = logged_in(staff)
    page = client.get(SUGGESTIONS)
    html = page.content.decode()
    assert page.status_code == 200 and "3 users, 3 memes" in html and "ME AT 3AM / STILL HERE" in html
    thumbnail = client.get(f"{SUGGESTIONS}{jobs[0].id}.jpg")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) == 240
    assert "no-store" in thumbnail["Cache-Control"]
    assert SUGGESTIONS in logged_in(staff).get("/admin/memes/template/").content.decode()

    answer = client.post(SUGGESTIONS, {"key": str(jobs[0].id), "name": "Smooth Colours"})
    template = Template.objects.get(name="Smooth Colours")
    assert answer.status_code == 302 and answer["Location"] == f"/admin/memes/template/{template.pk}/change/"
    captions = Caption.objects.filter(template=template, dataset=DATASET)
    assert sorted(map(tuple, captions.values_list("boxes", flat=True))) == sorted(tuple(job.lines) for job in jobs)
    assert [(box.x, box.y, box.width, box.height) for box in template.boxes.all()] == [
        (box["x"], box["y"], box["width"], box["height"]) for box in boxes]  # the boxes most memes used
    with template.image.open("rb") as file:
        assert Image.open(file).size == (600, 450)
    assert suggestions() == []  # its picture is a template's now
    assert "No suggestions" in client.get(SUGGESTIONS).content.decode()


@pytest.mark.parametrize(
    "data, message",
    [({"key": "not-a-uuid", "name": "X"}, "key"), ({"name": "X"}, "key"), ({"key": "KEY"}, "name"),
     ({"key": "KEY", "name": "   "}, "name"), ({"key": "00000000-0000-0000-0000-000000000000", "name": "X"},
     "No such suggestion")],  # fmt: skip
)
def test_a_bad_request_to_make_a_template_is_a_400_that_says_why(users, staff, client_for, data, message):
    jobs = [caption(user, make(), ["A"], client_for) for user, make in zip(users, (original, resized, recompressed))]
    data = {name: value.replace("KEY", str(jobs[0].id)) for name, value in data.items()}
    answer = logged_in(staff).post(SUGGESTIONS, data)
    assert answer.status_code == 400 and message in answer.content.decode()
    assert not Template.objects.exists() and not Caption.objects.exists()


def test_others_cannot_see_the_suggestions_or_their_pictures(users, client_for):
    jobs = [caption(user, make(), ["A"], client_for) for user, make in zip(users, (original, resized, recompressed))]
    thumbnail = f"{SUGGESTIONS}{jobs[0].id}.jpg"
    for address in (SUGGESTIONS, thumbnail):
        assert Client().get(address).status_code == 302  # to the admin's login
        answer = logged_in(users[0]).get(address)
        assert answer.status_code == 302 and "/admin/login/" in answer["Location"]
    plain_staff = make_user("helper", is_staff=True)  # staff who may not add templates
    assert logged_in(plain_staff).get(SUGGESTIONS).status_code == 403
    assert logged_in(plain_staff).get(thumbnail).status_code == 403
    assert logged_in(plain_staff).post(SUGGESTIONS, {"key": str(jobs[0].id), "name": "X"}).status_code == 403
    assert not Template.objects.exists()


def test_an_unknown_thumbnail_is_a_404(staff):
    assert logged_in(staff).get(f"{SUGGESTIONS}00000000-0000-0000-0000-000000000000.jpg").status_code == 404
