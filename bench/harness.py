"""What the end-to-end benchmarks share: a site's processes started and stopped as a group, a small JSON client,
a keep-alive HTTP/1.1 client for load from one asyncio thread, free ports, percentiles, and the services'
readiness checks."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
STARTUP_TIMEOUT = 90
# The starter templates `load_starter_templates` gives a fresh site (its animated one aside).
STARTER_SLUGS = ("coffee", "astronaut", "chelsea-the-cat", "rocket", "cameraman", "astronaut-moon")
# Memes whose stored ups, downs or score differ from their vote rows, in one query (PostgreSQL and SQLite).
TALLY_MISMATCHES_SQL = """SELECT count(*) FROM generator_meme m LEFT JOIN (
      SELECT meme_id, count(*) FILTER (WHERE value = 1) AS ups, count(*) FILTER (WHERE value = -1) AS downs
      FROM gallery_vote GROUP BY meme_id) v ON v.meme_id = m.id
    WHERE m.ups <> coalesce(v.ups, 0) OR m.downs <> coalesce(v.downs, 0)
       OR m.score <> coalesce(v.ups, 0) - coalesce(v.downs, 0)"""
CONTENT_LENGTH = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")
CHUNKED = re.compile(rb"(?i)\r\ntransfer-encoding: *chunked")


class BenchError(Exception):
    pass


class Site:
    """The processes of one site, each in its own process group, with their output in log files; stopping
    ends every group, whatever happened."""

    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir, self.processes = env, log_dir, []

    def manage(self, *args: str) -> None:
        with open(self.log_dir / "manage.log", "a") as log:
            subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, stdout=log, stderr=log, check=True)

    def manage_output(self, *args: str) -> str:
        """A management command's standard output (for checks that print their answer)."""
        command = [PYTHON, "manage.py", *args]
        return subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, check=True).stdout

    def start(self, name: str, *args: str) -> None:
        with open(self.log_dir / f"{name}.log", "w") as log:
            process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)
        self.processes.append((name, process))

    def check_running(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise BenchError(f"{name} exited with {process.returncode}")

    def stop(self) -> None:
        for _, process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_tails(self, lines: int = 15) -> str:
        return "\n".join(
            f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            for path in sorted(self.log_dir.glob("*.log"))
        )


class Client:
    """urllib with JSON bodies and the site's token: for setting a benchmark up, not for load."""

    def __init__(self, base: str):
        self.base, self.token = base, None

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body else None
        request = urllib.request.Request(self.url(path), method=method, data=data)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")

    def url(self, path: str) -> str:
        return path if path.startswith("http") else urllib.parse.urljoin(self.base, path)

    def answers_200(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url(path), timeout=30) as response:
                response.read()
                return response.status == 200
        except urllib.error.HTTPError:
            return False

    def sign_up(self, username: str = "bench") -> str:
        _, body = self.call("POST", "/api/users/", {"username": username, "password": "a long benchmark password"})
        self.token = body["token"]
        return self.token


class Connection:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams: the load generator costs the server's cores
    as little as possible."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    async def request(
        self, method: str, path: str, *, token: str | None = None, body: dict | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if token:
            head += f"Authorization: Token {token}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        response = await self.reader.readuntil(b"\r\n\r\n")
        length = CONTENT_LENGTH.search(response)
        if length:
            content = await self.reader.readexactly(int(length.group(1)))
        elif CHUNKED.search(response):
            content = await self._chunks()
        else:
            content = b""
        return int(response.split(b" ", 2)[1]), content

    async def _chunks(self) -> bytes:
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size + 2))
        await self.reader.readuntil(b"\r\n")
        return b"".join(part[:-2] for part in parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


def on_fresh_site(mode: str, env: dict, worker_apart: bool, measure: Callable[[Site, Client, int], bool],
                  web_options: tuple[str, ...] = ()) -> bool:
    """Migrate and empty a site (a PostgreSQL database outlives a run: no template may point at a deleted image,
    and the caption model must be the bundled one, registered on first use as on any fresh site), load the
    starter templates, serve it (`runsite`, its worker inside; worker_apart: `--no-worker` beside a `celery
    worker`), run measure(site, client, port), and stop every process started, whatever happened. False when
    something failed (said, with the processes' logs)."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"slowmeme-bench-{mode}-"))
    port = free_port()
    site, client = Site({**env, "SLOWMEME_VAR_DIR": str(var_dir)}, var_dir), Client(f"http://127.0.0.1:{port}/")
    try:
        site.manage("migrate", "--noinput")
        site.manage("flush", "--noinput")
        site.manage("load_starter_templates")
        serve_only = ["--no-worker", *web_options] if worker_apart else []
        site.start("web", PYTHON, "manage.py", "runsite", "--port", str(port), *serve_only)
        if worker_apart:
            site.start("worker", PYTHON, "-m", "celery", "-A", "memesite", "worker", "--queues", "default,ml",
                       "--pool", "solo", "--loglevel", "WARNING")  # fmt: skip
        wait_for_site(site, client)
        return measure(site, client, port)
    except Exception as error:  # noqa: BLE001 - whatever went wrong, say so, show the logs, go on to the next site
        print(f"# {mode}: failed: {error!r}")
        print(site.log_tails(), file=sys.stderr)
        return False
    finally:
        site.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_site(site: Site, client: Client) -> None:
    deadline = time.time() + STARTUP_TIMEOUT
    while time.time() < deadline:
        site.check_running()
        try:
            client.call("GET", "/api/templates/")
            return
        except OSError:
            time.sleep(0.2)
    raise BenchError("the site did not answer in time")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value that at least `fraction` of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def clean_env() -> dict:
    """This process's environment without the settings that would point a fresh site at someone else's data."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "CHANNELS_PREFIX", "MEDIA_ROOT", "CAPTION_MODELS_DIR"):
        env.pop(name, None)
    return env


def redis_ready(url: str) -> str | None:
    """Flush the benchmark's Redis database; None when done, else why it could not be."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        return f"Redis at {url} not reachable ({error})"
    return None


def postgres_ready(database_url: str) -> str | None:
    """Create the benchmark's database when missing; None when it is there, else why not."""
    url = urllib.parse.urlsplit(database_url)
    host, port, user = url.hostname or "127.0.0.1", str(url.port or 5432), url.username or "postgres"
    command = ["createdb", "-h", host, "-p", port, "-U", user, url.path.lstrip("/")]
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20, env=env)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"createdb could not run ({error})"
    if result.returncode != 0 and "already exists" not in result.stderr:
        return f"PostgreSQL at {host}:{port} not usable ({result.stderr.strip()})"
    return None
