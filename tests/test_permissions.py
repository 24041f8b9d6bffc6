"""Who may call what: every endpoint, for anonymous, another user (bob), the owner (alice), staff (sam)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from generator.models import Job
from memes.models import Meme

from .conftest import PASSWORD, png_bytes

ANON, OTHER, OWNER, STAFF = "anonymous", "bob", "alice", "sam"


@pytest.fixture
def world(alice, bob, sam, template):
    private = Meme(owner=alice, template=template, lines=["secret", "meme"], is_public=False)
    private.image.save("private.jpg", ContentFile(png_bytes()), save=False)
    private.save()
    public = Meme(owner=alice, template=template, lines=["public", "meme"])
    public.image.save("public.jpg", ContentFile(png_bytes()), save=False)
    public.save()
    job = Job.objects.create(owner=alice, template=template, lines=["a", "b"])
    return {"users": {OTHER: bob, OWNER: alice, STAFF: sam}, "private": private, "public": public, "job": job,
            "template": template}  # fmt: skip


def api_call(world, client_for, who, method, path, data=None):
    client = client_for(world["users"].get(who))
    path = path.format(private=world["private"].pk, public=world["public"].pk, job=world["job"].pk,
                       slug=world["template"].slug)  # fmt: skip
    return getattr(client, method)(path, data, format="json")


NEW_TEMPLATE = {"slug": "new", "name": "New", "boxes": [{"y": 0.0, "height": 0.2}]}

API_CASES = [
    # method, path, data, {who: expected status}
    ("get", "/api/templates/", None, {ANON: 200, OTHER: 200, STAFF: 200}),
    ("get", "/api/templates/{slug}/", None, {ANON: 200, OTHER: 200, STAFF: 200}),
    ("post", "/api/templates/", NEW_TEMPLATE, {ANON: 401, OTHER: 403}),
    ("patch", "/api/templates/{slug}/", {"name": "Renamed"}, {ANON: 401, OTHER: 403, STAFF: 200}),
    ("delete", "/api/templates/{slug}/", None, {ANON: 401, OTHER: 403, STAFF: 204}),
    ("get", "/api/memes/", None, {ANON: 200, OTHER: 200, OWNER: 200}),
    ("get", "/api/memes/{public}/", None, {ANON: 200, OTHER: 200, OWNER: 200, STAFF: 200}),
    ("get", "/api/memes/{private}/", None, {ANON: 404, OTHER: 404, OWNER: 200, STAFF: 200}),
    ("post", "/api/memes/", {"template": "grey", "lines": ["hi", "there"]}, {ANON: 401, OTHER: 202}),
    ("post", "/api/memes/", {"source": "title", "template": "grey", "title": "mondays"}, {ANON: 401, OTHER: 202}),
    ("delete", "/api/memes/{public}/", None, {ANON: 401, OTHER: 403, OWNER: 204}),
    ("delete", "/api/memes/{private}/", None, {OTHER: 404, STAFF: 204}),
    # Nobody votes on their own meme; others' private memes are not there at all.
    ("put", "/api/memes/{public}/vote/", {"value": 1}, {ANON: 401, OTHER: 200, OWNER: 403, STAFF: 200}),
    ("delete", "/api/memes/{public}/vote/", None, {ANON: 401, OTHER: 200, OWNER: 403}),
    ("put", "/api/memes/{private}/vote/", {"value": 1}, {ANON: 401, OTHER: 404, OWNER: 403, STAFF: 404}),
    ("post", "/api/memes/{public}/report/", {"reason": "spam"}, {ANON: 401, OTHER: 201, OWNER: 403}),
    ("post", "/api/memes/{private}/report/", {"reason": "spam"}, {ANON: 401, OTHER: 404}),
    ("post", "/api/memes/{public}/hide/", {"hidden": True}, {ANON: 401, OTHER: 403, OWNER: 403, STAFF: 200}),
    # Any gallery meme can be remixed, and one's own; others' private ones are not there, even for staff.
    ("post", "/api/memes/{public}/remix/", None, {ANON: 401, OTHER: 202, OWNER: 202, STAFF: 202}),
    ("post", "/api/memes/{private}/remix/", None, {ANON: 401, OTHER: 404, OWNER: 202, STAFF: 404}),
    ("get", "/api/jobs/", None, {ANON: 401, OTHER: 200, OWNER: 200}),
    ("get", "/api/jobs/{job}/", None, {ANON: 401, OTHER: 404, STAFF: 404, OWNER: 200}),
    # The owner's job has no captions to choose from yet: a clear 400.
    ("post", "/api/jobs/{job}/choose/", {"candidate": 0}, {ANON: 401, OTHER: 404, STAFF: 404, OWNER: 400}),
    # Nor faces to choose or label: it is not a photo job.
    ("post", "/api/jobs/{job}/face/", {"face": 0}, {ANON: 401, OTHER: 404, STAFF: 404, OWNER: 400}),
    ("post", "/api/jobs/{job}/expression/", {"label": "sad"}, {ANON: 401, OTHER: 404, STAFF: 404, OWNER: 400}),
    ("get", "/api/me/", None, {ANON: 401, OTHER: 200}),
    ("post", "/api/me/token/", None, {ANON: 401, OTHER: 201}),
    ("post", "/api/users/", {"username": "newbie", "password": "a long enough password"}, {ANON: 201}),
    ("get", "/api/schema/", None, {ANON: 200, OTHER: 200}),
    ("get", "/api/docs/", None, {ANON: 200, OTHER: 200}),
    # Anyone with alice's password gets alice's token; nobody gets one without it.
    ("post", "/api/token/", {"username": "alice", "password": PASSWORD}, {ANON: 200, OTHER: 200}),
    ("post", "/api/token/", {"username": "alice", "password": "guess"}, {ANON: 400, OTHER: 400}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path,data,who,expected",
    [(m, p, d, who, status) for m, p, d, table in API_CASES for who, status in table.items()],
)
def test_api_permissions(world, client_for, method, path, data, who, expected):
    response = api_call(world, client_for, who, method, path, data)
    assert response.status_code == expected, response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize("who,expected", [(ANON, 401), (OTHER, 202), (OWNER, 202)])
def test_photo_memes_need_a_login(world, client_for, who, expected):
    photo = SimpleUploadedFile("me.png", png_bytes())
    body = {"source": "photo", "photo": photo}
    response = client_for(world["users"].get(who)).post("/api/memes/", body, format="multipart")
    assert response.status_code == expected


@pytest.mark.django_db
def test_staff_can_create_a_template_with_an_image(sam, client_for):
    response = client_for(sam).post(
        "/api/templates/",
        {"slug": "fresh", "name": "Fresh", "image": ContentFile(png_bytes(), name="fresh.png"),
         "boxes": '[{"y": 0.8, "height": 0.2, "example": "bottom"}]'},  # fmt: skip
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["boxes"][0]["example"] == "bottom"


@pytest.mark.django_db
def test_job_list_shows_only_own_jobs(world, client_for):
    assert client_for(world["users"][OTHER]).get("/api/jobs/").json()["count"] == 0
    assert client_for(world["users"][OWNER]).get("/api/jobs/").json()["count"] == 1


@pytest.mark.django_db
def test_public_meme_list_hides_private_memes_even_from_their_owner_list(world, client_for):
    ids = [meme["id"] for meme in client_for(world["users"][OWNER]).get("/api/memes/").json()["results"]]
    assert ids == [world["public"].pk]


PAGE_CASES = [
    # path, {who: expected status}
    ("/", {ANON: 200, OTHER: 200}),
    ("/new/", {ANON: 200, OTHER: 200}),
    ("/best/", {ANON: 200, OTHER: 200}),
    ("/top/?t=day", {ANON: 200, OTHER: 200}),
    ("/top/?t=forever", {ANON: 400}),
    ("/t/{slug}/?sort=best", {ANON: 200, OTHER: 200}),
    ("/t/{slug}/?sort=worst", {ANON: 400}),
    ("/t/no-such-template/", {ANON: 404}),
    ("/m/{public}/vote/", {ANON: 302, OTHER: 405}),
    ("/m/{public}/report/", {ANON: 302, OTHER: 405}),
    ("/m/{public}/hide/", {ANON: 302, OTHER: 302, STAFF: 405}),
    ("/m/{public}/", {ANON: 200, OTHER: 200}),
    ("/m/{private}/", {ANON: 404, OTHER: 404, OWNER: 200, STAFF: 200}),
    ("/make/", {ANON: 200, OTHER: 200}),
    ("/make/{slug}/", {ANON: 200, OTHER: 200}),  # anyone looks; making one asks to log in
    ("/make/jobs/{job}/", {ANON: 302, OTHER: 404, OWNER: 200}),
    ("/make/jobs/{job}/choose/", {ANON: 302, OTHER: 405, OWNER: 405}),
    ("/make/jobs/{job}/face/", {ANON: 302, OTHER: 405, OWNER: 405}),
    ("/make/jobs/{job}/expression/", {ANON: 302, OTHER: 405, OWNER: 405}),
    ("/make/photo/", {ANON: 302, OTHER: 200}),
    ("/make/own/", {ANON: 302, OTHER: 200}),
    ("/make/remix/{public}/", {ANON: 302, OTHER: 200, OWNER: 200}),
    ("/make/remix/{private}/", {ANON: 302, OTHER: 404, OWNER: 200, STAFF: 404}),
    ("/t/{slug}/top/bottom.jpg", {ANON: 200, OTHER: 200}),
    ("/t/no-such-template/top/bottom.jpg", {ANON: 404}),
    ("/accounts/settings/", {ANON: 302, OTHER: 200}),
    ("/accounts/password/", {ANON: 302, OTHER: 200}),
    ("/u/alice/", {ANON: 200, OTHER: 200}),
    ("/accounts/signup/", {ANON: 200}),
    ("/accounts/login/", {ANON: 200}),
    ("/admin/", {ANON: 302, OTHER: 302, STAFF: 200}),
    # Staff need the model's permissions too (a superuser sees them: test_template_expressions).
    ("/admin/expressions/fusionweights/", {ANON: 302, OTHER: 302, STAFF: 403}),
    ("/admin/expressions/labelledface/", {ANON: 302, OTHER: 302, STAFF: 403}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("path,who,expected", [(p, who, s) for p, table in PAGE_CASES for who, s in table.items()])
def test_page_permissions(world, path, who, expected):
    client = Client()
    if who != ANON:
        client.force_login(world["users"][who])
    path = path.format(private=world["private"].pk, public=world["public"].pk, job=world["job"].pk,
                       slug=world["template"].slug)  # fmt: skip
    assert client.get(path).status_code == expected


@pytest.mark.django_db
def test_profile_shows_private_memes_only_to_their_owner(world):
    client = Client()
    client.force_login(world["users"][OTHER])
    assert b"secret" not in client.get("/u/alice/").content
    client.force_login(world["users"][OWNER])
    assert b"secret" in client.get("/u/alice/").content


@pytest.mark.django_db
def test_token_rotation_needs_post_and_login(world):
    client = Client()
    assert client.post("/accounts/settings/token/").status_code == 302
    client.force_login(world["users"][OWNER])
    assert client.get("/accounts/settings/token/").status_code == 405
    assert client.post("/accounts/settings/token/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("action,data", [("face", {"face": 0}), ("expression", {"face": 0, "label": "sad"})])
@pytest.mark.parametrize("who,expected", [(ANON, 302), (OTHER, 404), (STAFF, 404), (OWNER, 302)])
def test_photo_job_forms_are_for_the_owner(world, action, data, who, expected):
    client = Client()
    if who != ANON:
        client.force_login(world["users"][who])
    response = client.post(f"/make/jobs/{world['job'].pk}/{action}/", data)
    assert response.status_code == expected
    if who == ANON:
        assert response["Location"].startswith("/accounts/login/")
