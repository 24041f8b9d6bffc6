"""Live experiments: a candidate caption model that passed the held-out gate writes a share of title-mode captions,
and replaces the active model only when people like its memes more.

Each title-mode meme records the model version that wrote it; the experiment compares the up and down votes on the
candidate's memes with those on the control's (the model active when it started), made since it started. The
verdict comes from ml.experiments; no user sees which model wrote a caption.
"""

import logging
import random
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from memes.models import Meme

from .models import CaptionModelVersion, Experiment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Arm:
    memes: int
    ups: int
    downs: int

    @property
    def votes(self) -> int:
        return self.ups + self.downs


def experiment_running() -> Experiment | None:
    return Experiment.objects.select_related("candidate", "control").filter(status=Experiment.Status.RUNNING).first()


@transaction.atomic
def experiment_start(
    candidate: CaptionModelVersion, control: CaptionModelVersion, *, share=None, days=None
) -> Experiment:
    """Try `candidate` live against `control`; an experiment still running ends, stopped, for the newer one."""
    for running in Experiment.objects.select_for_update().filter(status=Experiment.Status.RUNNING):
        _experiment_end(running, Experiment.Status.STOPPED, f"Stopped: {candidate.name} came to be tried instead.")
    candidate.state = CaptionModelVersion.State.TESTING
    candidate.save(update_fields=["state"])
    days = settings.CAPTION_EXPERIMENT_DAYS if days is None else days
    return Experiment.objects.create(
        candidate=candidate, control=control, share=settings.CAPTION_EXPERIMENT_SHARE if share is None else share,
        deadline=timezone.now() + timedelta(days=days),
    )  # fmt: skip


def experiment_version_pick(rng: random.Random | None = None) -> CaptionModelVersion | None:
    """The version that writes the next title-mode caption while an experiment runs (None: no experiment)."""
    experiment = experiment_running()
    if experiment is None:
        return None
    return experiment.candidate if (rng or random).random() < experiment.share else experiment.control


def experiment_arms(experiment: Experiment) -> dict[str, Arm]:
    """The control's and the candidate's title-mode memes made during the experiment, and their votes."""
    memes = Meme.objects.filter(
        source=Meme.Source.TITLE, created_at__gte=experiment.started_at,
        model_version__in=[experiment.control.name, experiment.candidate.name],
    )  # fmt: skip
    rows = {
        row["model_version"]: row
        for row in memes.values("model_version").annotate(memes=Count("id"), ups=Sum("ups"), downs=Sum("downs"))
    }
    empty = {"memes": 0, "ups": 0, "downs": 0}
    return {
        arm: Arm(**{key: rows.get(version.name, empty)[key] or 0 for key in ("memes", "ups", "downs")})
        for arm, version in (("control", experiment.control), ("candidate", experiment.candidate))
    }


@transaction.atomic
def experiment_judge(experiment: Experiment, now=None) -> Experiment:
    """Weigh the votes so far: promote the candidate, roll it back, or let the experiment run on. Each judgement is
    kept in the experiment's history (the admin's plot)."""
    from ml.experiments import decide

    experiment = Experiment.objects.select_for_update().select_related("candidate", "control").get(pk=experiment.pk)
    if experiment.status != Experiment.Status.RUNNING:
        return experiment
    now = now or timezone.now()
    arms = experiment_arms(experiment)
    verdict = decide(
        arms["control"].ups, arms["control"].downs, arms["candidate"].ups, arms["candidate"].downs,
        confidence=settings.CAPTION_EXPERIMENT_CONFIDENCE, min_votes=settings.CAPTION_EXPERIMENT_MIN_VOTES,
        expired=now >= experiment.deadline,
    )  # fmt: skip
    experiment.history.append(
        {"at": now.isoformat(), **{arm: asdict(tally) for arm, tally in arms.items()}, **verdict.as_dict()}
    )
    summary = (
        f"{arms['candidate'].votes} votes on the candidate's {arms['candidate'].memes} memes, "
        f"{arms['control'].votes} on the control's {arms['control'].memes}; {verdict.summary}"
    )
    if verdict.action == "promote":
        from .services import model_version_activate

        experiment.candidate.state = CaptionModelVersion.State.PROMOTED
        experiment.candidate.save(update_fields=["state"])
        model_version_activate(experiment.candidate)
        _experiment_end(experiment, Experiment.Status.PROMOTED, f"Promoted: {summary}", now)
    elif verdict.action == "rollback":
        experiment.candidate.state = CaptionModelVersion.State.REJECTED
        experiment.candidate.save(update_fields=["state"])
        _experiment_end(experiment, Experiment.Status.ROLLED_BACK, f"Rolled back: {summary}", now)
    else:
        experiment.outcome = f"Running: {summary}"
        experiment.save(update_fields=["history", "outcome"])
    log.info("experiment %s: %s", experiment.pk, experiment.outcome)
    return experiment


def experiment_stop(experiment: Experiment, user) -> Experiment:
    """Staff end an experiment: the candidate is not promoted, and the control keeps writing every caption."""
    if experiment.status != Experiment.Status.RUNNING:
        return experiment
    return _experiment_end(experiment, Experiment.Status.STOPPED, f"Stopped by {user}.")


def _experiment_end(experiment: Experiment, status: str, outcome: str, now=None) -> Experiment:
    experiment.status, experiment.outcome, experiment.ended_at = status, outcome, now or timezone.now()
    experiment.save(update_fields=["status", "outcome", "ended_at", "history"])
    return experiment
