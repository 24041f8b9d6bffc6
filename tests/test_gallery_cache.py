"""The gallery from its caches (gallery/cards.py): each meme's card kept once, the first pages whole for anonymous
visitors; never a stale card or page after a vote, a hiding, a publishing, a redraw or a rename."""

import re

import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.test import Client

from gallery import cards
from gallery.services import meme_hide, meme_publish, vote_cast
from memes.models import Meme

from .conftest import make_meme, make_user, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cards_forgotten(settings):
    """Cards outlive a test's rows (conftest clears only the default cache): each test starts without them. First
    pages are kept (as embedded, or with CACHE_URL) unless a test says otherwise."""
    settings.GALLERY_PAGE_SECONDS = 30
    caches["gallery"].clear()
    yield
    caches["gallery"].clear()


@pytest.fixture
def meme(alice, template):
    return make_meme(alice, template, ["cached", "or not"])


def card(html: str, meme: Meme) -> str | None:
    """The meme's card on a page, or None."""
    found = re.search(rf'<li data-meme="{meme.pk}">.*?</li>', html, re.S)
    return found and found.group()


def score_on(html: str, meme: Meme) -> str:
    return re.search(rf'data-score="{meme.pk}" title="(\d+) up, (\d+) down">(-?\d+)<', card(html, meme)).groups()


def page(path: str = "/", user=None, client: Client | None = None) -> str:
    client = client or Client()
    if user is not None:
        client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_a_vote_shows_at_once_to_anonymous_visitors_and_voters(meme, bob, sam):
    for path in ("/", "/new/", "/best/", "/top/?t=day", f"/t/{meme.template.slug}/"):
        assert score_on(page(path), meme) == ("0", "0", "0"), path  # now cached
    assert score_on(page("/", sam), meme) == ("0", "0", "0")
    vote_cast(bob, meme.pk, 1)
    for path in ("/", "/new/", "/best/", "/top/?t=day", f"/t/{meme.template.slug}/"):
        assert score_on(page(path), meme) == ("1", "0", "1"), path
    assert score_on(page("/", sam), meme) == ("1", "0", "1")
    vote_cast(sam, meme.pk, -1)
    assert score_on(page("/"), meme) == ("1", "1", "0")


def test_a_vote_over_the_api_and_the_web_form_shows_at_once(meme, bob, sam, client_for):
    page("/")
    assert client_for(bob).put(f"/api/memes/{meme.pk}/vote/", {"value": 1}, format="json").status_code == 200
    assert score_on(page("/"), meme) == ("1", "0", "1")
    voter = Client()
    voter.force_login(sam)
    assert voter.post(f"/m/{meme.pk}/vote/", {"value": "-1", "next": "/"}).status_code == 302
    assert score_on(page("/"), meme) == ("1", "1", "0")


def test_hidden_or_private_memes_leave_the_cached_pages_at_once(meme, alice, bob, sam):
    other = make_meme(alice, meme.template, ["still", "here"])
    assert card(page("/"), meme) and card(page("/", bob), meme)
    meme_hide(meme, hidden=True)
    assert card(page("/"), meme) is None and card(page("/"), other)
    assert card(page("/", bob), meme) is None
    assert "· hidden" in card(page(f"/u/{alice.username}/", alice), meme)  # its owner still sees it, marked
    meme_hide(meme, hidden=False)
    assert card(page("/"), meme)
    meme_publish(alice, meme, public=False)
    assert card(page("/"), meme) is None and card(page("/new/"), meme) is None
    assert "· private" in card(page(f"/u/{alice.username}/", alice), meme)
    meme_publish(alice, meme, public=True)
    assert card(page("/new/"), meme)


def test_a_redraw_shows_its_new_image_and_lines(meme):
    before = card(page("/"), meme)
    assert meme.get_image_url() in before
    meme.lines = ["redrawn", "text"]
    meme.image = ContentFile(png_bytes((40, 30), format="JPEG"), name="redrawn.jpg")
    meme.save(update_fields=["lines", "image"])  # as a redraw saves it
    after = card(page("/"), meme)
    assert meme.get_image_url() in after and 'alt="redrawn / text"' in after and after != before


