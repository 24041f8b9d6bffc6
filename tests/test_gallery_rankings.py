"""Rankings against orders worked out by hand from the formulas (hot: Reddit's; best: Wilson's lower bound)."""

from datetime import datetime, timedelta, timezone

import pytest
from django.test import Client
from django.utils import timezone as django_timezone

from gallery.services import vote_cast
from memes import ranking
from memes.models import Meme

from .conftest import make_meme, make_user

pytestmark = pytest.mark.django_db
Z = 1.281551565545


def test_hot_by_hand():
    # 12.5 hours after Reddit's epoch is one unit of time; a score of 10 is one unit of votes.
    created = ranking.HOT_EPOCH + timedelta(seconds=45000)
    assert ranking.hot(10, 0, created) == pytest.approx(2.0)
    assert ranking.hot(0, 10, created) == pytest.approx(0.0)
    assert ranking.hot(3, 3, created) == pytest.approx(1.0)
    assert ranking.hot(1, 0, created) == pytest.approx(1.0)  # log10(1) = 0: one vote weighs nothing yet
    assert ranking.hot(101, 1, created) == pytest.approx(3.0)


def test_best_by_hand():
    # One up vote of one: (1 + z²/2 − z·√(z²/4)) / (1 + z²) = 1 / (1 + z²).
    assert ranking.best(1, 0) == pytest.approx(1 / (1 + Z * Z))
    assert ranking.best(1, 0) == pytest.approx(0.378448, abs=1e-6)
    assert ranking.best(0, 0) == 0.0 and ranking.best(0, 5) == pytest.approx(0.0)
    # All up: the spread is z²/2n, so the bound is n / (n + z²).
    assert ranking.best(10, 0) == pytest.approx(10 / (10 + Z * Z))
    assert ranking.best(5, 1) == pytest.approx(0.574671, abs=1e-6)
    # More votes at the same share rank higher: the bound tightens.
    assert ranking.best(100, 20) > ranking.best(5, 1)


@pytest.fixture
def ranked_world(alice, template):
    """Six memes made at known times with known votes:

    name  made        ups downs  score  hot − now (12.5 h units)    best
    A     20 h ago     3    0      3    −1.6   + log10 3 = −1.123    3/(3+z²) = 0.6462
    B     7.5 h ago    0    0      0    −0.6             = −0.6      0
    C     13.75 h ago  0    1     −1    −1.1             = −1.1      0
    D     32.5 h ago  10    0     10    −2.6   + 1       = −1.6      10/(10+z²) = 0.8589
    E     3 days ago   5    1      4    −5.76  + log10 4 = −5.158    0.5747
    F     10 days ago 11    0     11    −19.2  + log10 11 = −18.16   11/(11+z²) = 0.8701
    """
    now = django_timezone.now()
    ages = {"A": timedelta(hours=20), "B": timedelta(hours=7.5), "C": timedelta(hours=13.75),
            "D": timedelta(hours=32.5), "E": timedelta(days=3), "F": timedelta(days=10)}  # fmt: skip
    votes = {"A": (3, 0), "B": (0, 0), "C": (0, 1), "D": (10, 0), "E": (5, 1), "F": (11, 0)}
    voters = [make_user(f"voter{number}") for number in range(12)]
    memes = {}
    for name in "FEDCAB":  # made in an order unlike any ranking's, so ids decide nothing
        memes[name] = make_meme(alice, template, [name], created_at=now - ages[name])
        ups, downs = votes[name]
        for voter in voters[:ups]:
            vote_cast(voter, memes[name].pk, 1)
        for voter in voters[ups : ups + downs]:
            vote_cast(voter, memes[name].pk, -1)
    return {meme.pk: name for name, meme in memes.items()}


def names(ranked_world, response) -> str:
    return "".join(ranked_world[meme["id"]] for meme in response.json()["results"])


@pytest.mark.parametrize(
    "query,expected",
    [
        ("sort=hot", "BCADEF"),
        ("sort=best", "FDAEBC"),  # B and C tie at 0: the later id (B, made last) first
        ("sort=top&period=day", "ABC"),
        ("sort=top&period=week", "DEABC"),
        ("sort=top&period=all", "FDEABC"),
        ("sort=new", "BCADEF"),
    ],
)
def test_api_rankings_match_the_hand_worked_order(ranked_world, client_for, query, expected):
    assert names(ranked_world, client_for().get(f"/api/memes/?{query}")) == expected


def test_the_hand_worked_best_values_are_stored(ranked_world):
    best = {ranked_world[meme.pk]: meme.best for meme in Meme.objects.all()}
    assert best["A"] == pytest.approx(0.6462, abs=1e-4)
    assert best["D"] == pytest.approx(0.8589, abs=1e-4)
    assert best["E"] == pytest.approx(0.5747, abs=1e-4)
    assert best["F"] == pytest.approx(0.8701, abs=1e-4)


def test_web_pages_show_the_same_orders(ranked_world):
    client = Client()
    for path, expected in [("/", "BCADEF"), ("/best/", "FDAEBC"), ("/top/?t=day", "ABC"), ("/new/", "BCADEF")]:
        page = client.get(path).content.decode()
        found = sorted((page.index(f'alt="{name}"'), name) for name in "ABCDEF" if f'alt="{name}"' in page)
        assert "".join(name for _, name in found) == expected, path


def test_cursor_pages_of_new_stay_put_while_memes_arrive(ranked_world, alice, template, client_for):
    client = client_for()
    first = client.get("/api/memes/?sort=new&page_size=2").json()
    make_meme(alice, template, ["newer than all"])  # arrives between the pages
    seen = [meme["id"] for meme in first["results"]]
    next_url = first["next"]
    while next_url:
        page = client.get(next_url).json()
        seen += [meme["id"] for meme in page["results"]]
        next_url = page["next"]
    assert "".join(ranked_world[pk] for pk in seen) == "BCADEF"


def test_template_and_user_pages_list_only_theirs(ranked_world, bob, template, client_for):
    other_template_meme = make_meme(bob, None, ["no template"])
    by_template = client_for().get(f"/api/memes/?sort=new&template={template.slug}").json()["results"]
    assert other_template_meme.pk not in [meme["id"] for meme in by_template] and len(by_template) == 6
    by_bob = client_for().get("/api/memes/?user=bob").json()["results"]
    assert [meme["id"] for meme in by_bob] == [other_template_meme.pk]
    page = Client().get(f"/t/{template.slug}/?sort=top&t=all").content.decode()
    assert page.index('alt="F"') < page.index('alt="D"') and 'alt="no template"' not in page


@pytest.mark.parametrize("query", ["sort=worst", "period=year", "template=nope", "user=nobody"])
def test_bad_listing_options_are_a_400_that_names_them(client_for, db, query):
    response = client_for().get(f"/api/memes/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


def test_hot_formula_uses_reddits_epoch():
    assert ranking.HOT_EPOCH == datetime(2005, 12, 8, 7, 46, 43, tzinfo=timezone.utc)
