"""The web pages people use: alt text from the caption, a label for every field, the template picker's previews and
search, the meme page's share link and download, a page that fits a phone. (The browser test drives them live.)"""

from html.parser import HTMLParser

import pytest
from django.test import Client

from generator.models import Job

from .conftest import make_meme

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The parts of a page these tests read: images, form fields, labels and ids."""

    def __init__(self, html: str):
        super().__init__()
        self.images, self.fields, self.label_for, self.ids, self.links = [], [], set(), [], []
        self._label_depth = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        elif tag == "a":
            self.links.append(attrs)
        elif tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit", "button"):
            self.fields.append({**attrs, "inside_label": self._label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def page(client, path) -> Page:
    response = client.get(path)
    assert response.status_code == 200, path
    return Page(response.content.decode())


@pytest.fixture
def world(alice, bob, template):
    meme = make_meme(alice, template, ["one does not simply", "write alt text"])
    job = Job.objects.create(owner=alice, template=template, lines=meme.lines, status=Job.Status.SUCCEEDED, meme=meme)
    return {"meme": meme, "job": job}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_image_has_alt_text_and_a_meme_s_is_its_caption(world, alice):
    meme = world["meme"]
    pages = ["/", "/new/", f"/m/{meme.pk}/", "/make/", "/make/grey/", f"/make/jobs/{world['job'].pk}/", "/u/alice/",
             "/t/grey/?sort=new"]  # fmt: skip
    for path in pages:
        images = page(logged_in(alice), path).images
        assert images, path
        for image in images:
            assert image.get("alt", "").strip(), (path, image)
            if image["src"] == meme.get_image_url():
                assert image["alt"] == meme.caption == "one does not simply / write alt text", (path, image)


def test_every_field_has_a_label_and_every_id_is_unique(world, bob):
    pages = ["/make/", "/make/grey/", "/make/photo/", "/make/own/", f"/m/{world['meme'].pk}/", "/accounts/settings/",
             "/accounts/password/"]  # fmt: skip
    for path in pages:
        parsed = page(logged_in(bob), path)
        assert len(parsed.ids) == len(set(parsed.ids)), (path, sorted(parsed.ids))
        for field in parsed.fields:
            labelled = field.get("id") in parsed.label_for or field["inside_label"] or field.get("aria-label")
            assert labelled, (path, field)
    for path in ("/accounts/signup/", "/accounts/login/"):
        parsed = page(Client(), path)
        assert parsed.fields and all(field.get("id") in parsed.label_for for field in parsed.fields), path


def test_the_meme_page_has_a_share_link_and_a_download(world, bob):
    meme = world["meme"]
    response = logged_in(bob).get(f"/m/{meme.pk}/")
    parsed = Page(response.content.decode())
    (share,) = [field for field in parsed.fields if field.get("id") == "share-link"]
    assert share["value"] == f"http://testserver/m/{meme.pk}/" and "readonly" in share
    downloads = [link for link in parsed.links if "download" in link]
    assert [link["href"] for link in downloads] == [meme.get_image_url()]
    assert Client().get(downloads[0]["href"]).status_code == 200


def test_a_private_meme_has_a_download_but_no_share_link(alice, template):
    meme = make_meme(alice, template, is_public=False)
    parsed = page(logged_in(alice), f"/m/{meme.pk}/")
    assert "share-link" not in parsed.ids
    assert any("download" in link for link in parsed.links)


def test_the_picker_shows_each_template_with_its_boxes_and_searches(world, bob):
    html = logged_in(bob).get("/make/").content.decode()
    assert "2 boxes: top text / bottom text" in html
    assert 'data-search="plain grey grey  top text bottom text"' in html
    assert "Plain Grey" in logged_in(bob).get("/make/?q=grey").content.decode()
    assert "No template matches." in logged_in(bob).get("/make/?q=nothing-like-it").content.decode()


def test_pages_are_laid_out_for_a_phone(world):
    html = Client().get("/new/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
