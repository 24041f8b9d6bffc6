"""Title mode end to end: from POST /api/memes/ to the meme's image answering 200, through Celery.

Measured twice on fresh sites: embedded (`runsite`: web server and worker in one process, SQLite, file broker),
then on Redis + PostgreSQL (`runsite --no-worker` beside a `celery worker --pool solo`) when both answer.
Each: 3 warm-up jobs, then sequential jobs on the starter templates, polled every 10 ms.

Run from the repository root: python bench/bench_title_latency.py [--manual] [--jobs N]
  --manual   hand-written memes instead of title mode (no caption model needed; prints manual_latency_*)
  env BENCH_REDIS_URL (default redis://127.0.0.1:6379/3; that Redis database is flushed) and
  BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/slowmeme_bench; created when missing).
Title mode needs an active caption model: on a fresh site, the bundled ml/captions/pretrained.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time

from harness import (
    ROOT, STARTER_SLUGS, BenchError, Client, Site, clean_env, on_fresh_site, percentile, postgres_ready,
    redis_ready,
)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/slowmeme_bench")
BUNDLED_MODEL = ROOT / "ml" / "captions" / "pretrained"
SUBJECTS = ("my cat", "the intern", "my code", "monday", "the printer", "my diet", "the wifi", "my plants",
            "the weekend", "my alarm clock", "group projects")  # fmt: skip
SITUATIONS = ("at 3 am", "on a friday", "before coffee")
TITLES = [f"{subject} {situation}" for situation in SITUATIONS for subject in SUBJECTS]  # 33, all different
WARMUPS = 3
POLL_SECONDS = 0.01
GOAL_P95_MS = 400
FIRST_JOB_TIMEOUT, JOB_TIMEOUT = 90, 20


def meme_request(number: int, manual: bool) -> dict:
    slug, title = STARTER_SLUGS[number % len(STARTER_SLUGS)], TITLES[number % len(TITLES)]
    if manual:
        return {"template": slug, "lines": [title, "bench"]}
    return {"source": "title", "template": slug, "title": title}


def job_latency_ms(site: Site, client: Client, body: dict, timeout: float) -> tuple[float, dict]:
    """POST the meme, poll its job until it succeeded, then its image until it answers 200."""
    start = time.perf_counter()
    status, job = client.call("POST", "/api/memes/", body)
    if status != 202:
        raise BenchError(f"POST /api/memes/ answered {status}: {job}")
    deadline = start + timeout
    while job["status"] != "succeeded":
        if job["status"] == "failed":
            raise BenchError(f"job {job['id']} failed: {job.get('error')}")
        if time.perf_counter() > deadline:
            site.check_running()
            raise BenchError(f"job {job['id']} still {job['status']} ({job.get('stage')}) after {timeout} s")
        time.sleep(POLL_SECONDS)
        job = client.call("GET", f"/api/jobs/{job['id']}/")[1]
    while not client.answers_200(job["meme"]["image"]):
        if time.perf_counter() > deadline:
            raise BenchError(f"the image of job {job['id']} did not answer 200")
        time.sleep(POLL_SECONDS)
    return (time.perf_counter() - start) * 1000, job


def measure(site: Site, client: Client, jobs: int, manual: bool) -> tuple[list[float], dict]:
    """Warm-up jobs (the first one waits for the worker and its model to load), then the timed ones."""
    for number in range(WARMUPS):
        job_latency_ms(site, client, meme_request(number, manual), FIRST_JOB_TIMEOUT)
    timings, job = [], {}
    for number in range(WARMUPS, WARMUPS + jobs):
        elapsed, job = job_latency_ms(site, client, meme_request(number, manual), JOB_TIMEOUT)
        timings.append(elapsed)
    return timings, job


def report(mode: str, timings: list[float], last_job: dict, manual: bool) -> None:
    prefix = "manual_latency" if manual else "title_latency"
    if not manual:
        print(f"# {mode}: caption model {last_job.get('model_version')!r}, {len(timings)} jobs")
    print(f"{prefix}_{mode}_p50: {statistics.median(timings):.0f} ms")
    print(f"{prefix}_{mode}_p95: {percentile(timings, 0.95):.0f} ms")


def run_site(mode: str, env: dict, worker_apart: bool, jobs: int, manual: bool) -> bool:
    """Sign up, measure and report on a fresh site; False if it failed."""

    def measure_jobs(site: Site, client: Client, port: int) -> bool:
        client.sign_up()
        timings, last_job = measure(site, client, jobs, manual)
        report(mode, timings, last_job, manual)
        return True

    return on_fresh_site(mode, {**env, "THROTTLE_GENERATE": "10000/minute"}, worker_apart, measure_jobs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manual", action="store_true", help="hand-written memes instead of title mode")
    parser.add_argument("--jobs", type=int, default=30, help="timed jobs per site (default 30)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the sites are stopped on the way out
    print(f"# load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"title_latency_goal_p95: {GOAL_P95_MS} ms")
    if not args.manual and not (BUNDLED_MODEL / "weights.pt").is_file():
        print(f"# no caption model at {BUNDLED_MODEL}: skipped (--manual measures hand-written memes instead)")
        return 0
    succeeded = run_site("embedded", clean_env(), False, args.jobs, args.manual)
    problem = redis_ready(REDIS_URL) or postgres_ready(DATABASE_URL)
    if problem:
        print(f"# redis: skipped: {problem}")
    else:
        env = {**clean_env(), "REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL, "CHANNELS_PREFIX": "slowmeme-bench"}
        succeeded = run_site("redis", env, True, args.jobs, args.manual) and succeeded
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
