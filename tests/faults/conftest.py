"""Private services to break on purpose, and the site's own processes (web server, Celery worker) run against them.

The shared PostgreSQL and Redis are never touched: each test starts its own redis-server or PostgreSQL cluster on a
free port, stops and restarts it. A missing binary skips the test, saying which."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """condition()'s first true answer, or a failure saying what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = condition()
        if answer:
            return answer
        time.sleep(interval)
    pytest.fail(f"{what}: not within {timeout:.0f} s")


class PrivateRedis:
    def __init__(self, folder: Path):
        self.port, self.folder, self.process = free_port(), folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.is_up, 20, f"private redis on port {self.port} starting")

    def is_up(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_timeout=0.5).ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        """Gone at once, and everything it held with it (no snapshot), as when the machine dies."""
        try:
            redis.Redis(port=self.port).shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # it answers the shutdown by going away
        self.process.wait(timeout=20)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the broker fault tests need it (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary folder (owned by the postgres user when we are root:
    initdb refuses to run as root)."""

    def __init__(self, folder: Path):
        self.port, self.folder = free_port(), folder
        self.data = folder / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command):
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=120)

    def create(self):
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(str(POSTGRES_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self):
        self._run(str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def private_postgres():
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL's initdb is not in {POSTGRES_BIN} (set POSTGRES_BIN): the database fault test needs it")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb cannot be run as the postgres user")
    folder = Path(tempfile.mkdtemp(prefix="slowmeme-pg-"))
    server = PrivatePostgres(folder)
    server.create()
    server.start()
    yield server
    try:
        server.stop()
    except subprocess.CalledProcessError:
        pass  # a test may leave it stopped
    shutil.rmtree(folder, ignore_errors=True)


def test_database_url() -> str:
    """The address of the database this test run uses, for the site's own processes to share it."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def site_env(tmp_path):
    """The environment for the site's processes: this run's test database and media, and whatever is given."""

    def build(**extra) -> dict:
        env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
        var = tmp_path / "var"
        var.mkdir(exist_ok=True)
        env.update(
            DATABASE_URL=test_database_url(), MEDIA_ROOT=str(settings.MEDIA_ROOT), SLOWMEME_VAR_DIR=str(var),
            PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT),
            SECRET_KEY="fault-tests-" + "x" * 40, CHANNELS_PREFIX=f"slowmeme-faults-{os.getpid()}",
            OMP_NUM_THREADS="1", TORCH_THREADS="1", PYTHONUNBUFFERED="1",
        )  # fmt: skip
        env.update(extra)
        return env

    return build


class SiteProcess:
    """One of the site's processes (a worker, the web server), its output kept in a log file."""

    def __init__(self, command, env, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(env) runs a real `celery worker` (solo pool) in its own process; all are killed at the end."""
    started = []

    def start(env, *options) -> SiteProcess:
        name = f"faults{len(started)}-{os.getpid()}@%h"
        command = [sys.executable, "-m", "celery", "-A", "memesite", "worker", "--pool", "solo", "--queues",
                   "default,ml", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name,
                   "--loglevel", "INFO", *options]  # fmt: skip
        worker = SiteProcess(command, env, tmp_path / f"worker{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


def wait_for_first_answer(url: str, alive, output, deadline: float = 150) -> None:
    """Until url answers 200. A fresh server on a busy machine may take many seconds over its first answer
    (imports, the first schema): a slow answer, like a refused connection, is waited out, not a failure."""

    def answers():
        try:
            return requests.get(url, timeout=(5, 30)).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            assert alive(), f"the web server stopped:\n{output()}"
            return False

    wait_for(answers, deadline, "the web server answering", interval=0.5)


@pytest.fixture
def start_web(tmp_path):
    """start_web(env) serves the site (runsite, no worker; embedded=True: with its worker and schedule, as `make
    run` does; options: more of runsite's) on a free port; answers its address once it answers."""
    started = []

    def start(env, embedded: bool = False, options: tuple[str, ...] = ()) -> str:
        port = free_port()
        serve_only = [] if embedded else ["--no-worker"]
        command = [sys.executable, "manage.py", "runsite", "--port", str(port), *serve_only, *options]
        server = SiteProcess(command, env, tmp_path / "web.log")
        started.append(server)
        address = f"http://127.0.0.1:{port}"
        wait_for_first_answer(f"{address}/api/schema/", lambda: server.process.poll() is None, server.output)
        return address

    yield start
    for server in started:
        server.kill()
