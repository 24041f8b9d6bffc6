"""The gallery's pages from cached pieces: each meme's card rendered once, and the first pages whole for anonymous
visitors.

A card (gallery/_card.html: the image, the tally or the vote buttons, who made it on which template) is cached under
a key made of everything it shows, read from the meme's row on every page: a vote, hiding or publishing, a redraw
(a new image file), a renamed owner or template each give a new key, so a card is never stale and nothing has to
remember to drop one. The viewer enters a card only as its variant: anonymous, a voter with their own vote (up,
down, none), or a signed-in user who cannot vote on it (their own meme, or one out of the gallery). What differs
per request, the CSRF token and the page's own address in the forms and log-in links, is rendered as a marker
that only this site can make and filled in when the page is put together.

The first page of each gallery ranking and template is the same list of memes for everyone: it is cached with the
version of the gallery it was read at, whole as anonymous visitors see it, and as its memes for signed-in viewers,
who then ask the database only for their own votes. Any change to a meme, a template or a user (gallery_changed(),
called by the services and the receivers in signals.py) makes a new version, so such a page is dropped at once.
That needs one cache that every process changing memes shares (CACHE_URL, or the embedded site's single process):
GALLERY_PAGE_SECONDS is 0 otherwise, and every page reads its memes and puts them together from cards.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.core.cache import cache, caches
from django.db import transaction
from django.middleware.csrf import get_token
from django.template import loader
from django.template.defaultfilters import urlencode
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

CARD_TEMPLATE = "gallery/_card.html"
CARD_SOURCES = (CARD_TEMPLATE, "gallery/_votes.html")  # what a card's markup comes from
CARD_SECONDS = 24 * 60 * 60  # cards are never stale (their key is their content): this only bounds their memory
VERSION_KEY = "gallery-version"
STARTER_HINT_KEY = "gallery-starter-hint"
STARTER_HINT_SECONDS = 60  # dropped at once by a template saved in this process (or any, with CACHE_URL)
PAGE_PARAMETERS = {"t", "sort"}  # a first page's address holds at most these (any other, a cursor too: not cached)


@dataclass(frozen=True)
class _Viewer:
    """The signed-in user as a card sees them: who they are only so far as their own meme is told apart."""

    pk: int
    is_authenticated: bool = True


class _Markers:
    """Stand-ins for what changes with each request, unguessable (from SECRET_KEY) so that no caption can fake one,
    and the same in every process, which may share the cached cards."""

    @cached_property
    def path(self) -> str:
        return salted_hmac("gallery.cards.path", "marker").hexdigest()[:32]

    @cached_property
    def csrf(self) -> str:
        return salted_hmac("gallery.cards.csrf", "marker").hexdigest()[:32]

    @cached_property
    def source(self) -> str:
        """The cards' markup, hashed: new markup (a new release) never serves cards cached by the old one."""
        sources = "\0".join(loader.get_template(name).template.source for name in CARD_SOURCES)
        return hashlib.blake2b(sources.encode(), digest_size=6).hexdigest()

    def get_full_path(self) -> str:  # the card's `request`
        return self.path


MARKERS = _Markers()


# The columns a page of cards reads: what card_key() holds, and each ranking's position for the page's cursor.
CARD_FIELDS = (
    "image", "lines", "ups", "downs", "score", "is_public", "is_hidden", "hot", "best", "created_at",
    "owner", "owner__username", "template", "template__slug", "template__name",
)  # fmt: skip


def _variant(user, meme, votes: dict[int, int]) -> str:
    if not user.is_authenticated:
        return "anonymous"
    if meme.owner_id == user.pk or not meme.in_gallery:
        return "onlooker"
    return f"voter{votes.get(meme.pk, 0)}"


def card_key(meme, variant: str) -> str:
    """Everything the card shows, hashed: a card cached under this key is the card of this meme as it is now."""
    template = meme.template
    shown = (
        meme.pk, meme.image.name, meme.lines, meme.ups, meme.downs, meme.is_public, meme.is_hidden, meme.owner_id,
        meme.owner.username, meme.template_id, template and template.slug, template and template.name, variant,
    )  # fmt: skip
    digest = hashlib.blake2b(repr(shown).encode(), digest_size=12).hexdigest()
    return f"card:{MARKERS.source}:{meme.pk}:{digest}"


