"""Fill the gallery with made-up users, memes and votes, for benchmarks and for trying the rankings out."""

import io
import time
from datetime import timedelta

import numpy as np
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image
from tqdm import tqdm

from accounts.models import User
from gallery import ranking
from gallery.models import Vote
from generator.models import Meme, Template

BATCH = 5000
SUBJECTS = ("my code", "the intern", "monday", "my cat", "the printer", "the wifi", "my diet", "group projects")
PUNCHLINES = ("works on my machine", "is on fire again", "needs more coffee", "was a mistake", "never again")


class Command(BaseCommand):
    help = (
        "Add made-up users, memes and votes to the gallery (added to what is there): popularity is skewed, "
        "about 70% of votes are up, nobody votes twice on a meme or on their own. Every meme shares one image."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=2000)
        parser.add_argument("--memes", type=int, default=100_000)
        parser.add_argument("--votes", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=30, help="Memes are spread over this many past days.")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, users, memes, votes, days, seed, **options):
        if min(users, memes, votes) < 0 or days < 1:
            raise CommandError("--users, --memes and --votes must be 0 or more, and --days at least 1.")
        if votes and (users < 2 or memes < 1):
            raise CommandError("Votes need memes and at least two users (nobody votes on their own meme).")
        if votes > memes * (users - 1) // 2:
            raise CommandError(f"{votes} votes is too many for {memes} memes and {users} users: at most half of the "
                               f"{memes * (users - 1)} possible (voter, meme) pairs can be drawn.")  # fmt: skip
        templates = list(Template.objects.values_list("pk", flat=True))
        if memes and not templates:
            raise CommandError("There are no templates: run `manage.py load_starter_templates` first.")
        started = time.perf_counter()
        rng = np.random.default_rng(seed)
        with transaction.atomic():
            user_ids = self._users(users, seed)
            meme_ids = self._memes(rng, memes, user_ids, templates, days, votes)
        self.stdout.write(self.style.SUCCESS(
            f"Added {len(user_ids)} users, {len(meme_ids)} memes and {votes} votes in {time.perf_counter() - started:.1f} s."
        ))  # fmt: skip

    def _users(self, count: int, seed: int) -> list[int]:
        password = make_password("seeded user")  # hashed once: hashing 2000 times would take longer than the rest
        first = User.objects.count()
        users = [User(username=f"seed{seed}-user-{first + n:06d}", password=password) for n in range(count)]
        created = []
        for start in tqdm(range(0, count, BATCH), desc="users (batches)"):
            created += User.objects.bulk_create(users[start : start + BATCH])
        return [user.pk for user in created]

    def _memes(self, rng, count, user_ids, templates, days, n_votes):
        now = timezone.now()
        image = _shared_image()
        owners = rng.integers(len(user_ids), size=count)
        ages = rng.uniform(0, days * 86400, size=count)
        voter_index, meme_index, values = _draw_votes(rng, count, len(user_ids), owners, n_votes)
        ups = np.bincount(meme_index[values > 0], minlength=count)
        downs = np.bincount(meme_index[values < 0], minlength=count)
        memes = []
        for n in range(count):
            created = now - timedelta(seconds=float(ages[n]))
            up, down = int(ups[n]), int(downs[n])
            lines = [str(rng.choice(SUBJECTS)), str(rng.choice(PUNCHLINES))]
            memes.append(Meme(
                owner_id=user_ids[owners[n]], template_id=templates[n % len(templates)], lines=lines, image=image,
                ups=up, downs=down, score=up - down, hot=ranking.hot(up, down, created), best=ranking.best(up, down),
                created_at=created,
            ))  # fmt: skip
        created_memes = []
        for start in tqdm(range(0, count, BATCH), desc="memes (batches)"):
            created_memes += Meme.objects.bulk_create(memes[start : start + BATCH])
        meme_ids = np.array([meme.pk for meme in created_memes])
        _insert_votes(np.array(user_ids)[voter_index], meme_ids[meme_index], values, now)
        return meme_ids


def _shared_image() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 120, 120)).save(buffer, format="JPEG")
    return default_storage.save("memes/seeded.jpg", ContentFile(buffer.getvalue()))


def _draw_votes(rng, n_memes, n_users, owners, n_votes):
    """(voter, meme, value) arrays: memes drawn by a skewed (log-normal) popularity, each meme with its own share
    of up votes (beta, mean 0.7); (voter, meme) pairs unique; nobody on their own meme."""
    if n_votes == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    popularity = rng.lognormal(0.0, 1.2, size=n_memes)
    popularity /= popularity.sum()
    liking = rng.beta(7, 3, size=n_memes)
    voters, memes = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    while len(voters) < n_votes:  # draw more than needed, drop repeats and self-votes, until there are enough
        extra = int((n_votes - len(voters)) * 1.3) + 100
        voters = np.concatenate([voters, rng.integers(n_users, size=extra)])
        memes = np.concatenate([memes, rng.choice(n_memes, size=extra, p=popularity)])
        keep = owners[memes] != voters
        voters, memes = voters[keep], memes[keep]
        _, first = np.unique(memes * n_users + voters, return_index=True)
        first.sort()
        voters, memes = voters[first], memes[first]
    voters, memes = voters[:n_votes], memes[:n_votes]
    values = np.where(rng.random(n_votes) < liking[memes], Vote.UP, Vote.DOWN)
    return voters, memes, values


def _insert_votes(user_ids, meme_ids, values, now) -> None:
    if connection.vendor == "postgresql":
        # COPY: a million rows in seconds, where bulk_create takes minutes.
        table = Vote._meta.db_table
        with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} (user_id, meme_id, value, created_at, updated_at) FROM STDIN"
        ) as copy:
            for user, meme, value in tqdm(zip(user_ids.tolist(), meme_ids.tolist(), values.tolist()), total=len(values), desc="votes", mininterval=2):
                copy.write_row((user, meme, value, now, now))
        return
    rows = [Vote(user_id=u, meme_id=m, value=v) for u, m, v in zip(user_ids.tolist(), meme_ids.tolist(), values.tolist())]
    for start in tqdm(range(0, len(rows), BATCH), desc="votes (batches)"):
        Vote.objects.bulk_create(rows[start : start + BATCH])
