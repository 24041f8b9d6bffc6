"""A minute of mixed load on the running site: gallery reads, votes and new memes at once, with live watchers.

Each mode is a fresh site started as it ships: embedded (`runsite`: server and worker in one process, SQLite,
file broker, in-process channel layer), then PostgreSQL + Redis (`runsite --no-worker --processes <cores>`
beside a `celery worker`), when both answer. USERS users sign up and make two memes each; then, for SECONDS:
- CLIENTS keep-alive connections, one user each, loop over a mix of gallery reads (hot, new, best, top-week,
  a meme's page, the API's hot list) and votes on others' memes (READ_SHARE of requests are reads);
- new memes are asked for at a steady MEMES_PER_S (a third of them title mode, the rest hand-written), since
  a real site's makers do not wait for the gallery's readers;
- WATCHERS websockets on /ws/gallery/ watch the voted memes and count the live messages they hear.
Then every accepted job must finish with its meme, and every meme's stored tally must equal its vote rows.

Prints throughput, p50/p95 per kind of request, the error count (any answer but the expected one, or a broken
connection: goal 0), job latency (queued → meme made) and the checks.

Run from the repository root: python bench/bench_load.py
  env BENCH_LOAD_SECONDS (60), BENCH_LOAD_CLIENTS (16), BENCH_LOAD_MEMES_PER_S (2), BENCH_WEB_PROCESSES
  (cores), BENCH_REDIS_URL (redis://127.0.0.1:6379/5, flushed), BENCH_DATABASE_URL
  (postgres://postgres@127.0.0.1:5432/slowmeme_load, created when missing, emptied).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime

from harness import (
    STARTER_SLUGS, TALLY_MISMATCHES_SQL, BenchError, Client, Connection, Site, clean_env, on_fresh_site, percentile,
    postgres_ready, redis_ready,
)  # fmt: skip

SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", 60))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", 16))
MEMES_PER_S = float(os.environ.get("BENCH_LOAD_MEMES_PER_S", 2))
WEB_PROCESSES = int(os.environ.get("BENCH_WEB_PROCESSES", os.cpu_count() or 1))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/slowmeme_load")
USERS, MEMES_PER_USER, WATCHERS = CLIENTS, 2, 4
READ_SHARE = 0.7
READ_PAGES = ("/", "/new/", "/best/", "/top/?t=week", "meme", "/api/memes/?sort=hot")
JOB_DRAIN_SECONDS = 120
# The site's own limits are tested elsewhere; here they would only measure themselves.
THROTTLES = ("THROTTLE_ANON", "THROTTLE_USER", "THROTTLE_VOTE", "THROTTLE_SIGNUP", "THROTTLE_LOGIN",
             "THROTTLE_GENERATE")
UNTHROTTLED = dict.fromkeys(THROTTLES, "100000/minute")
TALLY_CHECK = f"""from django.db import connection
with connection.cursor() as cursor:
    cursor.execute({TALLY_MISMATCHES_SQL!r})
    print(cursor.fetchone()[0])"""


class Tally:
    """Every answer of the run, by kind of request."""

    def __init__(self):
        self.latencies, self.statuses, self.errors = defaultdict(list), defaultdict(Counter), Counter()

    def record(self, kind: str, status: int, expected: int, started: float) -> None:
        self.latencies[kind].append((time.perf_counter() - started) * 1000)
        self.statuses[kind][status] += 1
        if status != expected:
            self.errors[f"{kind} {status}"] += 1


async def reader_voter(port, user, memes, tally, deadline):
    """One user's connection: reads and votes, back to back, until the deadline."""
    connection, rng = Connection(port), random.Random(user["name"])
    others = [meme for meme in memes if meme["owner"] != user["name"]]
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if rng.random() < READ_SHARE:
                page = rng.choice(READ_PAGES)
                path = f"/m/{rng.choice(memes)['id']}/" if page == "meme" else page
                token = user["token"] if path.startswith("/api") else None
                status, _ = await connection.request("GET", path, token=token)
                tally.record("read", status, 200, started)
            else:
                path = f"/api/memes/{rng.choice(others)['id']}/vote/"
                body = {"value": rng.choice((1, 1, -1, 0))}
                status, _ = await connection.request("PUT", path, token=user["token"], body=body)
                tally.record("vote", status, 200, started)
    except (OSError, asyncio.IncompleteReadError) as error:
        tally.errors[f"connection {type(error).__name__}"] += 1
    finally:
        connection.close()


