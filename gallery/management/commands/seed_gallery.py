"""Fill the gallery with made-up users, memes and votes: a benchmark data set whose stored tallies and rankings
agree with its vote rows, built in bulk (a million votes in about a minute on PostgreSQL)."""

import io
import time
from datetime import timedelta

import numpy as np
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from tqdm import tqdm

from accounts.models import User, username_key
from gallery.cards import gallery_changed
from gallery.models import Vote
from memes import ranking
from memes.models import Meme, Template

BATCH = 5000
USERNAME_PREFIX = "seed-user-"
SUBJECTS = ("my code", "the intern", "monday", "my cat", "the printer", "the wifi", "my diet", "group projects",
            "my plants", "the deadline", "my alarm clock", "the meeting")  # fmt: skip
PUNCHLINES = ("works on my machine", "is on fire again", "needs more coffee", "was a mistake", "never again",
              "at 3 am", "before the weekend", "one more time")  # fmt: skip
POPULARITY_SIGMA = 1.2  # log-normal spread of how many votes memes draw: a few get hundreds, most a handful
UP_SHARE = (7, 3)  # each meme's share of up votes is Beta(7, 3): 70% up on average, some memes liked less


class Command(BaseCommand):
    help = (
        "Add made-up users (seed-user-NNNNN, one shared password), memes and votes to the gallery, on top of "
        "whatever is there. Votes go to memes by a skewed popularity, about 70% up, never twice by one user on "
        "a meme nor on the voter's own; the memes' stored tallies and rankings are computed from those votes. "
        "All memes share one small image."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=2000)
        parser.add_argument("--memes", type=int, default=100_000)
        parser.add_argument("--votes", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=30, help="Memes are spread over this many past days.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the random choices.")

    def handle(self, users, memes, votes, days, seed, **options):
        _sizes_check(users, memes, votes, days)
        templates = list(Template.objects.values_list("pk", flat=True))
        if memes and not templates:
            raise CommandError("There are no templates: run `manage.py load_starter_templates` first.")
        started = time.perf_counter()
        rng = np.random.default_rng(seed)
        with transaction.atomic():
            user_ids = np.array(_users_create(users))
            owners = rng.integers(users, size=memes)
            voters, voted, values = _votes_draw(rng, owners, users, votes)
            meme_ids = _memes_create(rng, user_ids[owners], templates, days, voted, values)
            _votes_insert(user_ids[voters], meme_ids[voted], values)
            gallery_changed()  # bulk inserts send no signals
        self.stdout.write(self.style.SUCCESS(
            f"Added {users} users, {memes} memes and {votes} votes in {time.perf_counter() - started:.1f} s."
        ))  # fmt: skip


def _sizes_check(users: int, memes: int, votes: int, days: int) -> None:
    if min(users, memes, votes) < 0:
        raise CommandError("--users, --memes and --votes must be 0 or more.")
    if days < 1:
        raise CommandError("--days must be at least 1.")
    if memes and not users:
        raise CommandError("Memes need owners: give --users 1 or more.")
    pairs = memes * max(users - 1, 0)
    if votes > pairs:
        raise CommandError(
            f"--votes {votes} is too many: {users} users and {memes} memes make only {pairs} (voter, meme) pairs "
            "(one vote per user and meme, none on the voter's own meme)."
        )


def _users_create(count: int) -> list[int]:
    """Numbered after the seeded users already there, so that seeding again adds more."""
    taken = User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("username", flat=True)
    numbers = [name.removeprefix(USERNAME_PREFIX) for name in taken]
    first = 1 + max((int(number) for number in numbers if number.isdigit()), default=0)
    password = make_password("seeded user password")  # hashed once: 2000 hashes would take longer than the rest
    names = [f"{USERNAME_PREFIX}{first + n:05d}" for n in range(count)]
    # bulk_create does not call save(), which sets each user's username_key
    users = [User(username=name, username_key=username_key(name), password=password) for name in names]
    created = []
    for start in tqdm(range(0, count, BATCH), desc="users", unit="batch"):
        created += User.objects.bulk_create(users[start : start + BATCH])
    return [user.pk for user in created]


def _votes_draw(rng, owners: np.ndarray, n_users: int, n_votes: int):
    """(voter, meme, value) index arrays: each meme's number of votes from its popularity, its voters distinct
    and never its owner, each vote up with the meme's own chance."""
    n_memes = len(owners)
    if n_votes == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    counts = _votes_per_meme(rng, n_memes, n_users - 1, n_votes)
    voted, offsets = _distinct_offsets(rng, counts, n_users - 1)
    voters = (owners[voted] + 1 + offsets) % n_users  # offsets stop one short of the owner
    liking = rng.beta(*UP_SHARE, size=n_memes)
    values = np.where(rng.random(n_votes) < liking[voted], Vote.UP, Vote.DOWN)
    return voters, voted, values


