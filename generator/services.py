"""Making memes: checking a request, queuing it as a job, carrying the job out, telling the browser."""

import logging
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.template.defaultfilters import pluralize
from PIL import Image

from memes.layout import TOP_AND_BOTTOM, TextBox
from memes.models import IN_GALLERY, Meme, Template
from memesite import live
from memesite.images import Animation, ImageRejected, open_image, pixels_only

from .models import Job
from .placement import boxes_off_faces
from .queueing import QueueUnavailable, job_admit, job_enqueue
from .rendering import picture_decoded, render_meme
from .signals import meme_made

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


MIN_BOX_SIZE = 0.02  # a box narrower or lower than this share of the image could not hold a letter


def boxes_clean(boxes, line_count: int) -> list[dict]:
    """Boxes the user placed on their own image, one per line: x, y, width and height as fractions of the image,
    each box inside it; or a ValidationError naming every box that is wrong."""
    if not isinstance(boxes, (list, tuple)) or not all(isinstance(box, dict) for box in boxes):
        raise ValidationError('Send the boxes as a list like [{"x": 0, "y": 0, "width": 1, "height": 0.2}].')
    if len(boxes) != line_count:
        raise ValidationError(
            f"Give one box per line: {line_count} line{pluralize(line_count)}, "
            f"{len(boxes)} box{pluralize(len(boxes), 'es')}."
        )
    cleaned, errors = [], []
    for number, box in enumerate(boxes, start=1):
        try:
            cleaned.append(box_clean(box))
        except ValidationError as error:
            errors.append(f"Box {number}: {error.message}")
    if errors:
        raise ValidationError(errors)
    return cleaned


def box_clean(box: dict) -> dict:
    """One box's x, y, width and height, or a ValidationError saying what is wrong with it."""
    values = {name: box.get(name) for name in ("x", "y", "width", "height")}
    wrong = [name for name, value in values.items() if not _is_fraction(value)]
    if wrong:
        raise ValidationError(f"{', '.join(wrong)} must be a number between 0 and 1.")
    if values["width"] < MIN_BOX_SIZE or values["height"] < MIN_BOX_SIZE:
        raise ValidationError(f"it is too small: its width and height are at least {MIN_BOX_SIZE}.")
    if values["x"] + values["width"] > 1.0001 or values["y"] + values["height"] > 1.0001:
        raise ValidationError("it reaches outside the image: x + width and y + height are at most 1.")
    return {name: float(value) for name, value in values.items()}


