"""A live Slowmeme for a real browser: `manage.py runsite` (the web server with its Celery worker, as `make run`
starts it) on the test database, and Debian's Chromium driven by Playwright (never a downloaded browser).

Run these apart from the rest (`make test-browser`): Playwright's event loop upsets pytest-asyncio tests that run
after it in the same process.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = settings.VAR_DIR / "artifacts" / "browser"
START_SECONDS = 180  # a busy 2-core machine


def _database_url() -> str:
    """The test database (set up once a test is marked django_db), as the server process must be told of it."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


MANAGE = [sys.executable, str(settings.BASE_DIR / "manage.py")]


@pytest.fixture(scope="session")
def site_env(django_db_setup, isolated_files, tmp_path_factory) -> dict[str, str]:
    """The environment of the site's processes: the test database and files (`manage.py` commands run in it)."""
    var_dir = tmp_path_factory.mktemp("site-var")
    return {**os.environ, "DATABASE_URL": _database_url(), "SLOWMEME_VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(isolated_files / "media"), "PRIVATE_MEDIA_ROOT": str(isolated_files / "private"),
            "DATABASE_POOL": "0", "LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1"}  # fmt: skip


def manage(env: dict[str, str], *command: str) -> str:
    """Run a `manage.py` command as a user would, in the site's environment; its output."""
    done = subprocess.run([*MANAGE, *command], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert done.returncode == 0, f"manage.py {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def live_site(site_env):
    """The site's address; the server and its worker run in their own process, on the test database."""
    env, var_dir = site_env, Path(site_env["SLOWMEME_VAR_DIR"])
    manage(env, "load_starter_templates")
    port = _free_port()
    log = open(var_dir / "site.log", "w")
    server = subprocess.Popen([*MANAGE, "runsite", "--port", str(port)], env=env, cwd=settings.BASE_DIR,
                              stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            urllib.request.urlopen(base_url + "/api/templates/", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the site did not start:\n{(var_dir / 'site.log').read_text()[-3000:]}")
            time.sleep(0.3)
    yield base_url
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(autouse=True)
def starter_templates(live_site, site_env, transactional_db):
    """Each test starts on a fresh site's templates: the tables are emptied after every test, the site stays up."""
    manage(site_env, "load_starter_templates")


@pytest.fixture(scope="session")
def chromium(live_site):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and Django then refuses database calls here (the
    # test database's flush and teardown); Django's documented way out, for this process only while it runs.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session")
def screenshots():
    """Saves numbered screenshots under var/artifacts/browser/ (emptied first; `make test-browser` lists them)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    taken = 0

    def save(page, name: str):
        nonlocal taken
        taken += 1
        page.screenshot(path=str(SCREENSHOTS / f"{taken:02d}-{name}.png"), full_page=True)

    return save
