"""The expression ensemble as the site uses it: reading photos in a worker, the faces users label when it reads
one wrong, and the per-class fusion weights fitted on those faces."""

import io
import logging
import uuid

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from memes.models import EXPRESSIONS, Template
from memesite.images import open_image

from .models import FusionWeights, LabelledFace

log = logging.getLogger(__name__)

LABELS = dict(EXPRESSIONS)
CROP_MARGIN = 0.25  # of the face box, on every side of a labelled face's crop: the ensemble's "loose" view


class _LoadedEnsemble:
    """The ensemble this process has loaded: the networks once per process; the fusion weights and temperatures
    again only when a newer fit exists (checked when a task asks for the ensemble, never during a reading)."""

    ensemble = None
    weights_id: int | None = None  # the FusionWeights row in use; None: uniform
    loads = 0


def ensemble():
    """The loaded ml.expressions.ExpressionEnsemble (its members: those whose packages are installed), with the
    newest fusion weights and temperatures."""
    from ml.expressions import ExpressionEnsemble  # torch: only the processes that read faces import it

    latest = FusionWeights.objects.first()
    if _LoadedEnsemble.ensemble is None:
        log.info("loading the expression ensemble")
        _LoadedEnsemble.ensemble, _LoadedEnsemble.weights_id = ExpressionEnsemble.load(), None
        _LoadedEnsemble.loads += 1
        log.info("expression ensemble members: %s", ", ".join(_LoadedEnsemble.ensemble.member_names))
    if latest is not None and latest.pk != _LoadedEnsemble.weights_id:
        loaded = _LoadedEnsemble.ensemble
        _LoadedEnsemble.ensemble = loaded.with_fit(*_fit(latest, loaded.member_names))
        _LoadedEnsemble.weights_id = latest.pk
    return _LoadedEnsemble.ensemble


def _fit(weights: FusionWeights, members: tuple[str, ...]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The fitted matrix and temperatures, or (None, None) (uniform, 1) when they were fitted for other members or
    classes than the ensemble's."""
    from ml.expressions import CLASSES

    if (tuple(weights.members), tuple(weights.classes)) != (members, CLASSES):
        log.warning("fusion weights %s are for other members or classes; using uniform weights", weights.pk)
        return None, None
    return np.array(weights.matrix), (np.array(weights.temperatures) if weights.temperatures else None)


def photo_read(image: Image.Image):
    """Every face in the photo, largest first, and its expression (an ml.expressions.PhotoReading)."""
    return ensemble().read_photo(np.asarray(image.convert("RGB")))


def reading_faces(reading) -> list[dict]:
    """A PhotoReading as the JSON a job keeps: each face's box and reading; what each member read before
    calibration, by member (which a correction of that face is stored with); and each member's own reading, for
    the job page."""
    from ml.expressions.members import member_title

    return [
        {
            "x": face.x, "y": face.y, "width": face.width, "height": face.height,
            "label": read.label, "confidence": round(read.confidence, 4),
            "probabilities": {label: round(p, 4) for label, p in read.probabilities.items()},
            # 4 significant digits: a temperature reads the smallest probabilities too (1e-9 is not 0).
            "members": {name: [float(f"{p:.4g}") for p in row] for name, row in zip(read.members, read.member_probs)},
            "member_readings": [
                {"member": name, "title": member_title(name), "label": label, "confidence": round(p, 4)}
                for name, label, p in read.member_readings()
            ],
        }  # fmt: skip
        for face, read in zip(reading.faces, reading.readings)
    ]


def template_expression_propose(template: Template) -> str | None:
    """The expression the ensemble reads on the template image's largest face, or None when it finds no face."""
    with template.image.open("rb") as file:
        reading = photo_read(open_image(file.read(), max_pixels=settings.MEME_MAX_PIXELS))
    return reading.label if reading.faces else None


def face_label(*, photo: str, image, faces: list[dict], face: int, label: str, user) -> LabelledFace:
    """Store the user's word on the expression of a face of `photo` (a stored image file whose faces were read as
    `faces`); a second word on the same face replaces the first. Queues a refit of the weights."""
    if label not in LABELS:
        raise ValidationError({"label": f"Choose one of: {', '.join(LABELS)}."})
    if not faces:
        raise ValidationError({"face": "No face was found in this photo, so there is none to label."})
    if not 0 <= face < len(faces):
        raise ValidationError({"face": f"Choose a face between 0 and {len(faces) - 1}."})
    found = faces[face]
    labelled, _ = LabelledFace.objects.update_or_create(
        photo=photo, face=face,
        defaults={"label": label, "labelled_by": user},
        create_defaults={
            "label": label, "labelled_by": user, "member_probs": found["members"], "image": _face_crop(image, found),
        },
    )  # fmt: skip
    weights_refit_queue()
    return labelled


def labels_of(photo: str) -> dict[int, str]:
    """The labels users gave the faces of a photo: face number → expression."""
    return dict(LabelledFace.objects.filter(photo=photo).values_list("face", "label"))


def _face_crop(image, face: dict) -> ContentFile:
    with image.open("rb") as file:
        photo = open_image(file.read(), max_pixels=settings.MEME_MAX_PIXELS)
    margin_x, margin_y = face["width"] * CROP_MARGIN, face["height"] * CROP_MARGIN
    box = (
        max(0, round(face["x"] - margin_x)), max(0, round(face["y"] - margin_y)),
        min(photo.width, round(face["x"] + face["width"] + margin_x)),
        min(photo.height, round(face["y"] + face["height"] + margin_y)),
    )  # fmt: skip
    buffer = io.BytesIO()
    photo.crop(box).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.png")


def weights_refit_queue() -> None:
    """Refit the weights in a worker, once what is being saved now is committed."""
    from .tasks import refit_expression_weights

    transaction.on_commit(refit_expression_weights.delay)


def weights_refit() -> FusionWeights | None:
    """Fit each member's temperature, then the per-class weights on the calibrated readings, on every labelled face
    that the members installed here read; the new row is the one in use from the next task on. None while no such
    face is labelled."""
    from ml.expressions import CLASSES, available_member_names, calibrate, fit_class_weights, fit_temperatures

    members = available_member_names()
    member_probs, labels = [], []
    for probs, label in LabelledFace.objects.values_list("member_probs", "label").iterator():
        # Faces kept before the members were different networks (a list of views' rows), or read without one of
        # these members, cannot be fitted with them.
        if isinstance(probs, dict) and all(np.shape(probs.get(name)) == (len(CLASSES),) for name in members):
            member_probs.append([probs[name] for name in members])
            labels.append(CLASSES.index(label))
    if not labels:
        return None
    member_probs, labels = np.array(member_probs), np.array(labels)
    temperatures = fit_temperatures(member_probs, labels)
    matrix = fit_class_weights(calibrate(member_probs, temperatures), labels)
    return FusionWeights.objects.create(
        matrix=matrix.tolist(), temperatures=temperatures.tolist(), members=list(members), classes=list(CLASSES),
        faces=len(labels),
    )  # fmt: skip
