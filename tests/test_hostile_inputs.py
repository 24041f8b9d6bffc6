"""Hostile input (issue 16): whatever a client sends, the site answers 4xx with a reason, never a 500, and every job
it accepts ends, succeeded or failed with a reason."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from generator import services
from generator.models import Job
from generator.tasks import render_job
from memes.models import Template, TextBox

from .conftest import PASSWORD, make_meme, png_bytes
from .test_bad_input import jpeg_bytes, png_claiming, upload

pytestmark = pytest.mark.django_db


def cursor(position: str, offset: int = 0) -> str:
    """A cursor as DRF's CursorPagination writes it, with a position of our choosing."""
    return base64.b64encode(f"o={offset}&p={position}".encode()).decode()


GALLERY_PAGES = ["/", "/new/", "/best/", "/top/", "/top/?t=all", "/t/grey/", "/u/alice/", "/u/alice/?sort=top"]
FORGED_POSITIONS = ["x", "2026-13-40", "1e9999", "nan", "inf", "-inf", "2026-01-01 00:00:00+99:00",
                    "9999-12-31 23:59:59-14:00", "0001-01-01 00:00:00+14:00", ""]


@pytest.fixture
def gallery(alice, template):
    for number in range(3):
        make_meme(alice, template, lines=[f"meme {number}"], is_public=True)


@pytest.mark.parametrize("page", GALLERY_PAGES)
@pytest.mark.parametrize("bad", ["garbage", "%ff", cursor("x"), cursor("1e9999"), cursor("nan"), cursor("2026-13-40")])
def test_a_bad_cursor_on_a_gallery_page_is_a_404(gallery, page, bad):
    joiner = "&" if "?" in page else "?"
    response = Client().get(f"{page}{joiner}cursor={bad}")
    assert response.status_code == 404


@pytest.mark.parametrize("sort", ["hot", "best", "top", "new"])
@pytest.mark.parametrize("position", FORGED_POSITIONS)
def test_a_forged_cursor_position_in_the_api_is_a_404(gallery, client_for, sort, position):
    response = client_for().get("/api/memes/", {"sort": sort, "period": "all", "cursor": cursor(position)})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("sort", ["hot", "best", "top", "new"])
def test_a_cursor_past_every_meme_is_an_empty_page(gallery, client_for, sort):
    response = client_for().get("/api/memes/", {"sort": sort, "period": "all", "cursor": cursor("9" * 40)})
    assert response.status_code in (200, 404)


@pytest.mark.parametrize("sort", ["hot", "best", "top", "new"])
def test_a_real_cursor_still_pages(alice, template, client_for, sort):
    for number in range(5):
        make_meme(alice, template, lines=[f"meme {number}"], is_public=True, created_at=timezone.now())
    first = client_for().get("/api/memes/", {"sort": sort, "period": "all", "page_size": 2}).json()
    second = client_for().get(first["next"])
    assert second.status_code == 200 and len(second.json()["results"]) == 2
    next_cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    web = Client().get(f"/{sort}/" if sort != "hot" else "/", {"t": "all", "cursor": next_cursor})
    assert web.status_code == 200


