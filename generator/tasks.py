"""Celery tasks: thin wrappers that call the services."""

from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=3, retry_backoff=True)
def render_job(self, job_id: str) -> None:
    try:
        services.job_run(job_id)
    except OSError as error:
        # Storage hiccups are worth another try; after the last one the user is told.
        if self.request.retries >= self.max_retries:
            services.job_fail(job_id, "The meme could not be saved. Please try again later.")
            raise
        raise self.retry(exc=error) from error