def test_new_memes_renamed_owners_and_templates_show_at_once(meme, alice, template):
    page("/")
    page("/new/")
    newer = make_meme(alice, template, ["brand", "new"])
    assert card(page("/new/"), newer)
    alice.username = "alicia"
    alice.save()
    template.name = "Plain Gray"
    template.save()
    shown = card(page("/new/"), meme)
    assert 'href="/u/alicia/">alicia</a>' in shown and ">Plain Gray</a>" in shown


def test_each_voter_sees_their_own_vote_on_the_shared_cards(meme, bob, sam, alice):
    carol = make_user("carol")
    vote_cast(bob, meme.pk, 1)
    vote_cast(sam, meme.pk, -1)
    pressed = {}
    for user in (bob, sam, carol):
        shown = card(page("/", user), meme)
        pressed[user.username] = re.findall(r'aria-label="Vote (up|down)" aria-pressed="true"', shown)
    assert pressed == {"bob": ["up"], "sam": ["down"], "carol": []}
    own = card(page("/", alice), meme)  # no buttons on one's own meme
    assert "<form" not in own and "log in to vote" not in own
    assert "log in to vote" in card(page("/"), meme)


def test_the_forms_on_cached_cards_carry_this_request_s_token_and_address(meme, bob, sam):
    page("/top/?t=day", sam)  # the card is cached by another voter's page
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    shown = card(page("/top/?t=day", client=client), meme)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown).group(1)
    assert 'name="next" value="/top/?t=day"' in shown
    response = client.post(f"/m/{meme.pk}/vote/", {"csrfmiddlewaretoken": token, "value": "1", "next": "/top/?t=day"})
    assert response.status_code == 302 and response["Location"] == "/top/?t=day"
    assert score_on(page("/top/?t=day"), meme) == ("1", "0", "1")
    # Anonymous visitors' log-in links come back to the page they are on.
    assert 'href="/accounts/login/?next=/top/%3Ft%3Dday"' in card(page("/top/?t=day"), meme)


def test_cards_are_rendered_once_and_a_page_needs_no_query_per_meme(
    alice, bob, template, django_assert_max_num_queries, monkeypatch
):
    for number in range(30):
        make_meme(alice, template, [f"meme {number}"])
    client = Client()
    client.force_login(bob)
    renders = []
    render = cards._card_render
    monkeypatch.setattr(cards, "_card_render", lambda *args: renders.append(1) or render(*args))
    # The session, its user, the memes, bob's votes on them; the starter hint's question the first time only.
    with django_assert_max_num_queries(5):
        assert client.get("/").status_code == 200
    assert len(renders) == 24
    with django_assert_max_num_queries(3):  # the memes of the first page from the cache too: only bob's votes
        client.get("/")
    assert len(renders) == 24
    following = re.search(r'href="http://testserver(/\?cursor=[^"]+)">Next', client.get("/").content.decode())[1]
    with django_assert_max_num_queries(3):  # a cursor page: the memes with bob's votes on them in one query
        client.get(following)
    assert len(renders) == 30


def test_an_anonymous_first_page_comes_whole_from_the_cache(meme, django_assert_num_queries):
    first = page("/best/")
    with django_assert_num_queries(0):
        assert page("/best/") == first
    # Cursor pages and other parameters are not kept whole; a page with a message on it is that visitor's own.
    for path in ("/best/?cursor=abc", "/best/?x=1", "/best/?t=day&t=week"):
        assert cards.first_page_key(Client().get(path).wsgi_request) is None, path


def test_only_a_shared_cache_keeps_first_pages(meme, bob, settings, django_assert_max_num_queries):
    settings.GALLERY_PAGE_SECONDS = 0  # several processes, each with a cache of its own: no pages kept
    page("/")
    with django_assert_max_num_queries(1):  # the memes (the starter hint is cached): cards from the cache
        page("/")
    client = Client()
    client.force_login(bob)
    with django_assert_max_num_queries(3):  # the session, its user, the memes with bob's votes
        page("/", client=client)
    vote_cast(bob, meme.pk, 1)
    assert 'aria-label="Vote up" aria-pressed="true"' in card(page("/", client=client), meme)
    assert score_on(page("/"), meme) == ("1", "0", "1")
