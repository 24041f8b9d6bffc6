"""Importing the ImgFlip575K caption corpus into Caption rows.

Two layouts are read: the project's JSON-lines dump (`.jsonl` or `.jsonl.gz`, one caption a line) and the
dataset's original layout (`memes/<slug>.json`, a JSON list per template). A file is validated in full before
any of its captions is written, so a bad file imports nothing and the others still import. Importing is
idempotent: captions already present (same dataset and id) are skipped.
"""

import gzip
import json
import zlib
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from django.db import transaction
from django.utils.text import slugify

from memes.models import Template

from .models import Caption

DATASET = "imgflip"
CHUNK_SIZE = 5000
TITLE_LENGTH = Caption._meta.get_field("title").max_length
ID_LENGTH = Caption._meta.get_field("external_id").max_length
INT_MAX = 2**31 - 1  # the largest value an IntegerField holds on every database


class BadCaptionFile(Exception):
    """A file that cannot be imported; the message says where and why."""


@dataclass
class CaptionImportReport:
    created: int = 0
    skipped: int = 0
    unknown_templates: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)


class CaptionRow(NamedTuple):
    """One validated caption, not yet linked to its template (compact: a whole dump is held at once)."""

    slug: str
    boxes: list[str]
    title: str
    views: int
    votes: int
    external_id: str


def captions_import(path: Path, *, progress=lambda items: items) -> CaptionImportReport:
    """Import every caption file at path; bad files are reported in `rejected`, not fatal."""
    report = CaptionImportReport()
    template_ids = dict(Template.objects.values_list("slug", "id"))
    rows = iter(progress(_valid_rows(_caption_files(path, report), report)))  # one pass, chunk after chunk
    while chunk := list(islice(rows, CHUNK_SIZE)):
        _save_chunk(chunk, template_ids, report)
    return report


def _caption_files(path: Path, report: CaptionImportReport) -> list[Path]:
    """PATH itself if it is a dump, else the regular `<slug>.json` files directly inside its memes folder."""
    if path.is_file():
        if path.name.endswith((".jsonl", ".jsonl.gz")):
            return [path]
        report.rejected[path.name] = "is neither a .jsonl nor a .jsonl.gz file"
        return []
    memes = path / "memes"
    if memes.is_symlink():
        report.rejected[memes.name] = "is a symbolic link"
        return []
    folder = memes if memes.is_dir() else path
    files = []
    for entry in sorted(folder.glob("*.json")):
        if entry.is_symlink() or not entry.is_file():
            report.rejected[entry.name] = "is a symbolic link" if entry.is_symlink() else "is not a regular file"
        else:
            files.append(entry)
    if not files and not report.rejected:
        report.rejected[path.name] = "holds no .jsonl file and no memes/<slug>.json files"
    return files


def _valid_rows(files: list[Path], report: CaptionImportReport):
    """The captions of every file that validates; the others go to report.rejected as they are met."""
    for file in files:
        try:
            rows = _read_original_layout(file) if file.suffix == ".json" else _read_dump(file)
        except BadCaptionFile as error:
            report.rejected[file.name] = str(error)
            continue
        yield from (row for row in rows if row.boxes)


def _read_dump(file: Path) -> list[CaptionRow]:
    rows = []
    try:
        with (gzip.open if file.suffix == ".gz" else open)(file, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict) or "t" not in record or "boxes" not in record:
                        raise ValueError('not an object with "t" and "boxes"')
                    row = _row(record["t"], record["boxes"], record.get("id"), record.get("title"),
                               record.get("views"), record.get("votes"))  # fmt: skip
                except ValueError as error:  # json.JSONDecodeError is one
                    reason = "not valid JSON" if isinstance(error, json.JSONDecodeError) else error
                    raise BadCaptionFile(f"line {number}: {reason}") from error
                rows.append(row)
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as error:
        raise BadCaptionFile(f"cannot be read: {error}") from error
    return rows


def _read_original_layout(file: Path) -> list[CaptionRow]:
    """One template's memes: the template's slug is the file's name, a meme's id ends its post's address."""
    try:
        records = json.loads(file.read_bytes())
    except (OSError, ValueError) as error:
        raise BadCaptionFile("not valid JSON") from error
    if not isinstance(records, list):
        raise BadCaptionFile("does not hold a JSON list")
    rows = []
    for number, record in enumerate(records, 1):
        try:
            if not isinstance(record, dict) or "boxes" not in record:
                raise ValueError('not an object with "boxes"')
            metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
            post_id = str(record.get("post") or "").rstrip("/").rpartition("/")[2]
            rows.append(_row(file.stem, record["boxes"], post_id, metadata.get("title"),
                             metadata.get("views"), metadata.get("img-votes")))  # fmt: skip
        except ValueError as error:
            raise BadCaptionFile(f"meme {number}: {error}") from error
    return rows


def _row(slug, boxes, external_id, title, views, votes) -> CaptionRow:
    if not isinstance(slug, str) or not slug.strip():
        raise ValueError("no template slug")
    if not isinstance(boxes, list) or not all(isinstance(box, str) for box in boxes):
        raise ValueError('"boxes" is not a list of strings')
    if not isinstance(external_id, str) or not 0 < len(external_id) <= ID_LENGTH:
        raise ValueError(f"no id of 1 to {ID_LENGTH} characters")
    return CaptionRow(
        slug, [box.strip() for box in boxes if box.strip()], str(title or "")[:TITLE_LENGTH],
        max(0, _count(views)), _count(votes), external_id,
    )  # fmt: skip


def _count(value) -> int:
    """A count as the dump (a number) or the original layout (digits, maybe with commas) writes it."""
    if value is None:
        return 0
    try:
        number = value if type(value) is int else int(str(value).replace(",", ""))
    except ValueError:
        raise ValueError(f"{value!r} is not a count") from None
    return max(-INT_MAX, min(INT_MAX, number))


def _save_chunk(chunk: list[CaptionRow], template_ids: dict[str, int], report: CaptionImportReport) -> None:
    """Link a chunk to its templates and create what is not already there, in one query for the existing ids."""
    template_keys = {slug: slugify(slug) for slug in {row.slug for row in chunk}}
    with transaction.atomic():
        present = set(
            Caption.objects.filter(dataset=DATASET, external_id__in={row.external_id for row in chunk})
            .values_list("external_id", flat=True)
        )  # fmt: skip
        new = []
        for row in chunk:
            template_id = template_ids.get(template_keys[row.slug])
            if template_id is None:
                report.unknown_templates[row.slug] = report.unknown_templates.get(row.slug, 0) + 1
            elif row.external_id in present:
                report.skipped += 1
            else:
                present.add(row.external_id)  # the same meme twice in one import is created once
                new.append(Caption(template_id=template_id, boxes=row.boxes, title=row.title, dataset=DATASET,
                                   external_id=row.external_id, views=row.views, votes=row.votes))  # fmt: skip
        Caption.objects.bulk_create(new)
    report.created += len(new)