async def maker(port, users, tally, deadline, jobs):
    """New memes at a steady rate, each from the next user; the accepted jobs' ids go to `jobs`."""
    connection, rng, number = Connection(port), random.Random(0), 0
    next_at = time.perf_counter()
    try:
        while next_at < deadline:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            user, slug = users[number % len(users)], STARTER_SLUGS[number % len(STARTER_SLUGS)]
            if number % 3 == 0:
                body = {"source": "title", "template": slug, "title": f"load test {number}"}
            else:
                body = {"template": slug, "lines": [f"load test {number}", rng.choice(("so fast", "much load"))]}
            started = time.perf_counter()
            status, content = await connection.request("POST", "/api/memes/", token=user["token"], body=body)
            tally.record("make", status, 202, started)
            if status == 202:
                jobs.append((user["token"], json.loads(content)["id"]))
            number += 1
            next_at += 1 / MEMES_PER_S
    except (OSError, asyncio.IncompleteReadError) as error:
        tally.errors[f"connection {type(error).__name__}"] += 1
    finally:
        connection.close()


async def watcher(port, meme_ids, deadline, heard: Counter):
    """A gallery page's websocket: watches the memes and counts what it hears."""
    import websockets

    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/gallery/", origin=f"http://127.0.0.1:{port}") as socket:
        await socket.send(json.dumps({"watch": meme_ids}))
        while (left := deadline - time.perf_counter()) > 0:
            try:
                heard[json.loads(await asyncio.wait_for(socket.recv(), left))["type"]] += 1
            except TimeoutError:
                break


async def load(port: int, users: list[dict], memes: list[dict]) -> tuple[Tally, list, Counter, float]:
    tally, jobs, heard = Tally(), [], Counter()
    watched = [meme["id"] for meme in memes]
    started = time.perf_counter()
    deadline = started + SECONDS
    await asyncio.gather(
        *(reader_voter(port, user, memes, tally, deadline) for user in users[:CLIENTS]),
        maker(port, users, tally, deadline, jobs),
        *(watcher(port, watched, deadline, heard) for _ in range(WATCHERS)),
    )
    return tally, jobs, heard, time.perf_counter() - started


def drained_jobs(client: Client, jobs: list) -> tuple[Counter, list[float]]:
    """Wait for every accepted job to end; its outcome, and for the made ones queued → meme made in ms."""
    outcomes, latencies = Counter(), []
    deadline = time.time() + JOB_DRAIN_SECONDS
    for token, job_id in jobs:
        client.token = token
        while True:
            job = client.call("GET", f"/api/jobs/{job_id}/")[1]
            if job["status"] in ("succeeded", "failed") or time.time() > deadline:
                break
            time.sleep(0.2)
        outcomes[job["status"]] += 1
        if job["meme"]:
            made = datetime.fromisoformat(job["meme"]["created_at"]) - datetime.fromisoformat(job["created_at"])
            latencies.append(made.total_seconds() * 1000)
    return outcomes, latencies


