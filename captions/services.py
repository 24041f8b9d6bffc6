"""The caption model as the site uses it: the corpus it learns from, the registry of trained versions,
and the generator each worker process keeps loaded between tasks."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

import ml.captions
from memes import ranking
from memes.models import IN_GALLERY, Meme, Template
from ml.captions import aliases
from ml.captions.data import CaptionRecord, TemplateInfo
from ml.captions.safety import UnfitCaptions, offensive_reasons

from .models import Caption, CaptionModelVersion, Version

if TYPE_CHECKING:  # torch: imported where a caption is written, so the web process never loads it
    from ml.captions.generate import CaptionGenerator

log = logging.getLogger(__name__)

LIKED_HOLDOUT_PERCENT = 20
LIKED_WINDOW = timedelta(days=30)
# Rounds of drawing when the safety check drops candidates: a title the check objects to, which the model copies,
# fails every round, and the user is told instead of kept waiting.
CAPTION_ROUNDS = 3

# The small model committed with the project: title mode works on a fresh machine before any training.
BUNDLED_MODEL_DIR = Path(ml.captions.__file__).resolve().parent / "pretrained"


def template_info(template: Template, known: dict[str, list[str]] | None = None, boxes=None) -> TemplateInfo:
    """What the model knows of a template: its words, and how many boxes to fill. Given the model's templates and
    their aliases (`known`), the slug is the model's name for it (memegen's `drake` is the corpus's
    `drake-hotline-bling`), so a template the model learned under another name gets its learned row. `boxes`
    describe a template that is not saved (a folder read without importing it)."""
    boxes = list(template.boxes.all()) if boxes is None else boxes
    return TemplateInfo(
        slug=(known is not None and aliases.resolve(template.slug, template.name, known)) or template.slug,
        name=template.name,
        n_boxes=len(boxes) or 2,
        tags=tuple(str(tag) for tag in template.tags),
        examples=tuple(box.example for box in boxes if box.example),
    )


def corpus_records() -> Iterator[CaptionRecord]:
    """Every caption the model learns from: the imported ones, then the gallery's, weighted by their votes
    (platform_records; its held-out fifth stays out)."""
    yield from imported_records()
    yield from platform_records()[0]


def caption_keep(template: Template, boxes: list[str], *, dataset: str, external_id: str, title: str = "") -> bool:
    """Keep one caption of a template in the corpus, once: a caption already kept under its dataset and id is left
    as it was (importing again adds nothing twice). True when it is new."""
    _, created = Caption.objects.get_or_create(
        dataset=dataset, external_id=external_id,
        defaults={"template": template, "boxes": boxes, "title": title[: Caption._meta.get_field("title").max_length]},
    )  # fmt: skip
    return created


def imported_records() -> Iterator[CaptionRecord]:
    """The imported captions, in the order they were imported; the source's id makes the fixed held-out split
    (data.is_heldout) the same as on the file they came from."""
    imported = Caption.objects.values_list("template__slug", "boxes", "title", "external_id").order_by("pk")
    for slug, boxes, title, external_id in imported.iterator(chunk_size=5000):
        yield CaptionRecord(template=slug, boxes=tuple(boxes), title=title, meme_id=external_id or "")


def caption_weight(source: str, ups: int, downs: int, remixers: int = 0) -> float:
    """How much a meme's caption counts in training: a hand-written caption counts once, and each caption gains up
    to twice more as people like it (the Wilson lower bound of its up votes, each other person who remixed it
    counting as one more); a disliked one counts a quarter."""
    ups += remixers
    weight = (1.0 if source == Meme.Source.MANUAL else 0.0) + 2.0 * ranking.best(ups, downs)
    return weight * 0.25 if downs > ups else weight


def is_held_out(meme_id: int) -> bool:
    """A fixed fifth of the site's memes, by id: the same memes every run, so the gate never tests on training data."""
    return (meme_id * 2654435761) % 100 < LIKED_HOLDOUT_PERCENT


def platform_records() -> tuple[list[CaptionRecord], list[CaptionRecord]]:
    """(training records, the recently liked held-out ones) from the gallery's memes; hidden and private memes,
    and memes on no template, teach nothing."""
    train, liked = [], []
    recent = timezone.now() - LIKED_WINDOW
    # A remix says someone liked the caption enough to start from it; remixing one's own meme says nothing.
    remixers = Count("remixes__owner", filter=~Q(remixes__owner=F("owner")), distinct=True)
    memes = Meme.objects.filter(IN_GALLERY, template__isnull=False).annotate(remixers=remixers).values_list(
        "pk", "template__slug", "lines", "title", "source", "ups", "downs", "remixers", "created_at",
        "parent__source", "parent__lines",
    )  # fmt: skip
    for pk, slug, lines, title, source, ups, downs, remixed, created, parent_source, parent_lines in memes.iterator(
        chunk_size=5000
    ):
        # A remix that kept its parent's caption did not write it: it counts as its parent's words do.
        source = parent_source if parent_lines == lines else source
        boxes = tuple(line for line in lines if line.strip())
        weight = caption_weight(source, ups, downs, remixed)
        if not boxes:
            continue
        record = CaptionRecord(template=slug, boxes=boxes, title=title, weight=weight)
        if is_held_out(pk):
            if ups + remixed > downs and created >= recent:
                liked.append(record)
        elif weight > 0:
            train.append(record)
    return train, liked


def model_version_register(model_dir: Path) -> CaptionModelVersion:
    """Record a trained model folder in the registry (again: its metrics are refreshed)."""
    config = json.loads((model_dir / "config.json").read_text())
    metrics_file = model_dir / "metrics.json"
    version, _ = CaptionModelVersion.objects.update_or_create(
        name=config["version"],
        defaults={
            "path": stored_path(model_dir),
            "head": config.get("head", ""),
            "metrics": json.loads(metrics_file.read_text()) if metrics_file.exists() else {},
        },
    )
    return version


