"""Image addresses: each meme's stable, cacheable one, and memegen.link-style /t/<slug>/<top>/<bottom>.jpg with its
escapes, cached by its inputs, revalidated by ETag, throttled when it renders."""

import io

import numpy as np
import pytest
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from accounts.services import token_get
from generator import sharing

from .conftest import make_meme

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "segment,text",
    [
        ("hello_world", "hello world"),
        ("hello-world", "hello world"),
        ("snake__case", "snake_case"),
        ("well--known", "well-known"),
        ("why~q", "why?"),
        ("this~aand~athat", "this&and&that"),
        ("100~p", "100%"),
        ("~hhashtag", "#hashtag"),
        ("either~sor", "either/or"),
        ("back~bslash", "back\\slash"),
        ("~lhtml~g", "<html>"),
        ("first~nsecond", "first\nsecond"),
        ("''quoted''", '"quoted"'),
        ("it's", "it's"),
        # memegen.link's documented example: underscore__-dash--_ reads "underscore_ dash- ".
        ("~hspecial_characters~q", "#special characters?"),
        ("underscore__-dash--_", "underscore_ dash- "),
        ("", ""),
    ],
)
def test_memegen_escapes(segment, text):
    assert sharing.text_decode(segment) == text


@pytest.mark.parametrize(
    "line", ["plain words", "snake_case and kebab-case", 'she said "why?" & left 100% #done', "a/b\\c <d>", "two\nlines"]
)
def test_encoding_a_line_reads_back_as_the_same_line(line):
    segment = sharing.text_encode(line)
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert sharing.text_decode(segment) == line


def image_of(response) -> Image.Image:
    return Image.open(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))


