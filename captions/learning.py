"""The learning loop: what people write and like on the site becomes training data; a fine-tuned candidate that
beats the active caption model on held-out captions is then tried live (captions.experiments), and replaces it
only if people like its memes more. The caption scorer is retrained on the site's votes too (captions.scoring).

The admin imports this module (its "Retrain now" button), so torch, gensim and scipy are imported inside the
functions that train or judge, which only the ml worker runs.

Held out, never trained on: a fixed slice of the imported corpus (the same every run), and the site's memes
whose id falls in a fixed fifth (services.is_held_out); of those, the recently liked ones are the gate's
second test. A version that loses is kept, rejected, with its numbers; admin can make any version active again.
"""

import dataclasses
import logging
import random
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from memes.models import Template
from ml.captions.data import CaptionRecord, make_splits
from ml.captions.vocab import Vocabulary

from .experiments import experiment_start
from .models import CaptionModelVersion, TrainingRun
from .scoring import scorer_retrain
from .services import (
    imported_records,
    model_version_activate,
    model_version_active,
    model_version_folder,
    model_version_register,
    platform_records,
    template_info,
)

log = logging.getLogger(__name__)

FIXED_HOLDOUT_MAX = 2000
# Old captions replayed beside the new ones, so the model learns the new without forgetting the old.
REPLAY_PER_NEW_CAPTION = 4
REPLAY_MAX = 20000


def imported_splits(seed: int = 0) -> tuple[list[CaptionRecord], list[CaptionRecord]]:
    """(replayable training records, the fixed held-out set) of the imported corpus: the same split every run."""
    records = list(imported_records())
    if not records:
        return [], []
    splits = make_splits(records, cold_templates=0, seed=seed)
    heldout = random.Random(seed).sample(splits.heldout, min(FIXED_HOLDOUT_MAX, len(splits.heldout)))
    return splits.train, heldout


def run_request(*, user=None, **options) -> TrainingRun:
    """Queue a turn of the learning loop (from admin, or the schedule)."""
    from .tasks import retrain_captions

    run = TrainingRun.objects.create(requested_by=user, options=options_clean(options))
    transaction.on_commit(lambda: retrain_captions.delay(run.pk))
    return run


def _run_update(run: TrainingRun, **changes) -> None:
    for name, value in changes.items():
        setattr(run, name, value)
    run.save()


def run_carry_out(run: TrainingRun) -> TrainingRun:
    """Fine-tune the active model on the site's captions, gate the candidate, promote or reject it, then refit
    the photo ensemble's weights from the labelled faces."""
    from expressions.services import weights_refit
    from ml.captions.finetune import FineTuneConfig, fine_tune

    _run_update(run, status=TrainingRun.Status.RUNNING, progress=0.01, stage="Collecting captions")
    new_records, liked = platform_records()
    replay, fixed = imported_splits()
    if not new_records:
        taste = scorer_retrain(run.pk)
        weights_refit()
        return _finish(run, f"Nothing new to learn from: no public meme on a template has a caption that counts yet. {taste}")

    active = model_version_active()
    replay = random.Random(run.pk).sample(replay, min(len(replay), REPLAY_MAX, REPLAY_PER_NEW_CAPTION * len(new_records)))
    templates = {template.slug: template_info(template) for template in Template.objects.prefetch_related("boxes")}
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    config = FineTuneConfig(version=f"{active.name.split('+')[0][:70]}+ft{stamp}-run{run.pk}", **run.options)
    out_dir = Path(settings.CAPTION_MODELS_DIR) / config.version

    def on_progress(fraction: float, stage: str) -> None:
        _run_update(run, progress=0.05 + 0.8 * fraction, stage=stage)

    fine_tune(model_version_folder(active), new_records + replay, templates, config, out_dir,
              heldout=fixed, progress=False, on_progress=on_progress)  # fmt: skip
    candidate = model_version_register(out_dir)
    candidate.base = active
    _run_update(run, candidate=candidate, progress=0.87, stage="Judging the candidate on held-out captions")
    candidate.gate = gate_judge(candidate, active, templates, fixed=fixed, liked=liked)
    candidate.state = CaptionModelVersion.State.REJECTED
    candidate.save()
    if not candidate.gate["passed"]:
        verdict = "rejected: the active model stays"
    elif settings.CAPTION_EXPERIMENT_SHARE > 0:
        # What people like is the last word: the candidate is tried live before it is promoted.
        experiment = experiment_start(candidate, active)
        verdict = (
            f"passed the held-out gate: it writes {experiment.share:.0%} of title-mode captions in a live experiment"
        )
    else:
        candidate.state = CaptionModelVersion.State.PROMOTED
        candidate.save(update_fields=["state"])
        model_version_activate(candidate)
        verdict = "promoted: it is active now"
    _run_update(run, progress=0.9, stage="Retraining the caption scorer on the site's votes")
    taste = scorer_retrain(run.pk)
    _run_update(run, progress=0.95, stage="Refitting the photo ensemble's weights")
    weights_refit()
    return _finish(run, f"{candidate.name} {verdict}. {candidate.gate['summary']} {taste}")