def stored_path(model_dir: Path) -> str:
    """Folders inside the project are stored relative to it, so a moved checkout keeps its models."""
    model_dir = model_dir.resolve()
    return str(model_dir.relative_to(settings.BASE_DIR) if model_dir.is_relative_to(settings.BASE_DIR) else model_dir)


def model_version_folder(version: CaptionModelVersion) -> Path:
    return settings.BASE_DIR / version.path  # an absolute path stays as it is


@transaction.atomic
def model_version_activate(version: Version) -> Version:
    """Make a version (a caption model's, a scorer's) the active one of its kind."""
    type(version).objects.select_for_update().filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active, version.activated_at = True, timezone.now()
    version.save(update_fields=["is_active", "activated_at"])
    return version


def model_version_active() -> CaptionModelVersion:
    """The version that writes captions now; on a fresh site, the bundled model, registered on first use. A site
    whose active model is the bundled one moves to the bundled model an upgrade brought: the folder's old files
    are gone, and memes must not record the old name for text the new files wrote."""
    version = CaptionModelVersion.objects.filter(is_active=True).first()
    if version is None or _bundle_replaced(version):
        with transaction.atomic():
            version = CaptionModelVersion.objects.select_for_update().filter(is_active=True).first()
            if version is None or _bundle_replaced(version):
                version = model_version_activate(model_version_register(BUNDLED_MODEL_DIR))
    return version


@functools.cache
def _bundled_version_name() -> str:
    return json.loads((BUNDLED_MODEL_DIR / "config.json").read_text())["version"]


def _bundle_replaced(version: CaptionModelVersion) -> bool:
    return version.path == stored_path(BUNDLED_MODEL_DIR) and version.name != _bundled_version_name()


class _LoadedModel:
    """The generators this process has loaded: loading takes a second, so it happens once per process and version
    (checked between tasks, never during one). The active model stays loaded, and during a live experiment the
    candidate too."""

    generators: dict[str, CaptionGenerator] = {}
    known: aliases.KnownTemplates = aliases.KnownTemplates({})  # the active model's templates, their aliases
    known_version: str | None = None
    loads = 0


def caption_generator(version: CaptionModelVersion | None = None) -> CaptionGenerator:
    """The generator of `version`, by default the active model's."""
    from ml.captions.generate import CaptionGenerator

    active = model_version_active()
    version = version or active
    if version.name not in _LoadedModel.generators:
        log.info("loading caption model %s from %s", version.name, version.path)
        for name in [name for name in _LoadedModel.generators if name not in (active.name, version.name)]:
            del _LoadedModel.generators[name]
        _LoadedModel.generators[version.name] = CaptionGenerator.load(model_version_folder(version))
        _LoadedModel.loads += 1
    return _LoadedModel.generators[version.name]


def templates_known() -> aliases.KnownTemplates:
    """The active model's templates: their names and aliases (ml.captions.aliases), kept with the model."""
    active = model_version_active()
    if _LoadedModel.known_version != active.name:
        _LoadedModel.known = aliases.known_templates(model_version_folder(active))
        _LoadedModel.known_version = active.name
    return _LoadedModel.known


def captions_write(
    template: Template | TemplateInfo, title: str, *, n: int = 4, seed: int | None = None
) -> tuple[list[list[str]], str]:
    """n candidate captions (one line per box of the template) for a title, and the model version that wrote them.
    A TemplateInfo describes a picture that is no template (photo mode: the user's own photo).

    No candidate the safety check flags (ml.captions.safety) is returned: it is dropped and more are drawn, for
    at most CAPTION_ROUNDS rounds (fewer than n come back only when the rounds ran out; UnfitCaptions when none is
    clean)."""
    from .experiments import experiment_version_pick
    from .scoring import taste_for

    generator = caption_generator(experiment_version_pick())
    info = template if isinstance(template, TemplateInfo) else template_info(template, templates_known())
    taste = taste_for(info.slug)
    kept: list[list[str]] = []
    for round_ in range(CAPTION_ROUNDS):
        drawn = generator.generate(title, info, n=n, seed=None if seed is None else seed + round_, taste=taste)
        reasons = offensive_reasons([" ".join(lines) for lines in drawn])
        kept += [lines for lines, reason in zip(drawn, reasons) if reason is None]
        if len(kept) >= n:
            break
        log.info("caption round %d: dropped %s for %r on %s", round_, [r for r in reasons if r], title, info.slug)
    if not kept:
        raise UnfitCaptions("No caption fit to show could be written for this title; please try another.")
    return kept[:n], generator.version


def model_train(config, *, resume: bool = False, progress: bool = True) -> CaptionModelVersion:
    """Train a caption model on the whole corpus (a held-out slice kept for its metrics) and register it.

    `config` is an ml.captions.training.TrainConfig; the files go to CAPTION_MODELS_DIR/<version>."""
    from ml.captions.data import make_splits
    from ml.captions.training import train

    records = list(corpus_records())
    if not records:
        raise ValueError("The corpus is empty: import captions first (manage.py import_captions PATH).")
    templates = {template.slug: template_info(template) for template in Template.objects.prefetch_related("boxes")}
    splits = make_splits(records, cold_templates=config.cold_templates, limit=config.limit, seed=config.seed)
    out_dir = Path(settings.CAPTION_MODELS_DIR) / config.version
    train(splits.train, templates, config, out_dir, resume=resume, progress=progress, heldout=splits.heldout)
    return model_version_register(out_dir)