def test_a_template_renders_from_its_address_for_anyone(template):
    response = Client().get("/t/grey/top_text/bottom~q.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    picture = image_of(response)
    assert picture.format == "JPEG" and picture.width == 800
    assert response["ETag"].startswith('"') and "public" in response["Cache-Control"]
    assert "max-age=86400" in response["Cache-Control"]
    png = Client().get("/t/grey/top_text/bottom~q.png?width=200")
    assert image_of(png).format == "PNG" and image_of(png).width == 200
    assert png["ETag"] != response["ETag"]


def test_memegens_own_path_works_with_only_the_host_changed(template):
    ours, memegens = Client().get("/t/grey/top/bottom.png"), Client().get("/images/grey/top/bottom.png")
    assert memegens.status_code == 200 and memegens.content == ours.content and memegens["ETag"] == ours["ETag"]


def test_the_text_in_the_address_is_drawn_in_the_templates_boxes(template):
    blank = np.asarray(image_of(Client().get("/t/grey/_/_.png")).convert("L"), dtype=int)
    top_only = np.asarray(image_of(Client().get("/t/grey/hello_there/_.png")).convert("L"), dtype=int)
    rows = np.argwhere(np.abs(top_only - blank) > 60)[:, 0]
    assert len(rows) > 500 and rows.max() <= 0.25 * blank.shape[0] + 2  # the template's first box: the top quarter
    # Every segment is a box: a third line on a two-box template has nowhere to go, and changes nothing.
    extra = np.asarray(image_of(Client().get("/t/grey/hello_there/_/more.png")).convert("L"), dtype=int)
    assert (extra == top_only).all()


def test_a_matching_etag_answers_304_without_a_body(template):
    client = Client()
    first = client.get("/t/grey/cache_me/please.jpg")
    again = client.get("/t/grey/cache_me/please.jpg", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    assert "max-age" in again["Cache-Control"]
    other = client.get("/t/grey/cache_me/please.jpg", HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200


def test_a_render_is_cached_by_its_inputs(template):
    client = Client()
    first = client.get("/t/grey/kept/in_cache.jpg")
    template.image.storage.delete(template.image.name)  # no more renders are possible
    assert client.get("/t/grey/kept/in_cache.jpg").content == first.content  # from the cache


def test_changing_the_template_changes_the_etag(template):
    before = Client().get("/t/grey/a/b.jpg")["ETag"]
    box = template.boxes.first()
    box.y = 0.1
    box.save()
    template.save()  # as admin and the API do when boxes change
    assert Client().get("/t/grey/a/b.jpg")["ETag"] != before


def test_deeper_paths_leave_the_template_gallery_page_alone(template):
    page = Client().get("/t/grey/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert Client().get("/t/grey/not-an-image").status_code == 404


@pytest.mark.parametrize(
    "path,status,message",
    [
        ("/t/no-such-template/top/bottom.jpg", 404, ""),
        ("/t/grey/" + "x" * 201 + "/bottom.jpg", 400, "Line 1 has 201 characters; a line has at most 200."),
        ("/t/grey/" + "/".join("abcdefghijk") + ".jpg", 400, "A meme has at most 10 lines; this address has 11."),
        ("/t/grey/a/b.jpg?width=huge", 400, "The width is a number of pixels"),
        ("/t/grey/a/b.jpg?width=99999", 400, "The width is a number of pixels"),
        ("/t/grey/a/b.bmp", 404, ""),
    ],
)
def test_bad_addresses_are_clear_errors(template, path, status, message):
    response = Client().get(path)
    assert response.status_code == status
    assert message in response.content.decode()


def test_new_renders_are_throttled_but_cached_images_are_not(template, monkeypatch):
    monkeypatch.setattr(sharing.RenderThrottle, "THROTTLE_RATES", {"render": "2/minute"})
    client = Client()
    assert [client.get(f"/t/grey/line_{n}/x.jpg").status_code for n in range(3)] == [200, 200, 429]
    refused = client.get("/t/grey/line_9/x.jpg")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert client.get("/t/grey/line_0/x.jpg").status_code == 200  # already rendered: from the cache


def test_a_public_memes_image_is_immutable_at_its_stable_address(alice, template):
    meme = make_meme(alice, template)
    url = meme.get_image_url()
    assert url == f"/m/{meme.pk}/{meme.image_key}.jpg"
    response = Client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    with meme.image.open("rb") as file:
        assert b"".join(response.streaming_content) == file.read()
    assert Client().get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert Client().head(url).status_code == 200 and Client().post(url).status_code == 405


def test_a_new_rendering_gets_a_new_address_and_the_old_one_leads_to_it(alice, template):
    meme = make_meme(alice, template)
    old = meme.get_image_url()
    make_meme(alice, template)  # another file
    meme.image.name = "memes/rendered-again.jpg"
    meme.save()
    assert meme.get_image_url() != old
    response = Client().get(old)
    assert response.status_code == 302 and response["Location"] == meme.get_image_url()


def test_a_private_memes_image_is_its_owners_alone_and_never_stored_by_shared_caches(alice, bob, sam, template):
    meme = make_meme(alice, template, is_public=False)
    url = meme.get_image_url()
    owner = Client()
    owner.force_login(alice)
    response = owner.get(url)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"] and "Cookie" in response["Vary"]
    other = Client()
    other.force_login(bob)
    assert other.get(url).status_code == 404 and Client().get(url).status_code == 404
    hidden = make_meme(alice, template, is_hidden=True)
    assert Client().get(hidden.get_image_url()).status_code == 404


def test_an_api_token_opens_its_users_private_image_as_the_session_does(alice, bob, template):
    """A client that logs in with a token follows image_url with the same token; another's token or a wrong one
    does not open it."""
    meme = make_meme(alice, template, is_public=False)
    token = {"HTTP_AUTHORIZATION": f"Token {token_get(user=alice).key}"}
    url = APIClient().get(f"/api/memes/{meme.pk}/", **token).json()["image_url"]
    response = Client().get(url, **token)
    assert response.status_code == 200 and "Authorization" in response["Vary"]
    assert Client().get(url, HTTP_AUTHORIZATION=f"Token {token_get(user=bob).key}").status_code == 404
    assert Client().get(url, HTTP_AUTHORIZATION="Token not-a-token").status_code == 401


def test_the_api_and_the_meme_page_give_the_stable_address(alice, template, client_for):
    meme = make_meme(alice, template)
    assert client_for(None).get(f"/api/memes/{meme.pk}/").json()["image_url"] == meme.get_image_url()
    assert f'src="{meme.get_image_url()}"' in Client().get(meme.get_absolute_url()).content.decode()


def test_the_meme_page_offers_the_template_address_with_its_text(alice, template):
    meme = make_meme(alice, template, lines=("why not", "100% sure?"))
    page = Client().get(meme.get_absolute_url()).content.decode()
    assert 'href="/t/grey/why_not/100~p_sure~q.jpg"' in page
    assert Client().get("/t/grey/why_not/100~p_sure~q.jpg").status_code == 200


def test_an_animated_template_stays_animated_as_gif_and_is_its_first_frame_as_jpg(db):
    from django.core.files.base import ContentFile

    from memes.models import Template, TextBox

    from .test_animated import FRAMES, animated_bytes

    template = Template(slug="moving", name="Moving")
    template.image.save("moving.gif", ContentFile(animated_bytes()), save=False)
    template.save()
    TextBox.objects.create(template=template, position=0, y=0.0, height=0.3)
    gif = Client().get("/t/moving/hello.gif")
    assert gif.status_code == 200 and gif["Content-Type"] == "image/gif"
    assert image_of(gif).n_frames == FRAMES
    still = Client().get("/t/moving/hello.jpg")
    assert still["Content-Type"] == "image/jpeg" and getattr(image_of(still), "n_frames", 1) == 1
