"""Caption records and template descriptions, read from the ImgFlip JSON-lines dump and memegen folders."""
from __future__ import annotations

import gzip
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import yaml


@dataclass(frozen=True)
class CaptionRecord:
    template: str
    boxes: tuple[str, ...]
    title: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class TemplateInfo:
    slug: str
    name: str
    n_boxes: int
    tags: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    @classmethod
    def from_slug(cls, slug: str, n_boxes: int = 2, tags: tuple[str, ...] = ()) -> "TemplateInfo":
        return cls(slug=slug, name=slug.replace("-", " "), n_boxes=n_boxes, tags=tags)

    def description(self) -> str:
        """Everything known about the template in words: what a template with no captions is conditioned on."""
        return " ".join((self.name, *self.tags, *self.examples))


@dataclass(frozen=True)
class Splits:
    train: list[CaptionRecord]
    heldout: list[CaptionRecord]
    cold_start: list[CaptionRecord]  # captions of whole templates kept out of training


def read_captions(path: str | Path) -> Iterator[CaptionRecord]:
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                boxes = tuple(box.strip() for box in row["boxes"] if box and box.strip())
                record = CaptionRecord(template=row["t"].lower(), boxes=boxes, title=(row.get("title") or "").strip())
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise ValueError(f"{path}:{number}: not a caption row ({error})") from error
            if boxes:
                yield record


def read_templates(directory: str | Path) -> dict[str, TemplateInfo]:
    templates = {}
    for config_path in sorted(Path(directory).glob("*/config.yml")):
        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        slug = config_path.parent.name.lower()  # slugs are lower-case everywhere (the site's are slugified)
        templates[slug] = TemplateInfo(
            slug=slug,
            name=str(config.get("name") or slug.replace("-", " ")),
            n_boxes=max(1, len(config.get("text") or [None, None])),  # memegen's default is two boxes
            tags=tuple(str(tag) for tag in config.get("keywords") or () if tag),
            examples=tuple(str(line) for line in config.get("example") or () if line),
        )
    return templates


def complete_templates(
    templates: dict[str, TemplateInfo], records: Iterable[CaptionRecord], index_path: str | Path | None = None
) -> dict[str, TemplateInfo]:
    """Add a TemplateInfo for every captioned slug without a config: name from the index beside the captions
    (alternative names as tags), else from the slug; box count = the most common one among its captions."""
    index = json.loads(Path(index_path).read_text()) if index_path and Path(index_path).exists() else {}
    index = {slug.lower(): entry for slug, entry in index.items()}
    box_counts: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        box_counts[record.template][len(record.boxes)] += 1
    completed = dict(templates)
    for slug, counts in box_counts.items():
        if slug in completed:
            continue
        entry = index.get(slug.lower(), {})
        alternatives = tuple(name.strip() for name in (entry.get("alternative_names") or "").split(",") if name.strip())
        template = TemplateInfo.from_slug(slug, n_boxes=counts.most_common(1)[0][0], tags=alternatives)
        completed[slug] = replace(template, name=entry.get("name") or template.name)
    return completed


def split_by_meme(
    records: Iterable[CaptionRecord], holdout_fraction: float = 0.05, seed: int = 0
) -> tuple[list[CaptionRecord], list[CaptionRecord]]:
    records = list(records)
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n_heldout = round(len(records) * holdout_fraction)
    heldout = set(order[:n_heldout])
    return (
        [record for i, record in enumerate(records) if i not in heldout],
        [record for i, record in enumerate(records) if i in heldout],
    )


def split_templates_out(
    records: Iterable[CaptionRecord], n: int = 10, seed: int = 0
) -> tuple[list[CaptionRecord], list[CaptionRecord]]:
    records = list(records)
    slugs = sorted({record.template for record in records})
    held = set(random.Random(seed).sample(slugs, min(n, len(slugs))))
    return (
        [record for record in records if record.template not in held],
        [record for record in records if record.template in held],
    )


def make_splits(
    records: Iterable[CaptionRecord],
    *,
    holdout_fraction: float = 0.05,
    cold_templates: int = 10,
    limit: int | None = None,
    seed: int = 0,
) -> Splits:
    """The splits that training and evaluation share: whole templates out first, then a random slice of memes;
    `limit` only thins the training part, so held-out sets stay the same whatever the limit."""
    seen, cold_start = split_templates_out(records, cold_templates, seed)
    train, heldout = split_by_meme(seen, holdout_fraction, seed)
    if limit is not None and limit < len(train):
        train = random.Random(seed).sample(train, limit)
    return Splits(train=train, heldout=heldout, cold_start=cold_start)


def read_dataset(captions_path: str | Path, templates_dir: str | Path | None = None) -> tuple[dict[str, TemplateInfo], list[CaptionRecord]]:
    """Every caption of a JSON-lines file, and every template: from a memegen folder if given, plus ones
    inferred from the captions (named from the index beside the file)."""
    captions_path = Path(captions_path)
    records = list(read_captions(captions_path))
    configs = read_templates(templates_dir) if templates_dir else {}
    return complete_templates(configs, records, captions_path.parent / "templates_index.json"), records


def load_dataset(
    captions_path: str | Path,
    templates_dir: str | Path | None,
    *,
    holdout_fraction: float = 0.05,
    cold_templates: int = 10,
    limit: int | None = None,
    seed: int = 0,
) -> tuple[dict[str, TemplateInfo], Splits]:
    """Every template and the splits that training and evaluation share."""
    templates, records = read_dataset(captions_path, templates_dir)
    splits = make_splits(
        records, holdout_fraction=holdout_fraction, cold_templates=cold_templates, limit=limit, seed=seed
    )
    return templates, splits
