from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from generator import sharing
from memes.models import Meme, Template
from memes.selectors import memes_in_gallery, memes_visible_to

from . import cards, services
from .forms import PeriodForm, VoteForm
from .pagination import gallery_page
from .selectors import RANKINGS, memes_of, memes_ranked, with_own_votes

TITLES = {"hot": "Hot memes", "best": "Best memes", "top": "Top memes", "new": "New memes"}
REMIXES_SHOWN = 24


def ranked_page(request, memes, ranking: str, template_name: str, context: dict, *, shared: bool = False):
    """Render a cursor page of memes in a ranking, each marked with the viewer's own vote.

    The first pages of a `shared` listing (the gallery's and a template's, the same memes for everyone) come from
    the cache while no meme has changed (gallery.cards): whole for anonymous visitors, the memes alone for others,
    who then ask only for their own votes."""
    period_form = PeriodForm(request.GET)
    if ranking not in RANKINGS or not period_form.is_valid():
        return HttpResponseBadRequest("Unknown ranking or period: use hot, best, top (t=day, week or all) or new.")
    first = cards.first_page_key(request) if shared else None
    page_key, listing_key = cards.anonymous_page_key(request, first), cards.listing_key(first)
    if page_key is not None:
        version, content = cards.shared_get(page_key)
        if content is not None:
            return HttpResponse(content)
    listing = None
    if listing_key is not None:
        version, listing = cards.shared_get(listing_key)
    period = period_form.cleaned_data["t"] or "week"
    if listing is None:
        memes = memes_ranked(memes, ranking, period).only(*cards.CARD_FIELDS)
        if listing_key is None:  # the viewer's votes in the same query, where the memes are theirs alone to see
            memes = with_own_votes(memes, request.user)
        listing = gallery_page(request, memes, ranking)
        if listing_key is not None:
            cards.shared_put(listing_key, version, listing)
    page, next_link, previous_link = listing
    if listing_key is None and request.user.is_authenticated:
        votes = {meme.pk: meme.my_vote or 0 for meme in page}
    else:
        votes = services.votes_of(request.user, page)
    context |= {
        "memes": page, "cards": cards.cards_html(request, page, votes), "starter_hint": cards.starter_hint(),
        "ranking": ranking, "period": period, "rankings": TITLES, "periods": ["day", "week", "all"],
        "next_link": next_link, "previous_link": previous_link,
    }  # fmt: skip
    response = render(request, template_name, context)
    if page_key is not None and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # no form of one visitor's in it
        cards.shared_put(page_key, version, response.content)
    return response


def gallery(request, ranking="hot"):
    return ranked_page(
        request, memes_in_gallery(), ranking, "gallery/list.html", {"heading": TITLES[ranking]}, shared=True
    )


def template_gallery(request, slug):
    template = get_object_or_404(Template, slug=slug)
    ranking = request.GET.get("sort", "hot")
    return ranked_page(
        request, memes_in_gallery().filter(template=template), ranking, "gallery/list.html",
        {"heading": f"{template.name} memes", "template": template}, shared=True,
    )  # fmt: skip


def meme(request, meme_id):
    meme = get_object_or_404(memes_visible_to(request.user), pk=meme_id)
    meme.my_vote = services.votes_of(request.user, [meme]).get(meme.pk, 0)
    visible = memes_visible_to(request.user)
    remixes = visible.filter(parent=meme).order_by("-created_at", "-id")[:REMIXES_SHOWN]
    parent = visible.filter(pk=meme.parent_id).first() if meme.parent_id else None
    text_url = sharing.template_url(meme.template, meme.lines) if meme.template else None
    return render(
        request, "gallery/meme.html", {"meme": meme, "remixes": remixes, "parent": parent, "text_url": text_url}
    )


def _error_text(error: PermissionDenied | ValidationError) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def _back(request, meme_id):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("gallery:meme", meme_id)


@login_required
@require_POST
def vote(request, meme_id):
    """The form behind the vote buttons when scripts are off; with scripts the page votes over the API."""
    form = VoteForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("A vote is 1 (up), -1 (down) or 0 (none).")
    get_object_or_404(memes_visible_to(request.user), pk=meme_id)
    try:
        services.vote_cast(request.user, meme_id, form.cleaned_data["value"])
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    return _back(request, meme_id)


@login_required
@require_POST
def report(request, meme_id):
    meme = get_object_or_404(memes_visible_to(request.user), pk=meme_id)
    try:
        services.meme_report(request.user, meme, request.POST.get("reason", ""))
        messages.success(request, "Thank you: staff will look at this meme.")
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    return redirect("gallery:meme", meme_id)


@login_required
@require_POST
def publish(request, meme_id):
    """The owner's button: into the public gallery, or private again."""
    meme = get_object_or_404(memes_visible_to(request.user), pk=meme_id)
    try:
        services.meme_publish(request.user, meme, public=request.POST.get("public") != "0")
        messages.success(request, "The meme is public." if meme.is_public else "The meme is private.")
    except PermissionDenied as error:
        messages.error(request, _error_text(error))
    return redirect("gallery:meme", meme_id)


@staff_member_required
@require_POST
def hide(request, meme_id):
    meme = get_object_or_404(Meme, pk=meme_id)
    services.meme_hide(meme, hidden=request.POST.get("hidden") != "0")
    messages.success(request, "The meme is hidden from the gallery." if meme.is_hidden else "The meme is back in the gallery.")
    return redirect("gallery:meme", meme_id)


def profile(request, username):
    """A user's page: their memes, ranked as the gallery ranks."""
    owner = get_object_or_404(get_user_model(), username=username, is_active=True)
    ranking = request.GET.get("sort", "new")
    return ranked_page(request, memes_of(owner, request.user), ranking, "gallery/profile.html", {"owner": owner})
