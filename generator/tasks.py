"""Celery tasks: thin wrappers that call the services."""

import logging
from pathlib import Path

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

from memesite.images import ImageRejected
from ml.captions.safety import UnfitCaptions

from . import cleanup, queueing, services

log = logging.getLogger(__name__)


def _run_with_retries(task, job_id: str) -> None:
    try:
        services.job_run(job_id)
    except FileNotFoundError as error:
        # Waiting will not bring a missing file back (a template's image, a model's weights): fail now, and say so.
        log.error("job %s: missing file %s", job_id, error.filename)
        services.job_fail(job_id, f"A file this meme needs is missing ({Path(error.filename or '').name or 'unknown'}).")
    except ImageRejected as error:
        # A stored picture the renderer cannot draw (saved before its shape was checked) stays so.
        services.job_fail(job_id, f"The image could not be used: {error}")
    except UnfitCaptions as error:
        # Drawing again would copy the same title: the user picks another.
        services.job_fail(job_id, str(error))
    except Exception as error:
        if not _may_pass(error):
            # It would fail the same way on every try: end the job with a reason rather than leave it running, to be
            # queued again forever and counted against its owner's limit.
            log.exception("job %s failed", job_id)
            services.job_fail(job_id, "Something went wrong while making this meme, and trying again would not help.")
            return
        # Storage hiccups and a database restarting are worth another try, each later than the last; after the
        # last one the user is told.
        if task.request.retries >= task.max_retries:
            services.job_fail(job_id, "The meme could not be saved. Please try again later.")
            raise
        # 2, 4, 8 s: long enough for a database or a disk to come back, short enough that the user still waits.
        countdown = get_exponential_backoff_interval(factor=2, retries=task.request.retries, maximum=60)
        raise task.retry(exc=error, countdown=countdown) from error


def _may_pass(error: Exception) -> bool:
    """Whether another try may succeed: the database restarting, the storage away for a moment (an OSError with an
    errno). Pillow's complaints about the data are OSErrors without one, and a missing permission stays missing."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, OSError) and error.errno is not None and not isinstance(error, PermissionError)


@shared_task(bind=True, max_retries=3)
def render_job(self, job_id: str) -> None:
    _run_with_retries(self, job_id)


# Named under "ml." so that it is routed to the ml queue, where the caption model is loaded.
@shared_task(name="ml.caption_job", bind=True, max_retries=3)
def caption_job(self, job_id: str) -> None:
    _run_with_retries(self, job_id)


# On the ml queue too: the expression ensemble reads the photo, then the caption model writes.
@shared_task(name="ml.photo_job", bind=True, max_retries=3)
def photo_job(self, job_id: str) -> None:
    _run_with_retries(self, job_id)


@shared_task(name="generator.requeue_stale_jobs")
def requeue_stale_jobs() -> int:
    return queueing.jobs_requeue_stale()


@shared_task(name="generator.remove_orphan_media")
def remove_orphan_media() -> int:
    return len(cleanup.media_orphans_remove())
