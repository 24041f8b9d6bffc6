"""Admitting jobs to the queue and handing them to the broker: the limits that shed load, the broker's outages,
and the recovery of jobs whose message was lost."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from memes.models import Meme

from .models import Job

log = logging.getLogger(__name__)


class JobRefused(Exception):
    """A job the site cannot take now; `status` is the HTTP status that says why, the message is for a person."""

    status = 503
    retry_after = 30


class QueueUnavailable(JobRefused):
    def __init__(self):
        super().__init__("Memes cannot be made right now: the job queue is unavailable. Please try again in a minute.")


class QueueFull(JobRefused):
    def __init__(self):
        super().__init__("Too many memes are waiting to be made right now. Please try again in a few minutes.")


class TooManyJobs(JobRefused):
    status = 429

    def __init__(self, limit: int):
        super().__init__(f"You already have {limit} memes waiting to be made. Wait until one is done, then try again.")


def job_admit(owner) -> None:
    """Refuse a new job when its owner has too many unfinished, or the whole site too many waiting."""
    unfinished = Job.objects.filter(owner=owner, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    if unfinished.count() >= settings.MEME_MAX_JOBS_PER_USER:
        raise TooManyJobs(settings.MEME_MAX_JOBS_PER_USER)
    if Job.objects.filter(status=Job.Status.QUEUED).count() >= settings.MEME_MAX_QUEUED_JOBS:
        raise QueueFull()


def job_enqueue(job: Job) -> None:
    """Hand the job to the worker that can carry it out; QueueUnavailable when the broker cannot be reached."""
    from .tasks import caption_job, photo_job, render_job

    # Only jobs that still need a model go to the ml queue: the caption model, and first the expression reader.
    task = render_job if job.lines else {Meme.Source.TITLE: caption_job, Meme.Source.PHOTO: photo_job}[job.kind]
    try:
        task.apply_async((str(job.id),), retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5})
    except BrokerError as error:
        log.error("job %s not queued: the broker is unavailable (%s)", job.id, error)
        raise QueueUnavailable() from error


def jobs_requeue_stale() -> int:
    """Queue again every unfinished job nobody has touched for JOB_REQUEUE_AFTER seconds: its message was lost
    (a broker restarted without it). Running a job twice makes one meme. Answers how many were queued."""
    stale = Job.objects.filter(
        status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        updated_at__lt=timezone.now() - timedelta(seconds=settings.JOB_REQUEUE_AFTER),
    )
    count = 0
    for job in stale.iterator():
        job_enqueue(job)
        Job.objects.filter(pk=job.pk).update(updated_at=timezone.now())  # not again at the next turn
        count += 1
    if count:
        log.warning("queued %d stale jobs again", count)
    return count