def _votes_per_meme(rng, n_memes: int, capacity: int, n_votes: int) -> np.ndarray:
    """Votes per meme in proportion to a log-normal popularity; what a full meme (every other user voted)
    cannot take goes to the others."""
    popularity = rng.lognormal(0.0, POPULARITY_SIGMA, size=n_memes)
    counts = np.zeros(n_memes, dtype=np.int64)
    while (left := n_votes - int(counts.sum())) > 0:
        weights = popularity * (counts < capacity)
        counts = np.minimum(counts + rng.multinomial(left, weights / weights.sum()), capacity)
    return counts


def _distinct_offsets(rng, counts: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """For each meme i, counts[i] distinct numbers below `space`, as (meme, number) arrays. A meme wanting more
    than half of them draws the ones it leaves out instead, so that redrawing repeats ends quickly."""
    dense = counts > space // 2
    drawn = _draws_without_repeats(rng, np.where(dense, space - counts, counts), space)
    if not dense.any():
        return drawn // space, drawn % space
    dense_memes = np.flatnonzero(dense)
    every = (np.repeat(dense_memes, space) * space + np.tile(np.arange(space), len(dense_memes)))
    kept = np.concatenate([drawn[~dense[drawn // space]], every[~np.isin(every, drawn)]])
    return kept // space, kept % space


def _draws_without_repeats(rng, counts: np.ndarray, space: int) -> np.ndarray:
    """Keys meme * space + number, counts[meme] distinct ones per meme: draw what is missing until none is."""
    keys = np.zeros(0, dtype=np.int64)
    missing = counts
    while missing.any():
        memes = np.repeat(np.arange(len(counts)), missing)
        keys = np.sort(np.concatenate([keys, memes * space + rng.integers(space, size=len(memes))]))
        keys = keys[np.diff(keys, prepend=-1) != 0]  # np.unique, but many times faster here
        missing = counts - np.bincount(keys // space, minlength=len(counts))
    return keys


def _memes_create(rng, owner_ids, templates, days: int, voted, values) -> np.ndarray:
    """Insert the memes with the tallies and rankings of the votes they are about to get; their ids."""
    n_memes = len(owner_ids)
    ups = np.bincount(voted[values == Vote.UP], minlength=n_memes).tolist()
    downs = np.bincount(voted[values == Vote.DOWN], minlength=n_memes).tolist()
    now = timezone.now()
    ages = rng.uniform(0, days * 86400, size=n_memes).tolist()
    template_ids = rng.choice(templates, size=n_memes).tolist() if n_memes else []
    subjects = rng.integers(len(SUBJECTS), size=n_memes).tolist()
    punchlines = rng.integers(len(PUNCHLINES), size=n_memes).tolist()
    image = _shared_image()
    memes = []
    for n, owner_id in enumerate(owner_ids.tolist()):
        created, up, down = now - timedelta(seconds=ages[n]), ups[n], downs[n]
        memes.append(Meme(
            owner_id=owner_id, template_id=template_ids[n], image=image, created_at=created,
            lines=[SUBJECTS[subjects[n]], PUNCHLINES[punchlines[n]]],
            ups=up, downs=down, score=up - down, hot=ranking.hot(up, down, created), best=ranking.best(up, down),
        ))  # fmt: skip
    created_ids = []
    for start in tqdm(range(0, n_memes, BATCH), desc="memes", unit="batch"):
        created_ids += [meme.pk for meme in Meme.objects.bulk_create(memes[start : start + BATCH])]
    return np.array(created_ids, dtype=np.int64)


def _shared_image() -> str:
    """One small JPEG that every seeded meme points at, rather than a file per meme."""
    image = Image.new("RGB", (320, 240), (96, 96, 110))
    ImageDraw.Draw(image).text((110, 112), "seeded meme", fill=(240, 240, 240))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return Meme._meta.get_field("image").storage.save("memes/seeded.jpg", ContentFile(buffer.getvalue()))


def _votes_insert(user_ids, meme_ids, values) -> None:
    rows = zip(user_ids.tolist(), meme_ids.tolist(), values.tolist())
    now = timezone.now()
    if connection.vendor == "postgresql":
        # COPY: a million votes in 16 s here, where bulk_create took 78 s.
        sql = f"COPY {Vote._meta.db_table} (user_id, meme_id, value, created_at, updated_at) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for user_id, meme_id, value in tqdm(rows, total=len(values), desc="votes", unit="vote", mininterval=1):
                copy.write_row((user_id, meme_id, value, now, now))
        return
    votes = [Vote(user_id=user_id, meme_id=meme_id, value=value) for user_id, meme_id, value in rows]
    for start in tqdm(range(0, len(votes), BATCH), desc="votes", unit="batch"):
        Vote.objects.bulk_create(votes[start : start + BATCH])
