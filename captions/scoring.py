"""Taste: the caption scorer (ml.scorer) that title mode's ranking weighs, and its retraining on the site's votes.

The bundled scorer learned from ImgFlip's votes. The learning loop (captions.learning) turns the site's own up and
down votes into pairs: two public memes of one template, each with SCORER_PAIR_MIN_VOTES votes or more, whose
shares of up votes differ clearly (ml.scorer.data.make_pairs with a meme's votes cast as its exposure and its up
votes as its votes). The active scorer is fine-tuned on the training memes' pairs; the new one replaces it only if it
ranks the held-out memes' pairs (services.is_held_out: the same fixed fifth the caption model's gate uses) better.

torch is imported inside the functions that load or train, which only the ml worker runs.
"""

import json
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from memes.models import IN_GALLERY, Meme

from .models import ScorerVersion
from .services import BUNDLED_MODEL_DIR, is_held_out, model_version_activate, stored_path

log = logging.getLogger(__name__)

BUNDLED_SCORER_DIR = settings.BASE_DIR / "ml" / "scorer" / "pretrained"
# A meme's votes cast stand for its views: pairs need comparable exposure (at most 4× the votes) and shares of up
# votes 1.5× apart at least, besides the exact test (ml.scorer.data).
SITE_PAIR_RULE = {"view_factor": 4.0, "rate_factor": 1.5}
FINE_TUNE = {"epochs": 3, "lr": 1e-3, "batch_size": 64, "threads": 1}


def _folder(path: str) -> Path:
    return settings.BASE_DIR / path  # an absolute path stays as it is


def scorer_version_register(scorer_dir: Path, vectors_dir: Path, **fields) -> ScorerVersion:
    """Record a scorer folder (trained over the caption model folder vectors_dir) in the registry."""
    name = json.loads((scorer_dir / "config.json").read_text())["version"]
    version, _ = ScorerVersion.objects.update_or_create(
        name=name, defaults={"path": stored_path(scorer_dir), "vectors_path": stored_path(vectors_dir), **fields}
    )
    return version


def scorer_version_active() -> ScorerVersion | None:
    """The scorer title mode weighs now; on a fresh site the bundled one, registered on first use (None when the
    checkout has none)."""
    version = ScorerVersion.objects.filter(is_active=True).first()
    if version is None and (BUNDLED_SCORER_DIR / "weights.pt").exists():
        with transaction.atomic():
            version = ScorerVersion.objects.select_for_update().filter(is_active=True).first()
            if version is None:
                bundled = scorer_version_register(BUNDLED_SCORER_DIR, BUNDLED_MODEL_DIR, state=ScorerVersion.State.BUNDLED)
                version = model_version_activate(bundled)
    return version


class _Loaded:
    """The scorer this process has loaded (a second to load: once per process and version)."""

    name: str | None = None
    scorer = None


def scorer_loaded():
    """The active scorer (ml.scorer.Scorer), or None when there is none or it cannot be read (the ranking then
    goes without taste, and the reason is logged once per version)."""
    version = scorer_version_active()
    if version is None:
        return None
    if _Loaded.name != version.name:
        from ml.scorer import load

        try:
            _Loaded.scorer = load(_folder(version.path), _folder(version.vectors_path))
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            log.warning("caption scorer %s not loaded, title mode ranks without taste: %s", version.name, error)
            _Loaded.scorer = None
        _Loaded.name = version.name
    return _Loaded.scorer


def taste_for(template_slug: str):
    """The ranking's taste term for captions of this template (ml.captions.generate.Taste), or None."""
    scorer = scorer_loaded()
    if scorer is None:
        return None
    return lambda captions: scorer.score_batch(template_slug, captions)


# --- learning from the site's votes ------------------------------------------------------------------------------


