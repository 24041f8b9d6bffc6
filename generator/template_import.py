"""Importing templates from a folder in memegen.link's layout.

Each template is a folder holding `config.yml` and its image, named `default.<ext>` (memegen) or
`image.<ext>`. Importing is idempotent: a folder whose files have not changed since the last import
is skipped. An animated GIF or WebP is kept as it is, every frame, with each box's start and stop.

The folders may come from anyone: a config.yml is read without YAML aliases (a few hundred bytes of them expand
into gigabytes), files are measured before they are read, a field of the wrong type rejects its folder, and a
template is replaced only by the folder it was imported from (or with replace=True).

template_save is the one way an imported template is made, from a folder here or fetched by template_fetch.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify

from memes.layout import is_colour
from memes.models import Template, TextBox

from .services import template_image_clean

IMAGE_NAMES = [f"{stem}.{ext}" for stem in ("default", "image") for ext in ("jpg", "jpeg", "png", "gif", "webp")]
FONTS = {"thick", "thin", "comic"}
STYLES = {"upper", "none", "mock", "lower", "title", "default"}
ALIGNMENTS = {"center", "left", "right"}
# memegen's configs are a few hundred bytes; a larger one is not a template.
CONFIG_MAX_BYTES = 64 * 1024
SCALARS = (str, int, float)
# What a field of config.yml must be when present: what memegen's own configs hold.
FIELD_TYPES = {"name": SCALARS, "source": str, "keywords": list, "example": list}
BOX_TEXT_FIELDS = ("align", "style", "font", "color")
SLUG_MAX_CHARS = Template._meta.get_field("slug").max_length
ORIGIN_MAX_CHARS = Template._meta.get_field("import_folder").max_length


class BadTemplate(Exception):
    """A template that cannot be imported (a folder, or one fetched by template_fetch); the message says why."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def template_folders(root: Path) -> list[Path]:
    """The folders below root that look like templates, never leaving root."""
    root = root.resolve()
    return sorted(
        folder for folder in root.iterdir()
        if folder.is_dir() and not folder.is_symlink() and (folder / "config.yml").exists()
    )  # fmt: skip


def templates_import(root: Path, *, progress=None, replace: bool = False) -> ImportReport:
    """Import every template folder below root; bad folders are reported, not fatal. With replace, a template
    that was made otherwise (admin, the API, another folder) may be replaced by a folder of its slug."""
    report = ImportReport()
    folders = template_folders(root)
    clashes = slug_clashes([folder.name for folder in folders])
    for folder in progress(folders) if progress else folders:
        try:
            if folder.name in clashes:
                raise BadTemplate(clashes[folder.name])
            outcome = template_import_folder(folder, root=root.resolve(), replace=replace)
        except BadTemplate as error:
            report.rejected[folder.name] = str(error)
            continue
        getattr(report, outcome).append(folder.name)
    return report


def template_slug(name: str) -> str:
    """The slug of a template named `name` by its source (a folder's name, memegen's id)."""
    return slugify(name) or "template"


def slug_clashes(names: list[str]) -> dict[str, str]:
    """The names that make the same slug as another's ("a b" and "a-b"; "日本" and "中文", both "template"), each
    with the reason: which of them was meant cannot be told, so none is imported."""
    by_slug: dict[str, list[str]] = {}
    for name in names:
        by_slug.setdefault(template_slug(name), []).append(name)
    return {
        name: f"its slug {slug!r} is also that of " + ", ".join(other for other in group if other != name)
        for slug, group in by_slug.items() if len(group) > 1 for name in group
    }  # fmt: skip


def template_import_folder(folder: Path, *, root: Path, replace: bool = False) -> str:
    """Create or update one template; returns "created", "updated" or "skipped"."""
    config_path = _inside(folder / "config.yml", root)
    image_path = _inside(_image_file(folder), root)
    config_bytes = _read_limited(config_path, CONFIG_MAX_BYTES)
    image_bytes = _read_limited(image_path, settings.MEME_MAX_UPLOAD_BYTES)
    return template_save(
        template_slug(folder.name), origin=folder.name, origin_label="this folder",
        digest=hashlib.sha256(config_bytes + b"\0" + image_bytes).hexdigest(), adopts_unrecorded=True,
        config=lambda: _read_config(config_bytes), image=image_bytes, image_name=image_path.name, replace=replace,
    )  # fmt: skip


def template_save(
    slug: str, *, origin: str, origin_label: str, digest: str, config, image: bytes, image_name: str, replace: bool,
    adopts_unrecorded: bool = False,
) -> str:  # fmt: skip
    """The one way an imported template is made: create or update the template `slug` from `config` (a function
    answering a dict that config_check accepts, called only when there is something to do) and its image; returns
    "created", "updated" or "skipped" (the digest of what it was made from is unchanged). `origin` says where it came
    from (a folder's name, an address): a template made otherwise is replaced only with `replace`, or with
    `adopts_unrecorded` when it was imported before origins were recorded (folders alone were imported then)."""
    if len(slug) > SLUG_MAX_CHARS or len(origin) > ORIGIN_MAX_CHARS:
        raise BadTemplate(f"its slug or where it comes from is too long ({slug[:20]}…, {origin[:40]}…)")
    existing = Template.objects.filter(slug=slug).first()
    if existing is not None and not replace and not _imported_from(existing, origin, adopts_unrecorded):
        raise BadTemplate(
            f"a template {slug!r} that was not imported from {origin_label} exists; import with --replace to replace it"
        )
    if existing is not None and existing.import_digest == digest and existing.import_folder == origin:
        return "skipped"
    config = config()
    try:
        template_image_clean(ContentFile(image))
    except ValidationError as error:
        raise BadTemplate(f"{image_name}: {' '.join(error.messages)}") from error

    with transaction.atomic():
        template = existing or Template(slug=slug)
        template.name = str(config.get("name") or origin)[:200]
        template.source = str(config.get("source") or "")[:200]
        template.tags = [str(word)[: Template.MAX_TAG_CHARS] for word in config.get("keywords") or [] if word][
            : Template.MAX_TAGS
        ]
        template.import_digest, template.import_folder = digest, origin
        template.image.save(f"{slug}{Path(image_name).suffix.lower()}", ContentFile(image), save=False)
        template.save()
        template.boxes.all().delete()
        TextBox.objects.bulk_create(_boxes(template, config))
    return "updated" if existing else "created"


