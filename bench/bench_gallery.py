"""The gallery at 100k memes on PostgreSQL: page latency and query counts, votes per second, tallies checked.

The data set lives in a database of its own, built once with `manage.py seed_gallery --users 2000 --memes 100000
--votes 1000000` (about a minute) and reused while it holds 100k memes. Pages (hot, best, top-week, new, new's
second cursor page, a template's, a user's, and the API listings) are timed in this process with Django's test
client as a logged-in voter, so that the query of their own votes counts: p50/p95 over 50 requests after
warm-up and the SQL queries of one (goal p95 <= 60 ms, <= 6 queries; the hot page p50 <= 6 ms), then the hot page
as an anonymous visitor sees it (whole from the cache while nothing changes); the plans of those queries go to
var/bench/gallery_plans.txt. The warm-up fills the cache of meme cards (gallery/cards.py), as a running site has it. Votes per second come from 32 keep-alive clients over loopback (one asyncio
thread, raw sockets, so the client leaves the CPU to the server) against the real ASGI server, `runsite
--no-worker --processes <cores>` (BENCH_WEB_PROCESSES) with Redis as channel layer, so every vote is broadcast
too (goal >= 400/s on 2 cores); the clock starts after each client's first vote. Last, one query compares every
meme's stored tally with its vote rows: any mismatch fails the bench.

Run from the repository root: python bench/bench_gallery.py
  env BENCH_GALLERY_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/slowmeme_gallery; created when
  missing) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/4; flushed).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter

from harness import ROOT, TALLY_MISMATCHES_SQL, Connection, percentile

sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_GALLERY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/slowmeme_gallery")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
SIZES = {"users": 2000, "memes": 100_000, "votes": 1_000_000}
REQUESTS, WARMUPS = 50, 5
CLIENTS, VOTE_SECONDS = 32, 15
# One server process per core, as `WEB_PROCESSES` would run it in production.
SERVER_PROCESSES = int(os.environ.get("BENCH_WEB_PROCESSES", os.cpu_count() or 1))
GOAL_PAGE_P95_MS, GOAL_PAGE_QUERIES, GOAL_HOT_P50_MS, GOAL_VOTES_PER_S = 60, 6, 6, 400
BENCH_DIR = ROOT / "var" / "bench"
PLANS = BENCH_DIR / "gallery_plans.txt"
SERVER_LOG = BENCH_DIR / "gallery_server.log"
MEME_SCAN = re.compile(r"(?:Index|Index Only|Bitmap Index|Seq) Scan(?: Backward)?(?: using \w+)? on generator_meme\b")


def database_ensure() -> None:
    import psycopg

    url = urllib.parse.urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def data_set_ensure(env: dict) -> None:
    """Seed the full data set unless it is there; then fresh statistics, so that plans are the usual ones."""
    from django.db import connection

    from memes.models import Meme

    if Meme.objects.count() < SIZES["memes"]:
        manage("load_starter_templates", env=env)
        started = time.perf_counter()
        manage("seed_gallery", *(f"--{name}={value}" for name, value in SIZES.items()), env=env)
        print(f"gallery_seed_seconds: {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def gallery_pages(client) -> dict[str, str]:
    """The pages to time, by name: a voter's view of the busiest template and of a busy owner's memes."""
    from django.db.models import Count

    from memes.models import Meme

    busiest = Meme.objects.order_by("-hot").select_related("owner", "template").first()
    owner = Meme.objects.values("owner__username").annotate(n=Count("id")).order_by("-n").first()["owner__username"]
    next_link = json.loads(client.get("/api/memes/?sort=new").content)["next"]
    return {
        "hot_page": "/", "best_page": "/best/", "top_week_page": "/top/?t=week", "new_page": "/new/",
        "new_page_2": "/new/?" + urllib.parse.urlsplit(next_link).query,
        "template_page": f"/t/{busiest.template.slug}/", "user_page": f"/u/{owner}/",
        "api_hot": "/api/memes/?sort=hot", "api_best": "/api/memes/?sort=best",
        "api_top_week": "/api/memes/?sort=top&period=week", "api_new": "/api/memes/?sort=new",
    }  # fmt: skip


def pages_measure() -> bool:
    """Time each page and count its queries; write the plans of those queries. True when all met the goals."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gallery.models import Vote

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(Vote.objects.order_by("pk").first().user)  # a voter: their votes on each page are a query
    anonymous = Client(HTTP_HOST="127.0.0.1")
    met = True
    PLANS.parent.mkdir(parents=True, exist_ok=True)
    with PLANS.open("w") as plans:
        for name, path in [*gallery_pages(client).items(), ("hot_page_anonymous", "/")]:
            visitor = anonymous if name.endswith("_anonymous") else client
            for _ in range(WARMUPS):
                response = visitor.get(path)
                assert response.status_code == 200, (path, response.status_code)
            timings = []
            for _ in range(REQUESTS):
                started = time.perf_counter()
                visitor.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                visitor.get(path)
            p95 = percentile(timings, 0.95)
            met &= p95 <= GOAL_PAGE_P95_MS and len(queries) <= GOAL_PAGE_QUERIES
            met &= name != "hot_page" or statistics.median(timings) <= GOAL_HOT_P50_MS
            print(f"gallery_{name}_p50: {statistics.median(timings):.1f} ms")
            print(f"gallery_{name}_p95: {p95:.1f} ms")
            print(f"gallery_{name}_queries: {len(queries)} queries", flush=True)
            listing_scans = plans_write(plans, name, path, [query["sql"] for query in queries])
            print(f"# {name} scans: {', '.join(listing_scans) or 'no meme index (see the plans)'}")
    print(f"# query plans in {PLANS.relative_to(ROOT)}")
    return met


