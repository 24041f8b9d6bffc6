"""The gallery at 100k memes on PostgreSQL: page latency and query counts, votes per second, tallies checked.

Builds (once; later runs reuse it) a data set in its own database with `manage.py seed_gallery --users 2000
--memes 100000 --votes 1000000`, then:
- p50/p95 ms and SQL queries of the hot, best, top-week and new pages (web and API), a second cursor page of
  new, a template's page and a user's page, for a logged-in user (whose own votes are one query), in-process
  with Django's test client (goal p95 <= 60 ms, <= 6 queries); the plans go to var/bench/gallery_plans.txt;
- votes per second from 32 keep-alive clients over loopback against the running ASGI server (`runsite
  --no-worker`, Redis as channel layer, so every vote is also broadcast), goal >= 400 on 2 cores;
- then one query comparing every meme's stored tally with its vote rows (must be 0 mismatches).

Run from the repository root: python bench/bench_gallery.py
  env BENCH_GALLERY_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/slowmeme_gallery; created when
  missing) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/4; flushed).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_GALLERY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/slowmeme_gallery")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
SIZES = {"users": 2000, "memes": 100_000, "votes": 1_000_000}
REQUESTS, WARMUPS, CLIENTS, VOTE_SECONDS = 50, 5, 32, 15
PLANS = ROOT / "var" / "bench" / "gallery_plans.txt"


def database_ensure() -> None:
    import psycopg

    url = urllib.parse.urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def percentile(values, share) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def pages_measure(user, template_slug, owner_name) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    second_new = json.loads(client.get("/api/memes/?sort=new").content)["next"].split("/api/memes/")[1]
    pages = {
        "hot_page": "/", "best_page": "/best/", "top_week_page": "/top/?t=week", "new_page": "/new/",
        "new_page_2": f"/new/{second_new}", "template_page": f"/t/{template_slug}/", "user_page": f"/u/{owner_name}/",
        "api_hot": "/api/memes/?sort=hot", "api_best": "/api/memes/?sort=best",
        "api_top_week": "/api/memes/?sort=top&period=week", "api_new": "/api/memes/?sort=new",
    }  # fmt: skip
    for name, path in pages.items():
        for _ in range(WARMUPS):
            assert client.get(path).status_code == 200, path
        timings = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        print(f"gallery_{name}_p50: {statistics.median(timings):.1f} ms")
        print(f"gallery_{name}_p95: {percentile(timings, 0.95):.1f} ms")
        print(f"gallery_{name}_queries: {len(queries)} queries", flush=True)


def plans_write(template_slug) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from gallery.selectors import gallery_memes
    from generator.models import Template

    template = Template.objects.get(slug=template_slug)
    PLANS.parent.mkdir(parents=True, exist_ok=True)
    with PLANS.open("w") as out, connection.cursor() as cursor:
        for label, memes in [
            ("hot", gallery_memes(AnonymousUser(), "hot")), ("best", gallery_memes(AnonymousUser(), "best")),
            ("top week", gallery_memes(AnonymousUser(), "top", "week")), ("new", gallery_memes(AnonymousUser(), "new")),
            ("template hot", gallery_memes(AnonymousUser(), "hot", template=template)),
        ]:  # fmt: skip
            sql, params = memes[:25].query.sql_with_params()
            cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
            out.write(f"-- {label}\n" + "\n".join(row[0] for row in cursor.fetchall()) + "\n\n")
    print(f"# query plans in {PLANS.relative_to(ROOT)}")


async def vote_client(port: int, token: str, targets: list[int], deadline: float, latencies: list, errors: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random(token)
    while time.perf_counter() < deadline:
        body = json.dumps({"value": rng.choice([1, 1, -1, 0])}).encode()
        request = (
            f"PUT /api/memes/{rng.choice(targets)}/vote/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - started) * 1000)
        if not head.startswith(b"HTTP/1.1 200"):
            errors.append(head.split(b"\r\n")[0].decode())
    writer.close()


async def votes_drive(port: int, clients: list[tuple[str, list[int]]]) -> tuple[list, list, float]:
    latencies, errors = [], []
    started = time.perf_counter()
    deadline = started + VOTE_SECONDS
    await asyncio.gather(*(vote_client(port, token, targets, deadline, latencies, errors) for token, targets in clients))
    return latencies, errors, time.perf_counter() - started


def votes_measure(env: dict) -> None:
    import redis
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from generator.models import Meme

    redis.Redis.from_url(REDIS_URL).flushdb()
    voters = list(User.objects.filter(username__startswith="seed").order_by("pk")[:CLIENTS])
    popular = list(Meme.objects.order_by("-hot").values_list("pk", "owner_id")[:2000])
    clients = [(Token.objects.get_or_create(user=voter)[0].key, [pk for pk, owner in popular if owner != voter.pk]) for voter in voters]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server_env = {**env, "REDIS_URL": REDIS_URL, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "0"}
    log = (ROOT / "var" / "bench" / "gallery_server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runsite", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start; see var/bench/gallery_server.log") from None
                time.sleep(0.2)
        latencies, errors, seconds = asyncio.run(votes_drive(port, clients))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"gallery_votes_per_s: {len(latencies) / seconds:.0f} votes/s")
    print(f"gallery_vote_p50: {statistics.median(latencies):.1f} ms")
    print(f"gallery_vote_p95: {percentile(latencies, 0.95):.1f} ms")
    print(f"gallery_vote_errors: {len(errors)} responses" + (f" (first: {errors[0]})" if errors else ""), flush=True)


def tallies_check() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM generator_meme m LEFT JOIN (
                 SELECT meme_id, count(*) FILTER (WHERE value = 1) AS ups, count(*) FILTER (WHERE value = -1) AS downs
                 FROM gallery_vote GROUP BY meme_id) v ON v.meme_id = m.id
               WHERE m.ups <> coalesce(v.ups, 0) OR m.downs <> coalesce(v.downs, 0) OR m.score <> m.ups - m.downs"""
        )
        mismatches = cursor.fetchone()[0]
    print(f"gallery_tally_mismatches: {mismatches} memes")
    return mismatches


def main() -> int:
    import psycopg

    try:
        database_ensure()
    except psycopg.OperationalError as error:
        print(f"# no PostgreSQL at {DATABASE_URL} ({error}): skipped")
        return 0
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DJANGO_SETTINGS_MODULE": "memesite.settings"}
    env.pop("REDIS_URL", None)
    manage("migrate", "--verbosity", "0", env=env)
    os.environ.update(DATABASE_URL=DATABASE_URL, DJANGO_SETTINGS_MODULE="memesite.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection

    from generator.models import Meme

    if Meme.objects.count() < SIZES["memes"]:
        manage("load_starter_templates", env=env)
        started = time.perf_counter()
        manage("seed_gallery", *(f"--{name}={value}" for name, value in SIZES.items()), env=env)
        print(f"gallery_seed_seconds: {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    busiest = Meme.objects.order_by("-hot").select_related("owner", "template").first()
    voter = Meme.objects.values_list("votes__user", flat=True).filter(votes__isnull=False).first()
    from accounts.models import User

    pages_measure(User.objects.get(pk=voter), busiest.template.slug, busiest.owner.username)
    plans_write(busiest.template.slug)
    votes_measure(env)
    return 1 if tallies_check() else 0


if __name__ == "__main__":
    sys.exit(main())
