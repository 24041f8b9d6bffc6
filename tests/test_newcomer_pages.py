"""What a newcomer meets (issue 19's rough edges): a template opens before logging in, the job page says when the meme
is made and links to it, plurals, a favicon, a 404 page with the site around it."""

import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.test import Client

from accounts.models import User
from generator.models import Job
from memesite.asgi import application

from .conftest import make_meme

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_anonymous_visitor_opens_a_template_and_is_asked_to_log_in_only_to_make_a_meme(template):
    client = Client()
    page = client.get(f"/make/{template.slug}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Plain Grey</h1>" in html and f'href="/accounts/login/?next=/make/{template.slug}/"' in html

    for form in ({"line_0": "top", "line_1": "bottom", "is_public": "on"}, {"title": "monday"}):
        made = client.post(f"/make/{template.slug}/", form)
        assert made.status_code == 302 and made["Location"] == f"/accounts/login/?next=/make/{template.slug}/"
    assert not Job.objects.exists()


def test_a_logged_in_visitor_is_not_asked_to_log_in_on_a_template(alice, template):
    assert "/accounts/login/?next=" not in logged_in(alice).get(f"/make/{template.slug}/").content.decode()


def test_a_finished_job_page_says_so_links_the_meme_and_marks_the_caption_in_use(alice, template):
    meme = make_meme(alice, template, ["second", "caption"])
    job = Job.objects.create(
        owner=alice, template=template, title="mondays", lines=["second", "caption"], meme=meme,
        candidates=[["first", "caption"], ["second", "caption"], ["third", "caption"]], status=Job.Status.SUCCEEDED,
    )  # fmt: skip
    html = logged_in(alice).get(job.get_absolute_url()).content.decode()

    assert '<h1 id="job-heading">Your meme</h1>' in html and "<title>Your meme" in html
    link = re.search(r'<p id="meme-link"\s*>.*?</p>', html, re.S)
    assert link and f'href="{meme.get_absolute_url()}"' in link.group()
    in_use = re.findall(r'<li aria-current="true"><span>(.*?)</span> <strong>\(in use\)</strong></li>', html)
    assert in_use == ["second / caption"]
    # Only the others can be chosen.
    chosen = re.findall(r'name="candidate" value="(\d)"', html)
    assert chosen == ["0", "2"]


def test_a_job_page_still_making_the_meme_says_so_and_has_no_link_yet(alice, template):
    job = Job.objects.create(owner=alice, template=template, lines=["slow"], status=Job.Status.RUNNING)
    html = logged_in(alice).get(job.get_absolute_url()).content.decode()
    assert '<h1 id="job-heading">Making your meme</h1>' in html
    assert re.search(r'<p id="meme-link" hidden\s*>', html)


@pytest.mark.parametrize("ups,words", [(1, "1</span> <span data-points=\"{pk}\">point</span>"),
                                       (2, "2</span> <span data-points=\"{pk}\">points</span>"),
                                       (0, "0</span> <span data-points=\"{pk}\">points</span>")])
def test_one_point_is_a_point(alice, template, ups, words):
    meme = make_meme(alice, template, ["count", "me"], ups=ups, score=ups)
    assert words.format(pk=meme.pk) in Client().get(meme.get_absolute_url()).content.decode()


def asgi_get(path: str) -> dict:
    """What the whole site answers (static files are answered before Django)."""
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"testserver")])
    return async_to_sync(communicator.get_response)()


