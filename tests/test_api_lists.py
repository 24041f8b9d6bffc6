"""Every list in the API comes in pages of at most 24 (or ?page_size up to 100 in the gallery), linked by `next`."""

import pytest

from generator.models import Job
from memes.models import Meme, Template

pytestmark = pytest.mark.django_db
TOTAL = 30


@pytest.fixture
def many(alice, bob, template):
    Template.objects.bulk_create(Template(slug=f"t{number}", name=f"T {number}", image="t.png") for number in range(TOTAL))
    Meme.objects.bulk_create(Meme(owner=bob, template=template, lines=["a", "b"], image="m.jpg") for _ in range(TOTAL))
    Job.objects.bulk_create(Job(owner=alice, template=template, lines=["a", "b"]) for _ in range(TOTAL))


@pytest.mark.parametrize("path,total", [("/api/templates/", TOTAL + 1), ("/api/memes/?sort=new", TOTAL),
                                        ("/api/jobs/", TOTAL)])  # fmt: skip
def test_every_list_is_paged(many, alice, client_for, path, total):
    client = client_for(alice)
    first = client.get(path).json()
    assert len(first["results"]) == 24 and first["next"]
    second = client.get(first["next"]).json()
    assert second["next"] is None and len(first["results"]) + len(second["results"]) == total
    identities = [item.get("id", item.get("slug")) for item in first["results"] + second["results"]]
    assert len(set(identities)) == total


def test_the_gallery_page_size_is_capped(many, client_for):
    assert len(client_for().get("/api/memes/?page_size=5").json()["results"]) == 5
    assert len(client_for().get("/api/memes/?page_size=1000").json()["results"]) == TOTAL  # at most 100


def test_a_bad_page_is_a_404_in_the_error_format(many, client_for):
    for path in ("/api/templates/?page=99", "/api/memes/?cursor=garbage"):
        response = client_for().get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
