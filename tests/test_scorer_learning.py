"""The caption scorer learns from the site's votes: up and down votes become pairs, the active scorer is fine-tuned
on them, and the new one replaces it only if it ranks held-out pairs better; title mode's ranking weighs the active
scorer."""

import pytest
from django.test import Client

from captions import scoring
from captions.models import ScorerVersion
from captions.services import is_held_out
from memes.models import Meme

from .conftest import make_user
from .test_learning_loop import site_template

pytestmark = pytest.mark.django_db(transaction=True)

LIKED, DISLIKED = "zebra", "walrus"  # words the bundled scorer has no clear taste between
FILLERS = ["my boss", "the weekend", "my code", "the printer", "monday morning", "my cat", "the wifi", "my diet"]


@pytest.fixture
def few_pairs_needed(settings, tmp_path):
    settings.SCORER_MIN_PAIRS, settings.SCORER_MIN_HELDOUT_PAIRS = 40, 10
    settings.SCORER_MODELS_DIR = tmp_path / "scorers"


def voted_memes(n, *, heldout_reversed=False):
    """n gallery memes on one template, half with the liked word (9 up, 1 down), half with the disliked one
    (1 up, 9 down); with heldout_reversed, the held-out memes' votes go the other way."""
    template = site_template("pets", "Pet Life", 2)
    author = make_user("author")
    memes = Meme.objects.bulk_create(
        Meme(owner=author, template=template, lines=[FILLERS[i % len(FILLERS)], f"{(LIKED, DISLIKED)[i % 2]} again"],
             image="memes/x.jpg", is_public=True)
        for i in range(n)
    )  # fmt: skip
    for meme in memes:
        liked = LIKED in meme.lines[1]
        if heldout_reversed and is_held_out(meme.pk):
            liked = not liked
        Meme.objects.filter(pk=meme.pk).update(ups=9 if liked else 1, downs=1 if liked else 9)
    return memes


def preference(scorer) -> float:
    return scorer.prefer("pets", ["my boss", f"{LIKED} again"], ["my boss", f"{DISLIKED} again"])


def test_site_votes_become_pairs_only_between_memes_with_enough_votes(few_pairs_needed):
    memes = voted_memes(40)
    Meme.objects.filter(pk=memes[0].pk).update(ups=2, downs=1)  # too few votes to compare
    Meme.objects.filter(pk=memes[1].pk).update(is_public=False)  # private: never learned from
    train, heldout = scoring.site_vote_memes()
    ids = {m.meme_id for m in train + heldout}
    assert f"site:{memes[0].pk}" not in ids and f"site:{memes[1].pk}" not in ids and len(ids) == 38
    assert all(is_held_out(int(m.meme_id.split(":")[1])) for m in heldout)
    for pair in scoring._pairs(train):
        assert LIKED in train[pair.better].boxes[1] and DISLIKED in train[pair.worse].boxes[1]


def test_too_few_votes_retrain_nothing(few_pairs_needed):
    voted_memes(6)
    outcome = scoring.scorer_retrain(run_id=1)
    assert "so far" in outcome
    assert not ScorerVersion.objects.exclude(state=ScorerVersion.State.BUNDLED).exists()
    assert scoring.scorer_version_active().state == ScorerVersion.State.BUNDLED


def test_a_scorer_that_learned_the_sites_taste_is_promoted_and_title_mode_weighs_it(few_pairs_needed):
    voted_memes(240)
    bundled = scoring.scorer_version_active()
    before = preference(scoring.scorer_loaded())
    outcome = scoring.scorer_retrain(run_id=7)
    active = scoring.scorer_version_active()
    assert "promoted" in outcome and active != bundled and active.base == bundled, outcome
    assert active.state == ScorerVersion.State.PROMOTED
    assert active.gate["candidate"] > active.gate["active"] and active.gate["heldout_pairs"] >= 10
    after = preference(scoring.scorer_loaded())
    assert after > before + 0.1
    taste = scoring.taste_for("pets")
    liked, disliked = taste([["my boss", f"{LIKED} again"], ["my boss", f"{DISLIKED} again"]])
    assert liked > disliked


def test_a_scorer_that_ranks_held_out_pairs_worse_is_rejected(few_pairs_needed):
    voted_memes(240, heldout_reversed=True)
    bundled = scoring.scorer_version_active()
    outcome = scoring.scorer_retrain(run_id=8)
    assert "rejected" in outcome, outcome
    rejected = ScorerVersion.objects.exclude(pk=bundled.pk).get()
    assert rejected.state == ScorerVersion.State.REJECTED and not rejected.is_active
    assert rejected.gate["candidate"] < rejected.gate["active"]
    assert scoring.scorer_version_active() == bundled


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_every_scorer_version_and_roll_back(few_pairs_needed):
    voted_memes(240)
    bundled = scoring.scorer_version_active()
    scoring.scorer_retrain(run_id=9)
    promoted = scoring.scorer_version_active()
    assert promoted != bundled
    staff = make_user("root", is_staff=True, is_superuser=True)
    page = signed_in(staff).get("/admin/captions/scorerversion/")
    assert page.status_code == 200 and bundled.name in page.content.decode() and "pairs" in page.content.decode()
    answer = signed_in(staff).post("/admin/captions/scorerversion/", {"action": "activate", "_selected_action": [bundled.pk]})
    assert answer.status_code == 302 and scoring.scorer_version_active() == bundled
    voter = make_user("voter")
    assert signed_in(voter).get("/admin/captions/scorerversion/").status_code == 302  # to the admin's log-in