def prepare(client: Client) -> tuple[list[dict], list[dict]]:
    """Sign the users up and make their first memes (waiting for them): what the load reads and votes on."""
    users, jobs = [], []
    for number in range(USERS):
        token = client.sign_up(f"load{number}")
        users.append({"name": f"load{number}", "token": token})
        for meme in range(MEMES_PER_USER):
            slug = STARTER_SLUGS[(number + meme) % len(STARTER_SLUGS)]
            body = {"template": slug, "lines": [f"user {number}", f"meme {meme}"]}
            jobs.append((token, client.call("POST", "/api/memes/", body)[1]["id"]))
    outcomes, _ = drained_jobs(client, jobs)
    if outcomes["succeeded"] != len(jobs):
        raise BenchError(f"the first memes did not all succeed: {dict(outcomes)}")
    client.token = users[0]["token"]
    memes, page = [], "/api/memes/?sort=new"
    while page:
        listing = client.call("GET", page)[1]
        memes += [{"id": meme["id"], "owner": meme["owner"]} for meme in listing["results"]]
        page = listing["next"]
    return users, memes


def report(mode: str, tally: Tally, seconds: float, outcomes: Counter, job_ms: list[float], heard: Counter,
           mismatches: int) -> bool:
    total = sum(len(values) for values in tally.latencies.values())
    print(f"# {mode}: {CLIENTS} clients, {MEMES_PER_S:g} memes/s asked for, {WATCHERS} watchers, {seconds:.0f} s")
    print(f"load_{mode}_requests_per_s: {total / seconds:.0f} requests/s")
    for kind, values in sorted(tally.latencies.items()):
        print(f"load_{mode}_{kind}_per_s: {len(values) / seconds:.1f} requests/s")
        print(f"load_{mode}_{kind}_p50: {statistics.median(values):.1f} ms")
        print(f"load_{mode}_{kind}_p95: {percentile(values, 0.95):.1f} ms")
    errors = sum(tally.errors.values())
    print(f"load_{mode}_errors: {errors} responses" + (f" ({dict(tally.errors)})" if errors else ""))
    print(f"load_{mode}_error_rate: {100 * errors / max(total, 1):.2f} %")
    print(f"load_{mode}_jobs_accepted: {sum(outcomes.values())} jobs")
    print(f"load_{mode}_jobs_unfinished: {sum(outcomes.values()) - outcomes['succeeded']} jobs" +
          (f" ({dict(outcomes)})" if set(outcomes) - {"succeeded"} else ""))  # fmt: skip
    if job_ms:
        print(f"load_{mode}_job_p50: {statistics.median(job_ms):.0f} ms")
        print(f"load_{mode}_job_p95: {percentile(job_ms, 0.95):.0f} ms")
    print(f"load_{mode}_live_messages: {sum(heard.values())} messages ({dict(heard)})")
    print(f"load_{mode}_tally_mismatches: {mismatches} memes", flush=True)
    return errors == 0 and outcomes["succeeded"] == sum(outcomes.values()) and mismatches == 0


def run_site(mode: str, env: dict, worker_apart: bool) -> bool:
    def measure(site: Site, client: Client, port: int) -> bool:
        users, memes = prepare(client)
        tally, jobs, heard, seconds = asyncio.run(load(port, users, memes))
        site.check_running()
        outcomes, job_ms = drained_jobs(client, jobs)
        mismatches = int(site.manage_output("shell", "-c", TALLY_CHECK).split()[-1])
        return report(mode, tally, seconds, outcomes, job_ms, heard, mismatches)

    env = {**env, **UNTHROTTLED, "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1"}
    return on_fresh_site(mode, env, worker_apart, measure, web_options=("--processes", str(WEB_PROCESSES)))


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the sites are stopped on the way out
    print(f"# load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; goal: 0 errors")
    succeeded = run_site("embedded", clean_env(), worker_apart=False)
    problem = redis_ready(REDIS_URL) or postgres_ready(DATABASE_URL)
    if problem:
        print(f"# redis: skipped: {problem}")
    else:
        env = {**clean_env(), "REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL, "CHANNELS_PREFIX": "slowmeme-load"}
        succeeded = run_site("redis", env, worker_apart=True) and succeeded
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
