"""seed_gallery: a benchmark data set whose stored tallies and rankings agree with its vote rows."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q

from accounts.models import User
from gallery.models import Vote
from memes import ranking
from memes.models import Meme

pytestmark = pytest.mark.django_db


def seed(**sizes):
    call_command("seed_gallery", **{"users": 30, "memes": 200, "votes": 2000, "days": 10, **sizes})


def tallies_differing_from_votes() -> list[int]:
    counted = Meme.objects.annotate(
        counted_ups=Count("votes", filter=Q(votes__value=Vote.UP)),
        counted_downs=Count("votes", filter=Q(votes__value=Vote.DOWN)),
    )
    return [
        meme.pk for meme in counted
        if (meme.ups, meme.downs) != (meme.counted_ups, meme.counted_downs) or meme.score != meme.ups - meme.downs
    ]  # fmt: skip


def test_a_small_seed_is_consistent(template):
    seed()
    assert User.objects.filter(username__startswith="seed-user-", is_active=True).count() == 30
    assert Meme.objects.count() == 200 and Vote.objects.count() == 2000
    assert not Vote.objects.values("meme", "user").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Vote.objects.filter(user=F("meme__owner")).exists()
    assert tallies_differing_from_votes() == []
    for meme in Meme.objects.all():
        assert meme.hot == pytest.approx(ranking.hot(meme.ups, meme.downs, meme.created_at), abs=1e-9)
        assert meme.best == pytest.approx(ranking.best(meme.ups, meme.downs), abs=1e-9)
    assert len(set(Meme.objects.values_list("image", flat=True))) == 1  # one shared file, not one per meme
    assert 0.6 < Vote.objects.filter(value=Vote.UP).count() / 2000 < 0.8  # about 70% up
    busiest = Meme.objects.order_by("-ups", "-downs").first()
    assert busiest.ups + busiest.downs > 2 * 2000 / 200  # popularity is skewed


def test_users_sharing_one_password_can_sign_in(template, client):
    seed(users=3, memes=2, votes=0)
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert client.login(username="seed-user-00001", password="seeded user password")


def test_seeding_again_adds_to_what_is_there(template):
    seed(users=5, memes=10, votes=20)
    seed(users=5, memes=10, votes=20, seed=1)
    assert User.objects.filter(username="seed-user-00010").exists()
    assert Meme.objects.count() == 20 and Vote.objects.count() == 40
    assert tallies_differing_from_votes() == []


def test_every_possible_vote_can_be_seeded(template):
    """4 users and 5 memes make 5 × 3 (voter, meme) pairs: all of them, once each."""
    seed(users=4, memes=5, votes=15)
    assert Vote.objects.count() == 15
    assert not Vote.objects.filter(user=F("meme__owner")).exists()
    assert all(meme.ups + meme.downs == 3 for meme in Meme.objects.all())
    assert tallies_differing_from_votes() == []


@pytest.mark.parametrize("users,memes", [(0, 0), (4, 0), (4, 3)])
def test_sizes_with_nothing_to_vote_on_add_no_votes(template, users, memes):
    seed(users=users, memes=memes, votes=0)
    assert (User.objects.count(), Meme.objects.count(), Vote.objects.count()) == (users, memes, 0)


@pytest.mark.parametrize(
    "sizes,message",
    [
        ({"users": -1}, "must be 0 or more"),
        ({"votes": -5}, "must be 0 or more"),
        ({"days": 0}, "at least 1"),
        ({"users": 0, "votes": 0}, "Memes need owners"),
        ({"users": 1, "memes": 5, "votes": 1}, "too many"),
        ({"users": 3, "memes": 2, "votes": 5}, "only 4 .voter, meme. pairs"),
    ],
)
def test_impossible_sizes_are_refused(template, sizes, message):
    with pytest.raises(CommandError, match=message):
        seed(**sizes)
    assert not Meme.objects.exists() and not User.objects.exists()


def test_memes_need_templates(db):
    with pytest.raises(CommandError, match="load_starter_templates"):
        seed(users=5, memes=5, votes=0)
