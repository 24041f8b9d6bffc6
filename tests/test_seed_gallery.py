"""seed_gallery: a benchmark data set whose stored tallies and rankings agree with its vote rows."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from gallery import ranking
from gallery.models import Vote
from generator.models import Meme

from .test_gallery_votes import mismatched_tallies

pytestmark = pytest.mark.django_db


def test_a_small_seed_is_consistent(template):
    call_command("seed_gallery", users=100, memes=200, votes=2000, days=10)
    assert Meme.objects.count() == 200 and Vote.objects.count() == 2000
    assert not Vote.objects.values("meme", "user").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Vote.objects.filter(user=F("meme__owner")).exists()
    assert mismatched_tallies() == []
    for meme in Meme.objects.all():
        assert meme.hot == pytest.approx(ranking.hot(meme.ups, meme.downs, meme.created_at))
        assert meme.best == pytest.approx(ranking.best(meme.ups, meme.downs))
    ups = Vote.objects.filter(value=Vote.UP).count()
    assert 0.55 < ups / 2000 < 0.85  # about 70% up
    busiest = Meme.objects.order_by("-ups").first()
    assert busiest.ups + busiest.downs > 3 * 2000 / 200  # popularity is skewed


@pytest.mark.parametrize(
    "options,message",
    [
        ({"users": -1}, "must be 0 or more"),
        ({"users": 1, "memes": 5, "votes": 1}, "at least two users"),
        ({"users": 3, "memes": 2, "votes": 100}, "too many"),
    ],
)
def test_impossible_sizes_are_refused(template, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_gallery", **{"users": 10, "memes": 10, "votes": 10, **options})
    assert not Meme.objects.exists()


def test_memes_need_templates(db):
    with pytest.raises(CommandError, match="load_starter_templates"):
        call_command("seed_gallery", users=5, memes=5, votes=0)
