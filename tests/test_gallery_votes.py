"""Votes: one per user per meme, changed and undone, with the meme's stored tally always equal to its vote rows."""

import random
import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.test import Client

from accounts.models import User
from gallery.models import Vote
from gallery.services import vote_cast
from generator.models import Job
from memes import ranking
from memes.models import Meme

from .conftest import make_meme, make_user
from .test_making_memes import wait_for_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def meme(alice, template):
    return make_meme(alice, template, ["vote", "on me"])


def tally_of(meme) -> tuple[int, int, int]:
    meme.refresh_from_db()
    return meme.ups, meme.downs, meme.score


def test_up_then_down_then_undo(meme, bob, client_for):
    client = client_for(bob)
    answer = client.put(f"/api/memes/{meme.pk}/vote/", {"value": 1}, format="json").json()
    assert answer == {"meme": meme.pk, "ups": 1, "downs": 0, "score": 1, "vote": 1}
    assert tally_of(meme) == (1, 0, 1)

    answer = client.put(f"/api/memes/{meme.pk}/vote/", {"value": -1}, format="json").json()
    assert (answer["ups"], answer["downs"], answer["score"], answer["vote"]) == (0, 1, -1, -1)
    assert Vote.objects.get(meme=meme, user=bob).value == -1
    assert tally_of(meme) == (0, 1, -1)

    answer = client.delete(f"/api/memes/{meme.pk}/vote/").json()
    assert (answer["score"], answer["vote"]) == (0, 0)
    assert not Vote.objects.exists()
    assert tally_of(meme) == (0, 0, 0)


def test_voting_twice_the_same_way_changes_nothing(meme, bob):
    vote_cast(bob, meme.pk, 1)
    assert vote_cast(bob, meme.pk, 1).score == 1
    assert Vote.objects.count() == 1 and tally_of(meme) == (1, 0, 1)


def test_votes_move_hot_and_best(meme, bob, sam):
    before = Meme.objects.get(pk=meme.pk)
    assert before.hot == pytest.approx(ranking.hot(0, 0, before.created_at)) and before.best == 0
    vote_cast(bob, meme.pk, 1)
    vote_cast(sam, meme.pk, 1)
    after = Meme.objects.get(pk=meme.pk)
    assert after.hot == pytest.approx(before.hot + 0.30103, abs=1e-5)  # log10(2)
    assert after.best == pytest.approx(ranking.best(2, 0))


def test_the_list_and_the_meme_show_the_callers_own_vote(meme, bob, sam, client_for):
    vote_cast(bob, meme.pk, -1)
    listed = client_for(bob).get("/api/memes/?sort=new").json()["results"][0]
    assert (listed["id"], listed["vote"], listed["score"]) == (meme.pk, -1, -1)
    assert client_for(bob).get(f"/api/memes/{meme.pk}/").json()["vote"] == -1
    assert client_for(sam).get(f"/api/memes/{meme.pk}/").json()["vote"] == 0


@pytest.mark.parametrize("body", [{"value": 2}, {"value": "up"}, {}, {"value": None}])
def test_a_bad_vote_is_a_400_with_a_message(meme, bob, client_for, body):
    response = client_for(bob).put(f"/api/memes/{meme.pk}/vote/", body, format="json")
    assert response.status_code == 400 and "value" in response.json()["errors"]
    assert tally_of(meme) == (0, 0, 0)


