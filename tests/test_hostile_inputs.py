"""Hostile input (issue 16): whatever a client sends, the site answers 4xx with a reason, never a 500, and every job
it accepts ends, succeeded or failed with a reason."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from generator.models import Job

from .conftest import make_meme

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
    from .test_bad_input import upload
    from .conftest import png_bytes

    body = {"image": upload(png_bytes()), "lines": ["x"], field: nested(100_000)}
    response = client_for(alice).post("/api/memes/", body, format="multipart")
    assert response.status_code == 400
    assert not Job.objects.exists()


def test_deeply_nested_json_in_a_template_upload_is_a_400(sam, client_for):
    from .conftest import png_bytes
    from .test_bad_input import upload

    for field in ("boxes", "tags"):
        body = {"slug": "deep", "name": "Deep", "image": upload(png_bytes()), "boxes": '[{"y": 0.8}]',
                field: nested(100_000)}  # fmt: skip
        response = client_for(sam).post("/api/templates/", body, format="multipart")
        assert response.status_code == 400, field


@pytest.mark.parametrize("face", ["9223372036854775808", str(10**100)])
def test_a_face_number_too_large_for_any_column_is_a_400(alice, client_for, face):
    from .conftest import png_bytes
    from .test_bad_input import upload

    body = {"source": "photo", "photo": upload(png_bytes()), "face": face}
    response = client_for(alice).post("/api/memes/", body, format="multipart")
    assert response.status_code == 400 and "face" in response.json()["errors"]
    assert not Job.objects.exists()