def _card_render(meme, variant: str, user, votes: dict[int, int]) -> str:
    viewer = AnonymousUser() if variant == "anonymous" else _Viewer(user.pk)
    meme.my_vote = votes.get(meme.pk, 0)
    context = {"meme": meme, "user": viewer, "request": MARKERS, "csrf_token": MARKERS.csrf}
    return loader.get_template(CARD_TEMPLATE).render(context)


def cards_html(request, memes, votes: dict[int, int]) -> SafeString:
    """The cards of these memes for this viewer, from the cache where it has them, as one piece of markup."""
    user = request.user
    variants = [_variant(user, meme, votes) for meme in memes]
    keys = [card_key(meme, variant) for meme, variant in zip(memes, variants)]
    store = caches["gallery"]
    cached = store.get_many(keys)
    missing = {
        key: _card_render(meme, variant, user, votes)
        for meme, variant, key in zip(memes, variants, keys)
        if key not in cached
    }
    if missing:
        store.set_many(missing, CARD_SECONDS)
        cached |= missing
    html = "".join(cached[key] for key in keys)
    # A page is one viewer's: the address goes into forms (signed-in) or log-in links (anonymous).
    path = request.get_full_path()
    html = html.replace(MARKERS.path, conditional_escape(path) if user.is_authenticated else urlencode(path))
    if MARKERS.csrf in html:
        html = html.replace(MARKERS.csrf, get_token(request))
    return mark_safe(html)  # noqa: S308  (cards are rendered by the template engine, escaped there)


def starter_hint() -> SafeString:
    """The hint that a site with only its starter templates shows on the gallery (_starter_hint.html), without
    asking the database on every page."""
    hint = cache.get(STARTER_HINT_KEY)
    if hint is None:
        hint = loader.render_to_string("_starter_hint.html")
        cache.set(STARTER_HINT_KEY, hint, STARTER_HINT_SECONDS)
    return mark_safe(hint)  # noqa: S308  (rendered by the template engine)


def templates_changed() -> None:
    cache.delete(STARTER_HINT_KEY)
    gallery_changed()


# --- first pages from the shared cache -------------------------------------------------------------------------


def first_page_key(request) -> str | None:
    """The key of this request's listing if it is a first page that every viewer shares (no cursor, nothing but a
    period or ranking asked), and keeping them is on; else None. Its address is part of it: the page links to the
    next one by this host and scheme."""
    if not settings.GALLERY_PAGE_SECONDS or request.method not in ("GET", "HEAD"):
        return None
    if not set(request.GET) <= PAGE_PARAMETERS or any(len(values) > 1 for values in request.GET.lists()):
        return None
    return hashlib.blake2b(request.build_absolute_uri().encode(), digest_size=16).hexdigest()


def anonymous_page_key(request, first: str | None) -> str | None:
    """The key of the whole page, when an anonymous visitor asks for a first page (with no message waiting for them:
    such a page is their own)."""
    if first is None or request.user.is_authenticated or get_messages(request):
        return None
    return f"gallery-page:{first}"


def listing_key(first: str | None) -> str | None:
    """The key of a first page's memes, the same for every viewer: only their own votes are asked for."""
    return first and f"gallery-listing:{first}"


def shared_get(key: str) -> tuple[str, object | None]:
    """The gallery's version now, and what is cached under key if it was cached at that version."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), None)
        return cache.get(VERSION_KEY), None
    kept = found.get(key)
    return version, kept[1] if kept is not None and kept[0] == version else None


def shared_put(key: str, version: str, value) -> None:
    """Keep value under key as read at that version (read before the database was)."""
    cache.set(key, (version, value), settings.GALLERY_PAGE_SECONDS)


def gallery_changed() -> None:
    """Something a gallery page shows changed: the anonymous pages cached so far are old. A new version now, for
    this transaction's own reads, and once more after it commits: a page read before the commit and cached after
    the first change would otherwise hold the old rows under the new version."""

    def version_new():
        cache.set(VERSION_KEY, secrets.token_hex(8), None)

    version_new()
    transaction.on_commit(version_new)
