"""Making memes: checking a request, queuing it as a job, carrying the job out, telling the browser."""

import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from .images import ImageRejected, open_image
from .models import Job, Meme, Template
from .rendering import TOP_AND_BOTTOM, render_meme

log = logging.getLogger(__name__)


def lines_clean(lines) -> list[str]:
    """The lines of a meme, stripped, or a ValidationError that says what is wrong with them."""
    if isinstance(lines, str) or not isinstance(lines, (list, tuple)):
        raise ValidationError("Send the lines as a list of strings, one per text box.")
    if len(lines) > settings.MEME_MAX_LINES:
        raise ValidationError(f"A meme has at most {settings.MEME_MAX_LINES} lines.")
    cleaned = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, str):
            raise ValidationError(f"Line {number} is not text.")
        if len(line) > settings.MEME_MAX_LINE_CHARS:
            raise ValidationError(
                f"Line {number} has {len(line)} characters; a line has at most {settings.MEME_MAX_LINE_CHARS}."
            )
        cleaned.append(line.strip())
    if not any(cleaned):
        raise ValidationError("Write at least one line of text.")
    return cleaned


def upload_open(upload) -> Image.Image:
    """Open an uploaded image safely, or raise a ValidationError saying why it cannot be used."""
    upload.seek(0)
    try:
        return open_image(upload, max_bytes=settings.MEME_MAX_UPLOAD_BYTES, max_pixels=settings.MEME_MAX_PIXELS)
    except ImageRejected as error:
        raise ValidationError(str(error)) from error
    finally:
        upload.seek(0)


def job_create(*, owner, lines, template: Template | None = None, background=None, is_public=True) -> Job:
    """Queue a hand-written meme on a template or on the user's own image."""
    if (template is None) == (background is None):
        raise ValidationError("Choose a template or upload an image, not both.")
    lines = lines_clean(lines)
    if background is not None:
        upload_open(background)
    job = Job.objects.create(
        owner=owner,
        kind=Meme.Source.MANUAL,
        template=template,
        background=background or "",
        lines=lines,
        is_public=is_public,
        stage="Waiting for a worker",
    )
    # Only once the row is committed can the worker find it.
    transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: Job) -> None:
    from .tasks import render_job

    render_job.delay(str(job.id))


def job_run(job_id) -> Job | None:
    """Carry out a queued job: render the meme and save it. Safe to run twice for one job."""
    job = Job.objects.select_related("template").filter(pk=job_id).first()
    if job is None:
        log.warning("job %s no longer exists; dropping it", job_id)
        return None
    if job.is_finished:
        return job
    job_update(job, status=Job.Status.RUNNING, progress=0.2, stage="Drawing the caption")
    try:
        image, boxes = _base_image(job)
        picture = render_meme(image, boxes, job.lines, width=settings.MEME_RENDER_WIDTH, format="jpeg")
    except ImageRejected as error:
        return job_update(job, status=Job.Status.FAILED, error=f"The image could not be used: {error}")
    with transaction.atomic():
        meme = Meme.objects.create(
            owner=job.owner,
            template=job.template,
            background=job.background.name if job.background else "",
            lines=job.lines,
            image=ContentFile(picture, name=f"{uuid.uuid4().hex}.jpg"),
            source=job.kind,
            is_public=job.is_public,
        )
        job.meme = meme
        return job_update(job, status=Job.Status.SUCCEEDED, progress=1.0, stage="Done")


def job_fail(job_id, reason: str) -> None:
    """End a job that could not be carried out, with a reason the user can read."""
    job = Job.objects.filter(pk=job_id).first()
    if job is not None and not job.is_finished:
        job_update(job, status=Job.Status.FAILED, error=reason)


def _base_image(job: Job) -> tuple[Image.Image, list]:
    if job.template is not None:
        with job.template.image.open("rb") as file:
            return open_image(file.read(), max_pixels=settings.MEME_MAX_PIXELS), job.template.text_boxes()
    with job.background.open("rb") as file:
        return open_image(file.read(), max_pixels=settings.MEME_MAX_PIXELS), list(TOP_AND_BOTTOM)


def job_update(job: Job, **changes) -> Job:
    """Save a job's new state and push it to everyone watching the job."""
    for name, value in changes.items():
        setattr(job, name, value)
    if job.status == Job.Status.FAILED:
        job.stage = "Failed"
    job.save()
    transaction.on_commit(lambda: job_publish(job))
    return job


def job_publish(job: Job) -> None:
    from .serializers import JobSerializer

    message = {"type": "job.update", "job": JobSerializer(job).data}
    async_to_sync(get_channel_layer().group_send)(job.group_name, message)
