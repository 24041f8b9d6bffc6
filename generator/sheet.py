"""The caption sheet: a fixed set of memes (ml.captions.prompts' titles over its templates) written by the active
model through the site's own path (captions_write) and drawn by the site's renderer, as one HTML page to judge
by eye."""

import html
from dataclasses import dataclass
from pathlib import Path

from captions.services import captions_write, template_info, templates_known
from memes.layout import TextBox
from memes.models import Template
from ml.captions import aliases
from ml.captions.data import TemplateInfo
from ml.captions.prompts import PROMPT_TEMPLATES, PROMPT_TITLES

from .rendering import render_meme
from .services import picture_open
from .template_import import _boxes, _image_file, _read_config, template_folders

SHEET_TITLES = 40
SHEET_WIDTH = 400  # pixels: 40 memes on one page, each big enough to read


@dataclass(frozen=True)
class SheetTemplate:
    info: TemplateInfo  # as the model sees it (its slug, when the model knows the template by another name)
    image: bytes
    boxes: list[TextBox]


def caption_sheet_write(out_dir: Path, *, seed: int = 0, templates_dir: Path | None = None) -> tuple[Path, list[str]]:
    """Write the sheet's images and its index.html into out_dir: the first SHEET_TITLES prompt titles, each on the
    next of the prompt templates the site has (or templates_dir holds, in memegen's layout). Returns the page and
    the prompt templates that were missing."""
    found = _sheet_templates(templates_dir)
    present = [found[slug] for slug in PROMPT_TEMPLATES if slug in found]
    if not present:
        raise ValueError("None of the sheet's templates is here: import them, or pass a folder of memegen templates.")
    out_dir.mkdir(parents=True, exist_ok=True)
    figures, version = [], ""
    for number, title in enumerate(PROMPT_TITLES[:SHEET_TITLES]):
        template = present[number % len(present)]
        (lines, *_), version = captions_write(template.info, title, n=1, seed=seed + number)
        name = f"{number + 1:02d}-{template.info.slug}.jpg"
        (out_dir / name).write_bytes(render_meme(picture_open(template.image), template.boxes, lines, width=SHEET_WIDTH))
        figures.append(_figure(name, title, template.info, lines))
    page = out_dir / "index.html"
    page.write_text(_page(figures, version, seed), encoding="utf-8")
    return page, [slug for slug in PROMPT_TEMPLATES if slug not in found]


def _sheet_templates(templates_dir: Path | None) -> dict[str, SheetTemplate]:
    """The prompt templates on hand, by the corpus slug PROMPT_TEMPLATES names them with."""
    if templates_dir is None:
        candidates = []
        for template in Template.objects.prefetch_related("boxes"):
            with template.image.open("rb") as file:
                candidates.append((template, list(template.boxes.all()), file.read()))
    else:
        candidates = [_folder_template(folder) for folder in template_folders(templates_dir)]
    wanted = {aliases.key(slug): slug for slug in PROMPT_TEMPLATES}
    found = {}
    for template, boxes, image in candidates:
        info = template_info(template, templates_known(), boxes)
        slug = wanted.get(aliases.key(info.slug))
        if slug and slug not in found:
            found[slug] = SheetTemplate(info, image, [box.as_spec() for box in boxes])
    return found


def _folder_template(folder: Path) -> tuple[Template, list, bytes]:
    """A memegen folder read as importing reads it (the importer's own parsing), nothing saved."""
    config = _read_config((folder / "config.yml").read_bytes())
    template = Template(slug=folder.name.lower(), name=str(config.get("name") or folder.name))
    template.tags = [str(word) for word in config.get("keywords") or [] if word]
    return template, _boxes(template, config), _image_file(folder).read_bytes()


def _figure(name: str, title: str, info: TemplateInfo, lines: list[str]) -> str:
    caption = " / ".join(lines)
    return (
        f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}" width="{SHEET_WIDTH}">'
        f"<figcaption><b>{html.escape(title)}</b><br>{html.escape(info.name)} · <code>{html.escape(info.slug)}</code>"
        "</figcaption></figure>"
    )


def _page(figures: list[str], version: str, seed: int) -> str:
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Caption sheet</title>'
        "<style>body{font-family:sans-serif;margin:1em}main{display:flex;flex-wrap:wrap;gap:1em}"
        "figure{margin:0;width:400px}img{max-width:100%}</style>"
        f"<h1>Caption sheet</h1><p>Model <code>{html.escape(version)}</code>, seed {seed}: the title each meme was "
        f"asked for, under the meme the site would make.</p><main>{''.join(figures)}</main></html>\n"
    )