def _is_fraction(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0


def title_clean(title) -> str:
    """A title for the caption model, stripped, or a ValidationError that says what is wrong with it."""
    if not isinstance(title, str) or not title.strip():
        raise ValidationError("Give a title: a few words for the caption model to write about.")
    title = " ".join(title.split())
    if len(title) > settings.MEME_MAX_TITLE_CHARS:
        raise ValidationError(f"A title has at most {settings.MEME_MAX_TITLE_CHARS} characters; this one has {len(title)}.")
    return title


def upload_open(upload, *, max_frames: int | None = None) -> Image.Image | Animation:
    """Open an uploaded image safely, or raise a ValidationError saying why it cannot be used. With max_frames, an
    animation is read whole (open_image's max_frames)."""
    upload.seek(0)
    try:
        return open_image(
            upload, max_bytes=settings.MEME_MAX_UPLOAD_BYTES, max_pixels=settings.MEME_MAX_PIXELS, max_frames=max_frames
        )
    except ImageRejected as error:
        raise ValidationError(str(error)) from error
    finally:
        upload.seek(0)


def template_image_clean(image) -> None:
    """The one check of a template's picture, whether staff upload it in admin or the API or import it: what every
    upload meets, every frame of an animation too (a template keeps them). A ValidationError says what is wrong."""
    upload_open(image, max_frames=settings.MEME_ANIMATION_MAX_FRAMES)


def upload_keep(upload) -> ContentFile:
    """An upload as it is stored: its pixels alone, upright (the EXIF orientation applied), without what a camera
    writes beside them (where, when, with what), under an unguessable name rather than the uploader's own. A
    ValidationError says why it cannot be used."""
    return picture_keep(upload_open(upload, max_frames=settings.MEME_ANIMATION_MAX_FRAMES))


def picture_keep(picture: Image.Image | Animation) -> ContentFile:
    """upload_keep for an upload already opened (upload_open with the animation's frames)."""
    data, extension = pixels_only(picture)
    return ContentFile(data, name=f"{secrets.token_urlsafe(16)}.{extension}")


def picture_open(data: bytes) -> Image.Image | Animation:
    """A stored template or background image, decoded; an animated one stays animated, with at most
    MEME_ANIMATION_MAX_FRAMES frames. ImageRejected when it cannot be used."""
    return open_image(data, max_pixels=settings.MEME_MAX_PIXELS, max_frames=settings.MEME_ANIMATION_MAX_FRAMES)


def picture_render(
    image: Image.Image | Animation, boxes, lines, *, format: str, width: int | None, animated: bool = True
) -> bytes:
    """The meme's file: the lines drawn in their boxes. An animation comes out animated as gif or webp unless
    animated is false (at most MEME_ANIMATION_MAX_SIDE pixels on its longer side); as jpeg or png it is its first
    frame. ValueError for a format the renderer cannot write."""
    return render_meme(
        image, boxes, lines, width=width, format=format, animated=animated, max_side=settings.MEME_ANIMATION_MAX_SIDE
    )


def job_create(
    *, owner, lines, template: Template | None = None, background=None, boxes=None, is_public=None, parent=None
) -> Job:
    """Queue a hand-written meme on a template, or on the user's own image with the boxes they placed (the top
    and bottom bands without). A meme on one's own image is private unless asked otherwise."""
    if (template is None) == (background is None):
        raise ValidationError("Choose a template or upload an image, not both.")
    lines = lines_clean(lines)
    if boxes and template is not None:
        raise ValidationError("Boxes go with your own image; a template has its own.")
    boxes = boxes_clean(boxes, len(lines)) if boxes else []
    picture_hash = ""
    if background is not None and parent is None:
        from .template_parse import picture_hash as hash_of  # template_parse builds on this module

        picture = upload_open(background, max_frames=settings.MEME_ANIMATION_MAX_FRAMES)  # decoded once, for both
        background, picture_hash = picture_keep(picture), hash_of(picture)
    elif background is not None:  # a remix: the same picture as its parent's
        picture_hash = Job.objects.filter(meme=parent).values_list("picture_hash", flat=True).first() or ""
    job_admit(owner)
    job = Job.objects.create(
        owner=owner,
        kind=Meme.Source.MANUAL,
        template=template,
        background=background or "",
        boxes=boxes,
        picture_hash=picture_hash,
        parent=parent,
        lines=lines,
        is_public=template is not None if is_public is None else is_public,
        stage="Waiting for a worker",
    )
    # Only once the row is committed can the worker find it.
    transaction.on_commit(lambda: _enqueue_new(job))
    return job


def memes_remixable_by(user):
    """The memes one may remix: those in the gallery, and one's own unless staff hid it (a remix would publish
    again what staff took down)."""
    return Meme.objects.filter(IN_GALLERY | models.Q(owner=user.pk, is_hidden=False)).select_related("template")


def meme_remix(*, owner, parent: Meme, lines=None, is_public=None) -> Job:
    """Queue a new meme from another's template (or image, with its boxes) and caption, as written or changed;
    it links to its parent, and is as public as the parent unless asked otherwise."""
    if parent.template is None and not parent.background:
        raise ValidationError("This meme's template is gone, so it cannot be remixed.")
    return job_create(
        owner=owner, lines=parent.lines if lines is None else lines, template=parent.template,
        background=None if parent.template else parent.background.name, boxes=parent.boxes or None,
        is_public=parent.is_public if is_public is None else is_public, parent=parent,
    )  # fmt: skip


def job_create_titled(*, owner, template: Template, title, is_public=True) -> Job:
    """Queue a meme whose caption the model writes from a title (title mode)."""
    job_admit(owner)
    job = Job.objects.create(
        owner=owner,
        kind=Meme.Source.TITLE,
        template=template,
        title=title_clean(title),
        is_public=is_public,
        stage="Waiting for the caption model",
    )
    transaction.on_commit(lambda: _enqueue_new(job))
    return job


def job_create_photo(*, owner, photo, title="", face=None, on_photo=False, is_public=False) -> Job:
    """Queue a meme made from a photo (photo mode): a worker reads the faces' expressions, then captions a template
    labelled with that expression, or the photo itself when `on_photo`. `face` picks a face, 0 the largest.
    Private unless asked otherwise: a photo of a person is theirs to show."""
    photo = _field_clean("photo", upload_keep, photo)
    job_admit(owner)
    job = Job.objects.create(
        owner=owner,
        kind=Meme.Source.PHOTO,
        background=photo,
        title=_field_clean("title", title_clean, title) if title.strip() else "",
        face=face,
        on_photo=on_photo,
        is_public=is_public,
        stage="Waiting for the expression reader",
    )
    transaction.on_commit(lambda: _enqueue_new(job))
    return job


def _field_clean(name: str, clean, value):
    """clean(value), its ValidationError naming the field, so that the API and the form show it there."""
    try:
        return clean(value)
    except ValidationError as error:
        raise ValidationError({name: error.messages}) from error


def job_face_choose(job: Job, face: int) -> Job:
    """Photo mode: make the meme again from another of the faces found."""
    if job.status != Job.Status.SUCCEEDED or not job.faces:
        raise ValidationError("Only a finished photo-mode meme has faces to choose from.")
    if not 0 <= face < len(job.faces):
        raise ValidationError(f"Choose a face between 0 and {len(job.faces) - 1}.")
    return _job_redo(job, face=face, lines=[], candidates=[], progress=0.0, stage="Reading it")


def job_face_label(job: Job, face: int, label: str, user):
    """Photo mode: the user says which expression a face of the job's photo really shows; the expression reader
    keeps it, to learn from (an expressions.models.LabelledFace)."""
    from expressions.services import face_label

    return face_label(photo=job_photo(job), image=job.background, faces=job.faces, face=face, label=label, user=user)


def job_face_labels(job: Job) -> dict[int, str]:
    """The labels the job's owner gave its photo's faces: face number → expression."""
    from expressions.services import labels_of

    return labels_of(job_photo(job))


def job_photo(job: Job) -> str:
    """How the expression reader names a job's photo."""
    return f"job:{job.id}"


def job_choose(job: Job, candidate: int) -> Job:
    """Draw the meme again with another of the captions the model wrote."""
    if job.status != Job.Status.SUCCEEDED or not job.candidates:
        raise ValidationError("Only a finished title-mode meme has captions to choose from.")
    if not 0 <= candidate < len(job.candidates):
        raise ValidationError(f"Choose a caption between 0 and {len(job.candidates) - 1}.")
    return _job_redo(job, lines=job.candidates[candidate], progress=0.5, stage="Drawing your choice")


def _job_redo(job: Job, **changes) -> Job:
    """Queue a finished job again with these changes; if the broker cannot take it, the job stays as it was."""
    previous = {name: getattr(job, name) for name in [*changes, "status"]}
    job_update(job, status=Job.Status.QUEUED, **changes)

    def enqueue():
        try:
            job_enqueue(job)
        except QueueUnavailable:
            job_update(job, **previous)
            raise

    transaction.on_commit(enqueue)
    return job


def _enqueue_new(job: Job) -> None:
    """Queue a job just made; if the broker cannot take it, the job was never accepted: remove it, and say so."""
    try:
        job_enqueue(job)
    except QueueUnavailable:
        job.delete()
        raise


def job_run(job_id) -> Job | None:
    """Carry out a queued job: render the meme and save it. Safe to run twice for one job."""
    job = Job.objects.select_related("template").filter(pk=job_id).first()
    if job is None:
        log.warning("job %s no longer exists; dropping it", job_id)
        return None
    if job.is_finished:
        return job
    if not job.lines:
        if job.kind == Meme.Source.PHOTO:
            job_read_photo(job)
        job_caption(job)
    job_update(job, status=Job.Status.RUNNING, progress=0.8, stage="Drawing the caption")
    try:
        image, boxes = _base_image(job)
        extension = "gif" if isinstance(image, Animation) else "jpg"
        picture = picture_render(image, boxes, job.lines, format=extension, width=settings.MEME_RENDER_WIDTH)
    except ImageRejected as error:
        return job_update(job, status=Job.Status.FAILED, error=f"The image could not be used: {error}")
    with transaction.atomic():
        # Under the job's row lock: a second delivery of the job (a worker that was thought dead) makes no second meme.
        if Job.objects.select_for_update().filter(pk=job.pk, status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]).exists():
            job.refresh_from_db()
            return job
        meme = job.meme or Meme(
            owner=job.owner, template=job.template, source=job.kind, is_public=job.is_public, parent=job.parent
        )
        meme.template = job.template
        meme.background = job.background.name if job.background else ""
        meme.boxes = job.boxes
        meme.lines, meme.title, meme.model_version = job.lines, job.title, job.model_version
        meme.image = ContentFile(picture, name=f"{uuid.uuid4().hex}.{extension}")
        if meme.pk is None:
            meme.save()
            transaction.on_commit(lambda: meme_made.send(sender=Meme, meme=meme))
        else:
            # A redraw writes what it drew, nothing else: votes (and the owner's publishing) may have come since.
            meme.save(update_fields=["template", "background", "boxes", "lines", "title", "model_version", "image"])
        job.meme = meme
        return job_update(job, status=Job.Status.SUCCEEDED, progress=1.0, stage="Done")