def site_vote_memes() -> tuple[list, list]:
    """(training, held-out) memes of the gallery as the scorer reads them: a meme's votes cast as its exposure, its
    up votes as its votes. Memes on no template, and memes with too few votes to compare, are left out."""
    from ml.captions.data import CaptionRecord
    from ml.scorer.data import Meme as VotedMeme

    train, heldout = [], []
    rows = Meme.objects.filter(IN_GALLERY, template__isnull=False).values_list("pk", "template__slug", "lines", "title", "ups", "downs")
    for pk, slug, lines, title, ups, downs in rows.iterator(chunk_size=5000):
        boxes = tuple(line.strip() for line in lines if line.strip())
        if boxes and ups + downs >= settings.SCORER_PAIR_MIN_VOTES:
            meme = VotedMeme(CaptionRecord(slug, boxes, title, meme_id=f"site:{pk}"), ups + downs, ups)
            (heldout if is_held_out(pk) else train).append(meme)
    return train, heldout


def _pairs(memes: list) -> list:
    from ml.scorer.data import make_pairs

    return make_pairs(memes, min_views=settings.SCORER_PAIR_MIN_VOTES, **SITE_PAIR_RULE)


def scorer_retrain(run_id: int) -> str:
    """Fine-tune the active scorer on the site's vote pairs; keep the new one only if it ranks held-out pairs
    better. Returns what happened, in a sentence for the training run's outcome."""
    from ml.scorer.evaluation import pair_metrics
    from ml.scorer.model import ARCHITECTURE
    from ml.scorer.scorer import Scorer, save
    from ml.scorer.training import TrainConfig, config_dict, fine_tune

    train, heldout = site_vote_memes()
    train_pairs, heldout_pairs = _pairs(train), _pairs(heldout)
    if len(train_pairs) < settings.SCORER_MIN_PAIRS:
        return f"Scorer: {len(train_pairs)} pairs of site votes so far; it retrains from {settings.SCORER_MIN_PAIRS}."
    active = scorer_version_active()
    scorer = scorer_loaded()
    if scorer is None:
        return "Scorer: no active scorer could be loaded to start from."
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    config = TrainConfig(**{**FINE_TUNE, "version": f"{active.name.split('+')[0][:120]}+site{stamp}-run{run_id}"})
    model, templates, history = fine_tune(scorer, train, [], config, {"min_views": settings.SCORER_PAIR_MIN_VOTES, **SITE_PAIR_RULE}, log=log.info)
    candidate = Scorer(model, scorer.vocab, templates, {**scorer.config, "version": config.version})
    auc = {name: pair_metrics(one.score_many([(m.template, m.boxes) for m in heldout]), heldout_pairs)["auc"]
           if heldout_pairs else None for name, one in (("candidate", candidate), ("active", scorer))}  # fmt: skip
    passed = len(heldout_pairs) >= settings.SCORER_MIN_HELDOUT_PAIRS and auc["candidate"] > auc["active"]
    gate = {"training_pairs": len(train_pairs), "heldout_pairs": len(heldout_pairs), **auc, "passed": passed}
    out_dir = Path(settings.SCORER_MODELS_DIR) / config.version
    kept = {**config_dict(config, scorer.vocab), **{key: scorer.config.get(key, 0) for key in ARCHITECTURE}}
    save(out_dir, model, templates, {**kept, "history": history, "site_gate": gate}, _folder(active.vectors_path))
    state = ScorerVersion.State.PROMOTED if passed else ScorerVersion.State.REJECTED
    version = scorer_version_register(out_dir, _folder(active.vectors_path), base=active, state=state, gate=gate)
    held = f"held-out pairs {len(heldout_pairs)}" + (f", AUC {auc['candidate']:.3f} vs active {auc['active']:.3f}" if heldout_pairs else "")
    if not passed:
        return f"Scorer {version.name} rejected ({held}): the active scorer stays."
    model_version_activate(version)
    return f"Scorer {version.name} promoted ({len(train_pairs)} training pairs, {held})."