def test_nobody_votes_on_their_own_meme(meme, alice, client_for):
    response = client_for(alice).put(f"/api/memes/{meme.pk}/vote/", {"value": 1}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "You can't vote on your own meme."
    assert tally_of(meme) == (0, 0, 0)


def test_a_missing_meme_is_a_404(bob, client_for):
    assert client_for(bob).put("/api/memes/999999/vote/", {"value": 1}, format="json").status_code == 404


def test_hidden_memes_take_no_votes(meme, bob, sam, client_for):
    Meme.objects.filter(pk=meme.pk).update(is_hidden=True)
    assert client_for(bob).put(f"/api/memes/{meme.pk}/vote/", {"value": 1}, format="json").status_code == 404
    response = client_for(sam).put(f"/api/memes/{meme.pk}/vote/", {"value": 1}, format="json")
    assert response.status_code == 400 and "hidden" in response.json()["detail"]


def test_the_database_allows_one_vote_per_user_and_meme(meme, bob):
    Vote.objects.create(meme=meme, user=bob, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(meme=meme, user=bob, value=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(meme=meme, user=make_user("carol"), value=5)


def test_the_web_buttons_vote_without_scripts(meme, bob):
    client = Client()
    client.force_login(bob)
    response = client.post(f"/m/{meme.pk}/vote/", {"value": "1", "next": "/new/"})
    assert response.status_code == 302 and response["Location"] == "/new/"
    assert tally_of(meme) == (1, 0, 1)
    page = client.get("/new/").content.decode()
    assert 'aria-label="Vote up" aria-pressed="true"' in page
    # An outside address in "next" is not followed.
    response = client.post(f"/m/{meme.pk}/vote/", {"value": "0", "next": "https://evil.example/"})
    assert response["Location"] == f"/m/{meme.pk}/"
    assert client.post(f"/m/{meme.pk}/vote/", {"value": "7"}).status_code == 400
    assert tally_of(meme) == (0, 0, 0)


def test_the_web_button_on_your_own_meme_says_why_not(meme, alice):
    client = Client()
    client.force_login(alice)
    page = client.post(f"/m/{meme.pk}/vote/", {"value": "1"}, follow=True).content.decode()
    assert "You can&#x27;t vote on your own meme." in page
    assert tally_of(meme) == (0, 0, 0)


def test_a_deleted_voter_takes_their_votes_off_the_tally(meme, alice, template, bob, sam, django_capture_on_commit_callbacks):
    other = make_meme(alice, template, ["another"])
    vote_cast(bob, meme.pk, 1)
    vote_cast(sam, meme.pk, -1)
    vote_cast(bob, other.pk, -1)
    with django_capture_on_commit_callbacks(execute=True):
        bob.delete()
    assert tally_of(meme) == (0, 1, -1)
    assert tally_of(other) == (0, 0, 0)
    assert Meme.objects.get(pk=other.pk).best == 0.0


def mismatched_tallies() -> list[int]:
    """Memes whose stored tally differs from their vote rows."""
    counted = Meme.objects.annotate(
        counted_ups=Count("votes", filter=Q(votes__value=1)), counted_downs=Count("votes", filter=Q(votes__value=-1))
    )
    return [meme.pk for meme in counted if (meme.ups, meme.downs) != (meme.counted_ups, meme.counted_downs)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_voters_flipping_votes_never_lose_one(alice, template):
    """Many threads, each its own database connection, vote, flip and undo on the same three memes; two threads
    share each voter so that one user's requests race too. Afterwards every tally equals its vote rows."""
    memes = [make_meme(alice, template, [f"meme {number}"]).pk for number in range(3)]
    voters = [make_user(f"voter{number}") for number in range(8)]
    errors = []
    start = threading.Barrier(16)

    def vote_many(voter: User, seed: int):
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(40):
                vote_cast(voter, rng.choice(memes), rng.choice([1, -1, 0, 1]))
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote_many, args=(voters[n % 8], n)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert mismatched_tallies() == []
    assert not Vote.objects.values("meme", "user").annotate(n=Count("id")).filter(n__gt=1).exists()
    for meme in Meme.objects.filter(pk__in=memes):
        assert meme.score == meme.ups - meme.downs
        assert meme.hot == pytest.approx(ranking.hot(meme.ups, meme.downs, meme.created_at))
        assert meme.best == pytest.approx(ranking.best(meme.ups, meme.downs))
    assert Vote.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_votes_cast_while_the_owner_redraws_are_all_kept(celery_worker, alice, template, client_for):
    """Voters (threads, each its own connection) vote on a meme while its owner picks caption after caption and
    the real worker redraws it: a redraw writes the new image and lines, never the tally it read before drawing."""
    meme = make_meme(alice, template, ["first", "caption"])
    candidates = [["first", "caption"], ["second", "caption"], ["third", "one"], ["fourth", "one"]]
    job = Job.objects.create(
        owner=alice, kind=Meme.Source.TITLE, template=template, title="redraws", lines=candidates[0],
        candidates=candidates, status=Job.Status.SUCCEEDED, meme=meme,
    )  # fmt: skip
    voters = [make_user(f"voter{number}") for number in range(6)]
    redrawing, errors = threading.Event(), []

    def vote_while_redrawing(voter: User, seed: int):
        rng = random.Random(seed)
        try:
            while not redrawing.is_set():
                vote_cast(voter, meme.pk, rng.choice([1, -1, 0, 1]))
                time.sleep(0.001)
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote_while_redrawing, args=(voter, n)) for n, voter in enumerate(voters)]
    for thread in threads:
        thread.start()
    owner = client_for(alice)
    try:
        for redraw in range(1, 9):
            answer = owner.post(f"/api/jobs/{job.id}/choose/", {"candidate": redraw % 4}, format="json")
            assert answer.status_code == 202
            assert wait_for_job(job.id).status == Job.Status.SUCCEEDED
    finally:
        redrawing.set()
        for thread in threads:
            thread.join()

    assert errors == []
    assert mismatched_tallies() == []
    meme.refresh_from_db()
    assert meme.lines == candidates[0] and Vote.objects.filter(meme=meme).exists()
    assert meme.hot == pytest.approx(ranking.hot(meme.ups, meme.downs, meme.created_at))
    assert meme.best == pytest.approx(ranking.best(meme.ups, meme.downs))