def gate_judge(candidate: CaptionModelVersion, active: CaptionModelVersion, templates, *, fixed, liked) -> dict:
    """Perplexity of both on the fixed held-out captions and on the recently liked held-out ones, on the same
    tokens; the candidate passes only if it is lower on every set that has captions (and one must have some)."""
    from ml.captions.evaluation import perplexity_of
    from ml.captions.storage import VOCAB

    gate = {"sets": {}}
    # On the active model's words: the candidate's new words count as the active model's <unk> does.
    reference = Vocabulary.load(model_version_folder(active) / VOCAB)
    for name, records in (("fixed", fixed), ("liked", liked)):
        if records:
            gate["sets"][name] = {
                "captions": len(records),
                "candidate": perplexity_of(model_version_folder(candidate), records, templates, reference=reference),
                "active": perplexity_of(model_version_folder(active), records, templates),
            }
    gate["passed"] = gate_passes(gate["sets"])
    gate["summary"] = "; ".join(
        f"{name} ({s['captions']} captions): {s['candidate']:.1f} vs active {s['active']:.1f}" for name, s in gate["sets"].items()
    ) or "no held-out captions to judge on"
    return gate


def gate_passes(sets: dict) -> bool:
    """Lower perplexity than the active model on every set with captions. CAPTION_GATE_TOLERANCE lets the fixed
    set lose a little (a model that learns new templates tends to give up a few percent on old ones); 0, the
    default, asks for a win on every set."""
    allowed = {"fixed": 1 + settings.CAPTION_GATE_TOLERANCE, "liked": 1.0}
    return bool(sets) and all(s["candidate"] < s["active"] * allowed[name] for name, s in sets.items())


def _finish(run: TrainingRun, outcome: str) -> TrainingRun:
    log.info("training run %s: %s", run.pk, outcome)
    _run_update(run, status=TrainingRun.Status.SUCCEEDED, progress=1.0, stage="Done", outcome=outcome, finished_at=timezone.now())
    return run


def run_fail(run_id: int, reason: str) -> None:
    TrainingRun.objects.filter(pk=run_id).update(
        status=TrainingRun.Status.FAILED, stage="Failed", outcome=reason, finished_at=timezone.now()
    )


def options_clean(options: dict) -> dict:
    """Only FineTuneConfig's own settings (not its version name) may be set for a run."""
    if not options:
        return options  # the admin's button sets none: no need to load torch in the web process to check them
    from ml.captions.finetune import FineTuneConfig

    allowed = {field.name for field in dataclasses.fields(FineTuneConfig)} - {"version"}
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(f"Unknown fine-tuning settings: {', '.join(sorted(unknown))}.")
    return options
