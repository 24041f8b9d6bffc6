"""Redis (the Celery broker) stopped: making memes answers 503 and says why, the rest of the site works, a job
accepted before is not lost, and once Redis is back it completes."""

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from rest_framework.authtoken.models import Token

from generator.models import Job
from memes.models import Meme
from tests.conftest import PASSWORD
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]


def logged_in(address: str, user) -> requests.Session:
    """A browser's session: the login form, its CSRF token and cookie."""
    # The site's own hasher: the tests' fast one is not in its settings.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    session = requests.Session()
    session.get(f"{address}/accounts/login/", timeout=30)
    answer = session.post(
        f"{address}/accounts/login/",
        data={"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{address}/accounts/login/"}, timeout=30,
    )  # fmt: skip
    assert answer.ok and "sessionid" in session.cookies, answer.text[:500]
    return session


def test_making_memes_while_redis_is_down(alice, template, private_redis, site_env, start_web, start_worker):
    # Jobs left for 1 s are queued again by the schedule (every second here, every minute by default).
    env = site_env(REDIS_URL=private_redis.url, JOB_REQUEUE_AFTER="1", JOB_REQUEUE_INTERVAL="1")
    address = start_web(env)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {Token.objects.create(user=alice).key}"
    browser = logged_in(address, alice)

    accepted = api.post(f"{address}/api/memes/", json={"template": template.slug, "lines": ["before", "the outage"]})
    assert accepted.status_code == 202, accepted.text
    private_redis.stop()  # and the queued message with it: no worker had taken it

    refused = api.post(f"{address}/api/memes/", json={"template": template.slug, "lines": ["during", "the outage"]})
    assert refused.status_code == 503
    assert refused.json()["code"] == "unavailable"
    assert "queue is unavailable" in refused.json()["detail"]
    assert refused.headers["Retry-After"]

    form = browser.post(
        f"{address}/make/{template.slug}/",
        data={"line_0": "from", "line_1": "the form", "is_public": "on", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{address}/make/{template.slug}/"}, timeout=60,
    )  # fmt: skip
    assert form.status_code == 503
    assert "queue is unavailable" in form.text and "Traceback" not in form.text
    # Neither refused meme was kept; the accepted one still waits.
    assert list(Job.objects.values_list("lines", flat=True)) == [["before", "the outage"]]
    # Drawing a finished meme again with another caption is refused too, and leaves it as it was.
    finished = Job.objects.create(owner=alice, kind=Meme.Source.TITLE, template=template, title="t", lines=["a", "b"],
                                  candidates=[["a", "b"], ["c", "d"]], status=Job.Status.SUCCEEDED, progress=1.0)  # fmt: skip
    redo = api.post(f"{address}/api/jobs/{finished.pk}/choose/", json={"candidate": 1})
    assert redo.status_code == 503 and "queue is unavailable" in redo.json()["detail"]
    finished.refresh_from_db()
    assert (finished.status, finished.lines, finished.progress) == (Job.Status.SUCCEEDED, ["a", "b"], 1.0)
    finished.delete()

    # Pages that need no broker still work.
    assert browser.get(f"{address}/", timeout=30).status_code == 200
    assert browser.get(f"{address}/make/{template.slug}/", timeout=30).status_code == 200
    assert api.get(f"{address}/api/memes/", timeout=30).status_code == 200
    assert api.get(f"{address}/api/jobs/{accepted.json()['id']}/", timeout=30).json()["status"] == "queued"

    private_redis.start()  # empty: the message queued before the outage is gone
    worker = start_worker(env, "--beat", "--schedule", str(env["SLOWMEME_VAR_DIR"] + "/beat-schedule"))
    job = Job.objects.get()
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, 150, f"the waiting job completing\n{worker.output()}", 0.2)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Meme.objects.get().lines == ["before", "the outage"]
    # And making memes works again.
    again = api.post(f"{address}/api/memes/", json={"template": template.slug, "lines": ["after", "the outage"]})
    assert again.status_code == 202, again.text