@pytest.mark.parametrize("width", ["²", "¹²⁸", "٣٢٠", "１２８", "-5", "1e3", "99999999999999999999999", " 128"])
def test_a_width_that_is_not_ascii_digits_is_a_400(template, width):
    response = Client().get("/t/grey/hello/world.jpg", {"width": width})
    assert response.status_code == 400


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "body",
    [
        nested(100_000),
        '{"template": "grey", "lines": ' + nested(100_000) + "}",
        '{"template": "grey", "lines": ["x"], "is_public": ' + nested(100_000) + "}",
    ],
)
def test_deeply_nested_json_is_a_parse_error(alice, template, client_for, body):
    response = client_for(alice).post("/api/memes/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert not Job.objects.exists()


@pytest.mark.parametrize("field", ["boxes", "lines"])
def test_deeply_nested_json_in_a_multipart_field_is_a_400(alice, client_for, field):
    body = {"image": upload(png_bytes()), "lines": ["x"], field: nested(100_000)}
    response = client_for(alice).post("/api/memes/", body, format="multipart")
    assert response.status_code == 400
    assert not Job.objects.exists()


def test_deeply_nested_json_in_a_template_upload_is_a_400(sam, client_for):
    for field in ("boxes", "tags"):
        body = {"slug": "deep", "name": "Deep", "image": upload(png_bytes()), "boxes": '[{"y": 0.8}]',
                field: nested(100_000)}  # fmt: skip
        response = client_for(sam).post("/api/templates/", body, format="multipart")
        assert response.status_code == 400, field


@pytest.mark.parametrize("face", ["9223372036854775808", str(10**100)])
def test_a_face_number_too_large_for_any_column_is_a_400(alice, client_for, face):
    body = {"source": "photo", "photo": upload(png_bytes()), "face": face}
    response = client_for(alice).post("/api/memes/", body, format="multipart")
    assert response.status_code == 400 and "face" in response.json()["errors"]
    assert not Job.objects.exists()


# --- Item 5: pictures the renderer cannot draw --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tall_png() -> bytes:
    """200×100000 of grey: 20 Mpx, under the pixel limit, about 80 kB; drawn 800 wide it would be 800×400000."""
    return png_bytes((200, 100_000), (128,), mode="L")


@pytest.fixture(scope="module")
def thread_png() -> bytes:
    """1×25,000,000: exactly the pixel limit; drawn 800 wide its height overflows."""
    return png_bytes((1, 25_000_000), (128,), mode="L")


@pytest.mark.parametrize("shape", ["tall", "thread"])
def test_a_picture_too_tall_to_draw_is_refused_at_upload(alice, client_for, tall_png, thread_png, shape):
    data = tall_png if shape == "tall" else thread_png
    response = client_for(alice).post("/api/memes/", {"image": upload(data), "lines": ["x"]}, format="multipart")
    assert response.status_code == 400
    assert "too tall" in response.json()["errors"]["image"][0]
    assert not Job.objects.exists()


def test_a_picture_too_wide_to_draw_is_refused_as_a_staff_template(sam, client_for):
    wide = png_bytes((4000, 100), (128,), mode="L")
    body = {"slug": "wide", "name": "Wide", "image": upload(wide), "boxes": '[{"y": 0.8}]'}
    response = client_for(sam).post("/api/templates/", body, format="multipart")
    assert response.status_code == 400 and "too wide" in response.json()["errors"]["image"][0]
    assert not Template.objects.filter(slug="wide").exists()


@pytest.fixture
def tall_template(db, tall_png):
    """A template saved before pictures' shapes were checked."""
    template = Template(slug="tall", name="Tall")
    template.image.save("tall.png", ContentFile(tall_png), save=False)
    template.save()
    TextBox.objects.create(template=template, position=0, y=0.0, height=0.1)
    return template


def test_a_stored_picture_too_tall_to_draw_fails_its_job_its_address_and_not_the_admin(
    alice, tall_template, admin_client
):
    job = services.job_create(owner=alice, template=tall_template, lines=["tall"])
    result = render_job.apply(args=[str(job.id)])
    job.refresh_from_db()
    assert result.successful() and job.status == Job.Status.FAILED and "too tall" in job.error
    response = Client().get("/t/tall/hello.jpg")
    assert response.status_code == 422 and b"too tall" in response.content
    page = admin_client.get(f"/admin/memes/template/{tall_template.pk}/change/")
    assert page.status_code == 200 and "too tall" in page.content.decode()


def test_a_task_that_cannot_succeed_fails_its_job_with_a_reason_at_once(alice):
    """Not left running, to be queued again forever and counted against alice's limit; and not retried."""
    job = Job.objects.create(owner=alice, lines=["x"], boxes=[{"not": "a box"}], status=Job.Status.QUEUED)
    job.background.save("bg.png", ContentFile(png_bytes()), save=True)
    result = render_job.apply(args=[str(job.id)])
    job.refresh_from_db()
    assert result.successful()
    assert job.status == Job.Status.FAILED and "trying again would not help" in job.error


# --- Item 7: one check of a template's picture, in admin as in the API and import ----------------------------------

def truncated_jpeg() -> bytes:
    noise = Image.frombytes("RGB", (400, 300), bytes(range(256)) * 1407)
    data = jpeg_bytes(noise)
    return data[: len(data) // 2]


TEMPLATE_PICTURES = {
    "12000x12000": (png_claiming(12000, 12000), "too many pixels"),
    "truncated jpeg": (truncated_jpeg(), "truncated or corrupt"),
    "too tall": (png_bytes((100, 2500), (128,), mode="L"), "too tall"),
}


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


def admin_template_form(image, slug="bad"):
    return {
        "slug": slug, "name": "Bad", "image": upload(image, "bad.png"), "tags": "[]",
        "boxes-TOTAL_FORMS": "1", "boxes-INITIAL_FORMS": "0", "boxes-MIN_NUM_FORMS": "0", "boxes-MAX_NUM_FORMS": "1000",
        "boxes-0-position": "0", "boxes-0-x": "0", "boxes-0-y": "0", "boxes-0-width": "1", "boxes-0-height": "0.2",
        "boxes-0-align": "center", "boxes-0-angle": "0", "boxes-0-style": "upper", "boxes-0-font": "thick",
        "boxes-0-color": "white", "boxes-0-start": "0", "boxes-0-stop": "1", "boxes-0-example": "top text",
    }  # fmt: skip


@pytest.mark.parametrize("case", TEMPLATE_PICTURES)
def test_admin_refuses_the_template_pictures_the_api_refuses(admin_client, sam, client_for, case):
    data, message = TEMPLATE_PICTURES[case]
    page = admin_client.post("/admin/memes/template/add/", admin_template_form(data))
    assert page.status_code == 200 and message in page.content.decode()
    api = client_for(sam).post(
        "/api/templates/", {"slug": "bad", "name": "Bad", "image": upload(data), "boxes": '[{"y": 0.8}]'},
        format="multipart",
    )  # fmt: skip
    assert api.status_code == 400 and message in api.json()["errors"]["image"][0]
    assert not Template.objects.exists()


def test_admin_still_takes_a_good_template_picture(admin_client):
    page = admin_client.post("/admin/memes/template/add/", admin_template_form(png_bytes(), slug="good"))
    assert page.status_code == 302
    assert Template.objects.get(slug="good").boxes.count() == 1


# --- Item 12: usernames that look like another's -----------------------------------------------------------------

LOOKALIKES = {
    "fullwidth": "ａｌｉｃｅ",
    "cyrillic a": "\u0430lice",
    "capital i for l": "aIice",
    "capitals": "ALICE",
    "greek capital alpha": "\u0391LICE",
    "digit one": "al1ce",
}


@pytest.mark.parametrize("case", LOOKALIKES)
def test_the_api_refuses_a_username_that_looks_like_an_existing_one(alice, case):
    response = APIClient().post("/api/users/", {"username": LOOKALIKES[case], "password": PASSWORD}, format="json")
    assert response.status_code == 400 and "username" in response.json()["errors"]
    assert User.objects.count() == 1


@pytest.mark.parametrize("case", LOOKALIKES)
def test_the_sign_up_form_refuses_a_username_that_looks_like_an_existing_one(alice, case):
    body = {"username": LOOKALIKES[case], "password1": PASSWORD, "password2": PASSWORD}
    response = Client().post("/accounts/signup/", body)
    assert response.status_code == 200 and "username" in response.context["form"].errors
    assert User.objects.count() == 1


def test_the_api_normalises_a_username_as_the_form_does(db):
    response = APIClient().post("/api/users/", {"username": "ｅｒｉｎ", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert User.objects.get().username == "erin"


def test_names_that_only_share_letters_are_still_welcome(alice):
    for name in ("alicia", "bob", "日本", "ålice"):
        response = APIClient().post("/api/users/", {"username": name, "password": PASSWORD}, format="json")
        assert response.status_code == 201, name
