"""A worker killed with SIGKILL in the middle of a job: the broker hands the job out again, and it completes once."""

import io
import signal

import numpy as np
import pytest
from celery import Celery
from django.core.files.base import ContentFile
from PIL import Image

from generator.models import Job
from memes.models import Meme, Template, TextBox
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]


def busy_animation() -> bytes:
    """A 48-frame animated template of coarse noise: drawing on every frame keeps the worker busy for a while."""
    rng = np.random.default_rng(0)
    frames = [
        Image.fromarray(rng.integers(0, 255, (60, 60, 3), dtype=np.uint8)).resize((480, 480), Image.NEAREST)
        for _ in range(48)
    ]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return buffer.getvalue()


def test_a_job_whose_worker_is_killed_mid_render_completes_once(alice, private_redis, site_env, start_worker):
    template = Template(slug="noise", name="Noise")
    template.image.save("noise.gif", ContentFile(busy_animation()), save=False)
    template.save()
    TextBox.objects.create(template=template, position=0, y=0.0, height=0.25)
    job = Job.objects.create(owner=alice, template=template, lines=["killed", "mid render"])
    # Queued as the site queues it: the task, by name, on the private broker.
    producer = Celery(broker=private_redis.url, set_as_current=False)  # the suite's own app stays the current one
    producer.send_task("generator.tasks.render_job", args=[str(job.id)], queue="default")
    producer.close()

    # A short visibility timeout: the broker hands an unacknowledged job out again soon after its worker died.
    env = site_env(REDIS_URL=private_redis.url, BROKER_VISIBILITY_TIMEOUT="1")
    first = start_worker(env)

    def drawing():
        job.refresh_from_db()
        return job.status == Job.Status.RUNNING and job.stage == "Drawing the caption"

    wait_for(drawing, 120, f"the first worker drawing the job\n{first.output()}", interval=0.01)
    first.kill(signal.SIGKILL)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING, "the job finished before the worker was killed: the test proves nothing"
    assert not Meme.objects.exists()

    second = start_worker(env)
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, 150, f"the job completing\n{second.output()}", 0.2)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    meme = Meme.objects.get()  # exactly one meme
    assert job.meme == meme and meme.lines == ["killed", "mid render"]
    with Image.open(meme.image.path) as image:
        assert image.format == "GIF" and image.n_frames > 1
    assert "render_job" in second.output()