def _imported_from(template: Template, origin: str, adopts_unrecorded: bool) -> bool:
    # Templates imported before the folder was recorded have only a digest: the folder of their slug adopts them.
    unrecorded = not template.import_folder and bool(template.import_digest)
    return template.import_folder == origin or (adopts_unrecorded and unrecorded)


def _read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, measured before they are read: a folder may hold a file of any size."""
    size = path.stat().st_size
    if size > max_bytes:
        raise BadTemplate(f"{path.name} is {size:,} bytes; at most {max_bytes:,}")
    return path.read_bytes()


def _inside(path: Path, root: Path) -> Path:
    """The path itself, if it is a regular file that stays below root (symlinks never do)."""
    if path.is_symlink() or not path.resolve().is_relative_to(root):
        raise BadTemplate(f"{path.name} points outside the folder being imported")
    if not path.is_file():
        raise BadTemplate(f"{path.name} is not a file")
    return path


def _image_file(folder: Path) -> Path:
    for name in IMAGE_NAMES:
        if (folder / name).exists() or (folder / name).is_symlink():
            return folder / name
    raise BadTemplate("no default.* or image.* image in it")


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases, which memegen's configs never use: a few hundred bytes of
    nested aliases (the "billion laughs") expand into gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _read_config(data: bytes) -> dict:
    try:
        config = yaml.load(data, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or error.__class__.__name__
        raise BadTemplate(f"config.yml is not valid YAML ({problem})") from error
    if not isinstance(config, dict):
        raise BadTemplate("config.yml does not hold a mapping")
    return config_check(config)


def config_check(config: dict, where: str = "config.yml") -> dict:
    """The config itself, if its fields have the types memegen's configs give them and it has 1 to MEME_MAX_LINES
    text boxes (each a mapping); else BadTemplate, naming `where` the config came from."""
    text = config.get("text")
    if not isinstance(text, list) or not text or not all(isinstance(box, dict) for box in text):
        raise BadTemplate(f"{where} has no list of text boxes under 'text'")
    if len(text) > settings.MEME_MAX_LINES:
        raise BadTemplate(f"{where} has {len(text)} text boxes; a template has at most {settings.MEME_MAX_LINES}")
    for name, kind in FIELD_TYPES.items():
        if config.get(name) is not None and not isinstance(config[name], kind):
            raise BadTemplate(f"{name} in {where} is {type(config[name]).__name__}, not {_kind_name(kind)}")
    for name in ("keywords", "example"):
        if not all(item is None or isinstance(item, SCALARS) for item in config.get(name) or []):
            raise BadTemplate(f"{name} in {where} holds something other than text")
    texts = [config.get("name"), config.get("source"), *(config.get("keywords") or []), *(config.get("example") or [])]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise BadTemplate(f"{where} holds a NUL character")  # which PostgreSQL cannot store
    for number, box in enumerate(text, start=1):
        for name in BOX_TEXT_FIELDS:
            if box.get(name) is not None and not isinstance(box[name], str):
                raise BadTemplate(f"text box {number}: {name} is {type(box[name]).__name__}, not text")
    return config


def _kind_name(kind) -> str:
    return "text" if kind in (str, SCALARS) else "a list"


def _boxes(template: Template, config: dict) -> list[TextBox]:
    examples = config.get("example") or []
    boxes = []
    for position, box in enumerate(config["text"]):
        try:
            x, y = _fraction(box.get("anchor_x", 0.0)), _fraction(box.get("anchor_y", 0.0))
            width, height = _fraction(box.get("scale_x", 1.0)), _fraction(box.get("scale_y", 0.2))
            angle = float(box.get("angle", 0.0))
            start, stop = _fraction(box.get("start", 0.0)), _fraction(box.get("stop", 1.0))
        except (TypeError, ValueError) as error:
            raise BadTemplate(f"text box {position + 1} has a bad number: {error}") from error
        if start >= stop:
            raise BadTemplate(f"text box {position + 1} stops ({stop}) before it starts ({start})")
        example = examples[position] if position < len(examples) and examples[position] else ""
        color = str(box.get("color") or "white")[:32]
        boxes.append(
            TextBox(
                template=template,
                position=position,
                x=x,
                y=y,
                width=round(min(width, 1.0 - x), 6),
                height=round(min(height, 1.0 - y), 6),
                angle=max(-180.0, min(180.0, angle)),
                align=box.get("align") if box.get("align") in ALIGNMENTS else "center",
                style=box.get("style") if box.get("style") in STYLES else "upper",
                font=box.get("font") if box.get("font") in FONTS else "thick",
                color=color if is_colour(color) else "white",
                start=start,
                stop=stop,
                example=str(example)[:200],
            )
        )
    return boxes


def _fraction(value) -> float:
    """A fraction of the image. memegen lets rotated boxes poke a little outside it: clamp those."""
    number = float(value)
    if not -0.25 <= number <= 1.25:
        raise ValueError(f"{number} is not between 0 and 1")
    return min(1.0, max(0.0, number))
