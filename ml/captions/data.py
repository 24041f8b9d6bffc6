"""Caption records and template descriptions, read from the ImgFlip JSON-lines dump and memegen folders."""
from __future__ import annotations

import gzip
import hashlib
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
    meme_id: str = ""  # the source's id (imgflip's); the held-out split is a function of it


@dataclass(frozen=True)
class TemplateInfo:
    slug: str
    name: str
    n_boxes: int
    tags: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    # How many training captions filled 1, 2, … boxes (the model keeps it for the templates it learned): people
    # often leave a box empty, and a caption should look like theirs.
    box_counts: tuple[int, ...] = ()

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
    return (record for record, _ in read_caption_rows(path))


def read_caption_rows(path: str | Path) -> Iterator[tuple[CaptionRecord, dict]]:
    """Each captioned meme of an ImgFlip JSON-lines dump (gzip or not): its record (slug lower-case, empty boxes
    dropped) and its whole row (views, votes...)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                boxes = tuple(box.strip() for box in row["boxes"] if box and box.strip())
                record = CaptionRecord(
                    template=row["t"].lower(), boxes=boxes, title=(row.get("title") or "").strip(),
                    meme_id=str(row.get("id") or ""),
                )
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise ValueError(f"{path}:{number}: not a caption row ({error})") from error
            if boxes:
                yield record, row


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
    (alternative names as tags), else from the slug; box count = the most common one among its captions. A slug
    with a config gains the index's alternative names as tags."""
    index = json.loads(Path(index_path).read_text()) if index_path and Path(index_path).exists() else {}
    index = {slug.lower(): entry for slug, entry in index.items()}
    box_counts: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        box_counts[record.template][len(record.boxes)] += 1
    completed = dict(templates)
    for slug, counts in box_counts.items():
        entry = index.get(slug.lower(), {})
        alternatives = tuple(name.strip() for name in (entry.get("alternative_names") or "").split(",") if name.strip())
        if slug in completed:  # a memegen config: its keywords, then the corpus's other names for it
            template = completed[slug]
            completed[slug] = replace(template, tags=tuple(dict.fromkeys((*template.tags, *alternatives))))
            continue
        template = TemplateInfo.from_slug(slug, n_boxes=counts.most_common(1)[0][0], tags=alternatives)
        completed[slug] = replace(template, name=entry.get("name") or template.name)
    return completed


# The held-out split, fixed and documented: a meme is held out when the first 8 hex digits of the SHA-1 of its id
# (its caption text, when it has none) fall in the lowest HELDOUT_PERCENT of the range. The same memes on every
# machine, for every model and every evaluation, whatever file they come in.
HELDOUT_PERCENT = 5

# Templates a cold-start model holds out of training (`--cold-templates N` takes the first N): most have a
# catchphrase in their name, so the evaluation can see whether a model that never saw them writes it.
COLD_START_TEMPLATES = (
    "x-all-the-y",
    "brace-yourselves-x-is-coming",
    "aint-nobody-got-time-for-that",
    "oprah-you-get-a",
    "yall-got-any-more-of-that",
    "aaaaand-its-gone",
    "say-that-again-i-dare-you",
    "am-i-the-only-one-around-here",
    "back-in-my-day",
    "that-would-be-great",
)


def is_heldout(record: CaptionRecord) -> bool:
    key = record.meme_id or "\n".join(record.boxes)
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) < HELDOUT_PERCENT * (16**8) // 100


def make_splits(
    records: Iterable[CaptionRecord], *, cold_templates: int = 0, limit: int | None = None, seed: int = 0
) -> Splits:
    """The splits that training and evaluation share: the first `cold_templates` of COLD_START_TEMPLATES out
    whole, then the fixed held-out memes (is_heldout); `limit` only thins the training part (at random, by
    seed), so held-out sets stay the same whatever the limit."""
    cold = set(COLD_START_TEMPLATES[:cold_templates])
    train, heldout, cold_start = [], [], []
    for record in records:
        if record.template in cold:
            cold_start.append(record)
        elif is_heldout(record):
            heldout.append(record)
        else:
            train.append(record)
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
    cold_templates: int = 0,
    limit: int | None = None,
    seed: int = 0,
) -> tuple[dict[str, TemplateInfo], Splits]:
    """Every template and the splits that training and evaluation share."""
    templates, records = read_dataset(captions_path, templates_dir)
    splits = make_splits(records, cold_templates=cold_templates, limit=limit, seed=seed)
    return templates, splits