def job_caption(job: Job) -> None:
    """Title mode: the caption model writes candidates for the job's template; the first is drawn, the others
    are offered. The page shows "writing" meanwhile: the candidates are ranked once all are drawn, so the first
    one's words are known together (sending them one by one cost the worker a message each)."""
    from captions.services import captions_write  # the web process never needs torch

    job_update(job, status=Job.Status.RUNNING, progress=0.1, stage="Writing the caption")
    job.candidates, job.model_version = captions_write(*_caption_subject(job))
    job.lines = job.candidates[0]


def _caption_subject(job: Job) -> tuple:
    """What the caption model writes about: the template and the title. In photo mode the expression stands in
    for a missing title, and a photo drawn on is described to the model by its expression."""
    if job.kind != Meme.Source.PHOTO:
        return job.template, job.title
    from ml.captions.data import TemplateInfo

    topic = job.expression if job.faces else "no face found"
    if job.template is not None:
        return job.template, job.title or topic
    photo = TemplateInfo(slug="photo", name=f"{topic} photo", n_boxes=len(TOP_AND_BOTTOM), tags=(topic,))
    return photo, job.title or topic


def job_read_photo(job: Job) -> Job:
    """Photo mode: read every face's expression and choose what the caption goes on — a template labelled with
    the chosen face's expression (a random one of them, so that one face makes more than one meme), or the photo
    itself when the user asked for that, when no template has that label, or when no face was found."""
    from expressions.services import photo_read, reading_faces

    job_update(job, status=Job.Status.RUNNING, progress=0.05, stage="Reading the faces")
    with job.background.open("rb") as file:
        reading = photo_read(open_image(file.read(), max_pixels=settings.MEME_MAX_PIXELS))
    faces = reading_faces(reading)
    if not faces:
        about = "your title" if job.title else "a photo with no face in it (give a title to say what about)"
        return job_update(
            job, faces=[], face=None, expression=reading.label, confidence=None, template=None, progress=0.1,
            stage="No face found", notice=f"No face was found in your photo, so the caption goes on the photo itself, "
            f"about {about}. For a template that fits an expression, upload a photo with a face seen from the front.",
        )  # fmt: skip
    notices = []
    chosen = job.face if job.face is not None and job.face < len(faces) else 0
    if job.face is not None and job.face != chosen:
        notices.append(f"Your photo has {len(faces)} faces and no face number {job.face}, so the largest was read.")
    expression = faces[chosen]["label"]
    template = None if job.on_photo else Template.objects.filter(expression=expression).order_by("?").first()
    if template is None and not job.on_photo:
        notices.append(f"No template is labelled {expression} yet, so the caption goes on your photo.")
    return job_update(
        job, faces=faces, face=chosen, expression=expression, confidence=faces[chosen]["confidence"],
        template=template, notice=" ".join(notices), progress=0.1, stage=f"Read: {expression}",
    )  # fmt: skip


def job_fail(job_id, reason: str) -> None:
    """End a job that could not be carried out, with a reason the user can read."""
    job = Job.objects.filter(pk=job_id).first()
    if job is not None and not job.is_finished:
        job_update(job, status=Job.Status.FAILED, error=reason)


def _base_image(job: Job) -> tuple[Image.Image | Animation, list]:
    if job.template is not None:
        with job.template.image.open("rb") as file:
            return picture_decoded(file.read(), picture_open), job.template.text_boxes()
    with job.background.open("rb") as file:
        image = picture_open(file.read())
    if job.boxes:
        return image, [TextBox(**box) for box in job.boxes]
    # Off the faces found in photo mode; other jobs have none, and get the top and bottom bands.
    faces = [(face["x"], face["y"], face["width"], face["height"]) for face in job.faces]
    return image, boxes_off_faces(faces, image.size)


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
    """Push the job's state to its watchers, best effort: the job's row is what counts, and a page that missed a
    message reads the row when it opens."""
    from .serializers import JobSerializer

    live.group_send(job.group_name, {"type": "job.update", "job": JobSerializer(job).data})
