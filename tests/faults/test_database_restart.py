"""PostgreSQL restarted while the site serves: requests during the outage get a clean 503 (no traceback), and the
site recovers by itself when the database is back, without being restarted."""

import subprocess
import sys

import pytest
import requests

from tests.conftest import PASSWORD, png_bytes
from tests.faults.conftest import BASE_DIR, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(400)]


def manage(env, *arguments):
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=BASE_DIR, env=env, check=True, capture_output=True,
                   timeout=300)  # fmt: skip


def test_the_site_answers_503_while_postgresql_is_down_and_recovers(
    private_postgres, site_env, start_web, start_worker
):
    # The broker stays the embedded one (files): only the database goes away.
    env = site_env(DATABASE_URL=private_postgres.url, DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    manage(env, "migrate", "--noinput")
    manage(env, "createsuperuser", "--noinput", "--username", "carol", "--email", "carol@example.com")
    address = start_web(env)
    assert requests.get(f"{address}/", timeout=30).status_code == 200
    assert requests.get(f"{address}/api/memes/", timeout=30).status_code == 200

    private_postgres.stop()
    # (Not the front page: anonymous visitors may still be given it from the cache.)
    page = requests.get(f"{address}/u/carol/", timeout=60)
    assert page.status_code == 503
    assert "database is unavailable" in page.text and "Traceback" not in page.text
    assert page.headers["Retry-After"]
    api = requests.get(f"{address}/api/memes/", timeout=60)
    assert api.status_code == 503
    assert api.json() == {"detail": api.json()["detail"], "code": "unavailable", "errors": {}}
    assert "database is unavailable" in api.json()["detail"]

    private_postgres.start()  # the same server process goes on: its pool finds the dead connections and replaces them
    wait_for(lambda: requests.get(f"{address}/u/carol/", timeout=30).status_code == 200, 60, "the site serving again", 1)
    assert requests.get(f"{address}/api/memes/", timeout=30).status_code == 200

    # A job whose worker finds the database away is tried again, later each time, and completes once it is back.
    token = requests.post(f"{address}/api/token/", json={"username": "carol", "password": PASSWORD}, timeout=30)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token.json()['token']}"
    accepted = api.post(
        f"{address}/api/memes/", data={"lines": '["made while", "the database restarts"]'},
        files={"image": ("photo.png", png_bytes(), "image/png")}, timeout=60,
    )  # fmt: skip
    assert accepted.status_code == 202, accepted.text
    private_postgres.stop()
    worker = start_worker(env)
    wait_for(lambda: "Retry in" in worker.output(), 120, "the worker retrying the job", 0.5)
    private_postgres.start()

    def finished():
        answer = api.get(f"{address}/api/jobs/{accepted.json()['id']}/", timeout=30)
        return answer.status_code == 200 and answer.json()["status"] in ("succeeded", "failed") and answer.json()

    job = wait_for(finished, 120, f"the job completing\n{worker.output()}", 1)
    assert job["status"] == "succeeded", job["error"]
