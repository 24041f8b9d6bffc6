"""Records -> id sequences -> padded batches, bucketed by length so little compute goes into padding.

The encoder reads a source sequence: the title's words, SEP, then the template's words (name, example lines
joined by BOX, alternative names and keywords). Segment 0 is the title, 1 the template. The decoder reads the
caption (boxes joined by BOX, then END)."""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import torch
from torch import Tensor

from .data import CaptionRecord, TemplateInfo
from .text import SEP, caption_tokens, tokenize
from .vocab import Vocabulary

MAX_TITLE_TOKENS = 24
MAX_TEMPLATE_TOKENS = 48


def template_tokens(template: TemplateInfo) -> list[str]:
    """The template's words as the encoder reads them: the example lines first (their wording is what a new
    template's captions copy), then the names, then keywords."""
    tokens = tokenize(template.name)
    if template.examples:
        tokens += [SEP] + caption_tokens(template.examples)[:-1]
    for tag in template.tags:
        tokens += [SEP] + tokenize(tag)
    return tokens[:MAX_TEMPLATE_TOKENS]


def title_tokens(title: str) -> list[str]:
    return tokenize(title)[:MAX_TITLE_TOKENS]


def source_tokens(title: str, template: TemplateInfo) -> tuple[list[str], list[int]]:
    """(tokens, segment of each token) of the encoder's input."""
    title_part, template_part = title_tokens(title), template_tokens(template)
    return [*title_part, SEP, *template_part], [0] * len(title_part) + [1] * (len(template_part) + 1)


@dataclass(frozen=True)
class Example:
    template_row: int
    source: list[int]
    segments: list[int]
    caption: list[int]
    weight: float = 1.0


@dataclass
class Batch:
    templates: Tensor  # (B,) learned rows; the unknown row for templates never trained on
    sources: Tensor  # (B, S) source ids, padded with SEP
    segments: Tensor  # (B, S)
    source_lengths: Tensor  # (B,)
    inputs: Tensor  # (B, T) END (as start marker) + caption[:-1]
    targets: Tensor  # (B, T) caption
    lengths: Tensor  # (B,)
    weights: Tensor  # (B,)

    def to(self, device) -> "Batch":
        return Batch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


class Encoder:
    """Turns titles, templates and captions into the ids the model reads; templates are rows by slug."""

    def __init__(self, vocab: Vocabulary, template_slugs: Sequence[str]):
        self.vocab = vocab
        self.template_rows = {slug: row for row, slug in enumerate(template_slugs)}
        self.unknown_template = len(template_slugs)
        self._template_ids: dict[TemplateInfo, list[int]] = {}

    def template_ids(self, template: TemplateInfo) -> list[int]:
        if template not in self._template_ids:
            self._template_ids[template] = self.vocab.ids(template_tokens(template))
        return self._template_ids[template]

    def source(self, title_ids: list[int], template: TemplateInfo) -> tuple[list[int], list[int]]:
        template_ids = self.template_ids(template)
        return [*title_ids, self.vocab.sep, *template_ids], [0] * len(title_ids) + [1] * (len(template_ids) + 1)

    def example(self, record: CaptionRecord, template: TemplateInfo, max_len: int | None = None) -> Example:
        source, segments = self.source(self.vocab.ids(title_tokens(record.title)), template)
        return Example(
            template_row=self.template_rows.get(template.slug, self.unknown_template),
            source=source,
            segments=segments,
            caption=self.vocab.caption_ids(record.boxes)[:max_len],
            weight=record.weight,
        )

    def examples(
        self, records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo], max_len: int | None = None
    ) -> list[Example]:
        return [self.example(record, templates.get(record.template) or TemplateInfo.from_slug(record.template), max_len)
                for record in records]  # fmt: skip


def _padded(rows: Sequence[Sequence[int]], fill: int) -> Tensor:
    out = torch.full((len(rows), max(len(r) for r in rows)), fill, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def collate(examples: Sequence[Example], vocab: Vocabulary) -> Batch:
    targets = _padded([e.caption for e in examples], vocab.end)
    inputs = torch.full_like(targets, vocab.end)
    inputs[:, 1:] = targets[:, :-1]
    return Batch(
        templates=torch.tensor([e.template_row for e in examples]),
        sources=_padded([e.source for e in examples], vocab.sep),
        segments=_padded([e.segments for e in examples], 1),
        source_lengths=torch.tensor([len(e.source) for e in examples]),
        inputs=inputs,
        targets=targets,
        lengths=torch.tensor([len(e.caption) for e in examples]),
        weights=torch.tensor([e.weight for e in examples], dtype=torch.float),
    )


def batches(examples: Sequence[Example], batch_size: int, vocab: Vocabulary, seed: int | None = None) -> list[Batch]:
    """Batches of similar-length captions; with a seed, ties are broken and batches ordered at random."""
    rng = random.Random(seed)
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].caption), rng.random() if seed is not None else 0))
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if seed is not None:
        rng.shuffle(chunks)
    return [collate([examples[i] for i in chunk], vocab) for chunk in chunks]
