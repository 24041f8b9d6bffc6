"""`make run` alone keeps the schedule: a job whose message never reached the worker is queued again by the
site's own process and completes, with no `make beat` beside it."""

import pytest
from django.conf import settings

from generator.models import Job
from memes.models import Meme
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180), pytest.mark.django_db(transaction=True)]


def test_the_embedded_site_queues_a_lost_job_again(alice, template, site_env, start_web):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the embedded mode is SQLite's (this run is on PostgreSQL)")
    # A job saved as the web request saves it, its broker message lost (nothing was sent).
    job = Job.objects.create(owner=alice, kind=Meme.Source.MANUAL, template=template, lines=["lost", "and found"])
    start_web(site_env(JOB_REQUEUE_AFTER="1", JOB_REQUEUE_INTERVAL="1"), embedded=True)
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, 120, "the lost job completing", 0.3)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Meme.objects.get().lines == ["lost", "and found"]