def plans_write(out, name: str, path: str, queries: list[str]) -> list[str]:
    """EXPLAIN ANALYZE each query a page made that reads memes; the scans of generator_meme in them."""
    from django.db import connection

    out.write(f"==== {name}: GET {path}\n\n")
    scans = []
    with connection.cursor() as cursor:
        for sql in queries:
            if not sql.lstrip().upper().startswith("SELECT") or "generator_meme" not in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            out.write(f"{sql}\n\n{plan}\n\n")
            scans += MEME_SCAN.findall(plan)
    return scans


def vote_request(connection: Connection, rng: random.Random, token: str, targets: list[int]):
    meme, value = rng.choice(targets), rng.choice([1, 1, 1, -1, 0])
    return connection.request("PUT", f"/api/memes/{meme}/vote/", token=token, body={"value": value})


async def vote_client(connection, rng, token, targets, deadline, latencies, statuses):
    """One keep-alive connection voting on random memes until the deadline."""
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        status, _ = await vote_request(connection, rng, token, targets)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[str(status)] += 1
    connection.close()


async def votes_drive(port: int, clients: list[tuple[str, list[int]]]) -> tuple[list[float], Counter, float]:
    """Every client's first vote is not timed: the clock starts once every connection is open and every server
    process has answered, as on a site that has been serving a while (a process still starting would hold
    the connections the kernel gave it)."""
    voters = [(Connection(port), random.Random(token), token, targets) for token, targets in clients]
    await asyncio.gather(*(vote_request(*voter) for voter in voters))
    latencies, statuses = [], Counter()
    started = time.perf_counter()
    deadline = started + VOTE_SECONDS
    await asyncio.gather(*(vote_client(*voter, deadline, latencies, statuses) for voter in voters))
    return latencies, statuses, time.perf_counter() - started


def server_start(env: dict) -> tuple[subprocess.Popen, int]:
    """`runsite --no-worker` on a free port, as in production but without DEBUG; waits until it accepts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server_env = {**env, "REDIS_URL": REDIS_URL, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "0", "LOG_LEVEL": "WARNING",
                  "THROTTLE_VOTE": "1000/second", "THROTTLE_USER": "1000/second"}  # measure the server, not the limits
    with SERVER_LOG.open("w") as log:
        command = [sys.executable, str(ROOT / "manage.py"), "runsite", "--no-worker", "--host", "127.0.0.1",
                   "--processes", str(SERVER_PROCESSES)]
        server = subprocess.Popen(
            [*command, "--port", str(port)], env=server_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit(f"the server did not start; see {SERVER_LOG.relative_to(ROOT)}") from None
            time.sleep(0.2)


def votes_measure(env: dict) -> bool:
    """Votes per second over the ASGI server; True when the goal was met without errors."""
    import redis
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from memes.models import IN_GALLERY, Meme

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        print(f"# votes: skipped: Redis at {REDIS_URL} not reachable ({error})")
        return True
    voters = User.objects.filter(username__startswith="seed-user-").order_by("pk")[:CLIENTS]
    memes = list(Meme.objects.filter(IN_GALLERY).values_list("pk", "owner_id"))
    clients = [
        (Token.objects.get_or_create(user=voter)[0].key, [pk for pk, owner in memes if owner != voter.pk])
        for voter in voters
    ]  # fmt: skip
    with connection.cursor() as cursor:
        # The VACUUM and the timed pages leave dirty pages behind; writing them now keeps that flush out of the votes.
        cursor.execute("CHECKPOINT")
    server, port = server_start(env)
    try:
        latencies, statuses, seconds = asyncio.run(votes_drive(port, clients))
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = sum(count for status, count in statuses.items() if status != "200")
    votes_per_s = statuses["200"] / seconds
    print(f"# votes: {SERVER_PROCESSES} server process(es), {CLIENTS} clients, {seconds:.0f} s")
    print(f"gallery_votes_per_s: {votes_per_s:.0f} votes/s")
    print(f"gallery_vote_p50: {statistics.median(latencies):.1f} ms")
    print(f"gallery_vote_p95: {percentile(latencies, 0.95):.1f} ms")
    print(f"gallery_vote_errors: {errors} responses" + (f" ({dict(statuses)})" if errors else ""), flush=True)
    return votes_per_s >= GOAL_VOTES_PER_S and not errors


def tallies_check() -> int:
    """Memes whose stored ups, downs or score differ from their vote rows, in one query."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(TALLY_MISMATCHES_SQL)
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
    env.pop("REDIS_URL", None)  # seeding and the in-process pages need no Redis; the server gets its own
    os.environ.update(DATABASE_URL=DATABASE_URL, DJANGO_SETTINGS_MODULE="memesite.settings")
    os.environ.pop("REDIS_URL", None)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    manage("migrate", "--verbosity", "0", env=env)
    import django

    django.setup()
    data_set_ensure(env)
    print(
        f"# goals: pages p95 <= {GOAL_PAGE_P95_MS} ms, <= {GOAL_PAGE_QUERIES} queries, hot page p50 <= "
        f"{GOAL_HOT_P50_MS} ms; >= {GOAL_VOTES_PER_S} votes/s; load average {os.getloadavg()[0]:.2f}"
    )
    pages_met = pages_measure()
    votes_met = votes_measure(env)
    if not (pages_met and votes_met):
        print("# some goals were missed (see above)")
    return 1 if tallies_check() else 0


if __name__ == "__main__":
    sys.exit(main())
