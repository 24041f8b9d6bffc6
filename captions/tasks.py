"""Celery tasks of the learning loop."""

import logging

from celery import shared_task

from . import learning
from .models import TrainingRun

log = logging.getLogger(__name__)


# On the ml queue: it trains. One run at a time per worker, never retried blindly (a run takes minutes).
@shared_task(name="ml.retrain_captions", acks_late=True)
def retrain_captions(run_id: int | None = None) -> None:
    """A queued run, or with no id (the schedule) a new one."""
    run = TrainingRun.objects.filter(pk=run_id).first() if run_id else TrainingRun.objects.create()
    if run is None or run.status != TrainingRun.Status.QUEUED:
        log.warning("training run %s is gone or already started; skipping it", run_id)
        return
    try:
        learning.run_carry_out(run)
    except Exception as error:
        learning.run_fail(run.pk, f"{type(error).__name__}: {error}")
        raise


# On the default queue: counting votes needs no model.
@shared_task(name="captions.judge_experiment")
def judge_experiment() -> str | None:
    """The running experiment's verdict from the votes so far (the schedule asks every few minutes)."""
    from .experiments import experiment_judge, experiment_running

    experiment = experiment_running()
    return experiment_judge(experiment).status if experiment else None