def test_the_favicon_is_at_the_sites_root_and_every_page_names_it():
    answer = asgi_get("/favicon.ico")
    assert answer["status"] == 200
    assert dict(answer["headers"])[b"content-type"] in (b"image/x-icon", b"image/vnd.microsoft.icon")
    assert answer["body"][:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico"' in Client().get("/").content.decode()


def test_a_page_not_found_has_the_sites_navigation_and_style(alice):
    answer = logged_in(alice).get("/no-such-page/")
    assert answer.status_code == 404
    html = answer.content.decode()
    assert "Nothing here" in html and "slowmeme/site.css" in html
    assert 'href="/make/"' in html and 'href="/u/alice/"' in html  # the navigation, as on every page
    # The API keeps its own format.
    assert Client().get("/api/no-such-thing/").json()["code"] == "not_found"


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


def inline_widths(html: str) -> dict[str, float]:
    """The first text box row's fields, by name, with the width (em) each is given."""
    widths = {}
    for field in re.finditer(r'<(?:input|select)[^>]*name="boxes-0-(\w+)"[^>]*>', html):
        width = re.search(r'style="width: ([\d.]+)em"', field.group())
        if width:  # the hidden id and template fields have none
            widths[field.group(1)] = float(width.group(1))
    return widths


def test_the_template_admin_says_text_boxes_and_keeps_their_table_narrow(admin_client, template):
    html = admin_client.get(f"/admin/memes/template/{template.pk}/change/").content.decode()
    assert "Text boxes" in html and "boxs" not in html.lower()
    widths = inline_widths(html)
    assert len(widths) == 14  # every column sized
    assert sum(widths.values()) < 100  # em: the row fits a wide screen (Django's own widths: 3,337 px)


def test_staff_edit_tags_as_words_separated_by_commas(admin_client, template):
    template.tags = ["cat", "office"]
    template.save()
    url = f"/admin/memes/template/{template.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert re.search(r'<input type="text" name="tags" value="cat, office"', html)

    form = {
        "slug": template.slug, "name": template.name, "tags": " cat,  monday ,, cat, work ", "expression": "",
        "source": "", "boxes-TOTAL_FORMS": "0", "boxes-INITIAL_FORMS": "0", "boxes-MIN_NUM_FORMS": "0",
        "boxes-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    assert admin_client.post(url, form).status_code == 302
    template.refresh_from_db()
    assert template.tags == ["cat", "monday", "work"]

    too_many = admin_client.post(url, {**form, "tags": ", ".join(f"tag{n}" for n in range(31))})
    assert too_many.status_code == 200 and "At most 30 tags." in too_many.content.decode()


@pytest.mark.parametrize(
    "sent,lines",
    [
        ('["top","bottom"]', ["top", "bottom"]),  # curl -F 'lines=["top","bottom"]'
        (["top", "bottom"], ["top", "bottom"]),  # -F lines=top -F lines=bottom
        ("[not json", ["[not json"]),  # a line that only looks like a list is a line
        ('["top", 2]', ['["top", 2]']),
    ],
)
def test_multipart_lines_come_as_repeated_fields_or_one_json_list(alice, template, client_for, sent, lines):
    response = client_for(alice).post("/api/memes/", {"template": template.slug, "lines": sent}, format="multipart")
    assert response.status_code == 202, response.json()
    assert Job.objects.get().lines == lines


def test_the_schema_says_what_each_multipart_field_takes(client_for):
    schema = client_for().get("/api/schema/?format=json").json()
    form = schema["paths"]["/api/memes/"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    fields = schema["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]]["properties"]
    assert all(field.get("description") for name, field in fields.items() if name != "source"), fields
    assert "-F lines=top -F lines=bottom" in fields["lines"]["description"]
    assert """-F 'lines=["top","bottom"]'""" in fields["lines"]["description"]
    assert "JSON text" in fields["boxes"]["description"]


def starter_hint(path: str) -> str | None:
    """The starter templates' hint on a page, or None."""
    html = Client().get(path).content.decode()
    found = re.search(r'<aside class="starter-hint".*?</aside>', html, re.S)
    return found and found.group()


def test_a_fresh_site_says_its_templates_are_sample_photos_and_how_to_get_the_real_ones():
    from generator.starter import starter_templates_load

    assert starter_hint("/make/")  # no template at all: the same way to the real ones
    starter_templates_load()
    for path in ("/make/", "/", "/new/"):  # the template list and the home page, where a newcomer lands
        hint = starter_hint(path)
        assert hint, path
        assert "sample photos" in hint and "scikit-image" in hint
        assert "<code>.venv/bin/python manage.py fetch_templates</code>" in hint  # the one command, whole
        assert "manage.py import_templates DIR" in hint and "README" in hint  # the manual route
    assert starter_hint("/make/?q=cat")  # searching keeps it


def test_the_starter_hint_goes_once_the_site_has_a_real_template(template):
    from generator.starter import starter_templates_load

    starter_templates_load()
    for path in ("/make/", "/", "/new/"):
        assert starter_hint(path) is None, path


def test_a_starter_slug_imported_over_is_a_real_template():
    """fetch_templates --replace may put memegen's template under a starter's slug: it is real then."""
    from generator.starter import Template, starter_templates_load

    starter_templates_load()
    assert starter_hint("/make/")
    Template.objects.filter(slug="rocket").update(import_folder="https://api.memegen.link")
    assert starter_hint("/make/") is None
