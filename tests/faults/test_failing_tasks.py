"""A task that cannot succeed (a corrupt template image, a caption model's file missing) ends its job as failed,
with a reason the user reads on the job's page and in the API; it is not retried, since waiting would not help."""

import json
import shutil
import uuid
from pathlib import Path

import pytest

from generator import services
from generator.models import Job
from tests.conftest import png_bytes
from tests.faults.conftest import wait_for

pytestmark = [
    pytest.mark.faults, pytest.mark.worker, pytest.mark.timeout(240), pytest.mark.django_db(transaction=True)
]  # fmt: skip


def finished(job: Job) -> Job:
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, 120, f"job {job.pk} finishing", 0.1)
    job.refresh_from_db()
    return job


def assert_reason_shown(job, client, client_for, reason: str):
    assert job.status == Job.Status.FAILED and reason in job.error
    client.force_login(job.owner)
    assert f"Failed: {reason}" in client.get(job.get_absolute_url()).content.decode()
    answer = client_for(job.owner).get(f"/api/jobs/{job.pk}/").json()
    assert answer["status"] == "failed" and reason in answer["error"]


@pytest.mark.parametrize(
    "corrupt", [b"this is not an image", png_bytes()[:300]], ids=["not-an-image", "truncated-png"]
)
def test_a_corrupt_template_image_fails_the_job_with_a_reason(
    celery_worker, alice, template, client, client_for, corrupt
):
    Path(template.image.path).write_bytes(corrupt)
    job = finished(services.job_create(owner=alice, template=template, lines=["corrupt", "template"]))
    assert_reason_shown(job, client, client_for, "The image could not be used")
    assert job.meme is None


def test_a_missing_caption_model_file_fails_the_job_with_a_reason(
    celery_worker, alice, template, client, client_for, tiny_caption_model_dir, tmp_path
):
    from captions.services import model_version_activate, model_version_register

    # A registered, active model whose weights went missing (a disk replaced, a folder half copied).
    folder = tmp_path / "model"
    shutil.copytree(tiny_caption_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["version"] = f"weights-gone-{uuid.uuid4().hex[:8]}"  # not one a worker has loaded already
    (folder / "config.json").write_text(json.dumps(config))
    model_version_activate(model_version_register(folder))
    (folder / "weights.pt").unlink()

    job = finished(services.job_create_titled(owner=alice, template=template, title="a missing model"))
    assert_reason_shown(job, client, client_for, "A file this meme needs is missing (weights.pt).")
