"""Records -> id sequences -> padded batches, bucketed by length so little compute goes into padding."""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import torch
from torch import Tensor

from .data import CaptionRecord, TemplateInfo
from .vocab import Vocabulary


@dataclass(frozen=True)
class Example:
    template_row: int
    title: list[int]
    description: list[int]
    caption: list[int]
    weight: float = 1.0


@dataclass
class Batch:
    templates: Tensor
    titles: Tensor
    title_offsets: Tensor
    descriptions: Tensor
    description_offsets: Tensor
    inputs: Tensor  # END (as start marker) + caption[:-1]
    targets: Tensor  # caption
    lengths: Tensor
    weights: Tensor

    def to(self, device) -> "Batch":
        return Batch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def condition_inputs(self) -> tuple[Tensor, ...]:
        return self.templates, self.titles, self.title_offsets, self.descriptions, self.description_offsets


class Encoder:
    """Turns titles, templates and captions into the ids the model reads; templates are rows by slug."""

    def __init__(self, vocab: Vocabulary, template_slugs: Sequence[str]):
        self.vocab = vocab
        self.template_rows = {slug: row for row, slug in enumerate(template_slugs)}
        self.unknown_template = len(template_slugs)

    def words(self, text: str) -> list[int]:
        """Known word ids only: an unknown word says nothing to a mean of vectors."""
        return [i for i in self.vocab.text_ids(text) if i != self.vocab.unk]

    def example(self, record: CaptionRecord, template: TemplateInfo, max_len: int | None = None) -> Example:
        return Example(
            template_row=self.template_rows.get(template.slug, self.unknown_template),
            title=self.words(record.title),
            description=self.words(template.description()),
            caption=self.vocab.caption_ids(record.boxes)[:max_len],
            weight=record.weight,
        )

    def examples(
        self, records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo], max_len: int | None = None
    ) -> list[Example]:
        return [self.example(record, templates[record.template], max_len) for record in records]


def _bags(lists: Sequence[list[int]]) -> tuple[Tensor, Tensor]:
    offsets = [0]
    for ids in lists[:-1]:
        offsets.append(offsets[-1] + len(ids))
    return torch.tensor([i for ids in lists for i in ids], dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


def collate(examples: Sequence[Example], start_id: int) -> Batch:
    lengths = [len(e.caption) for e in examples]
    targets = torch.full((len(examples), max(lengths)), start_id, dtype=torch.long)
    inputs = targets.clone()
    for row, example in enumerate(examples):
        caption = torch.tensor(example.caption)
        targets[row, : len(caption)] = caption
        inputs[row, 1 : len(caption)] = caption[:-1]
    titles, title_offsets = _bags([e.title for e in examples])
    descriptions, description_offsets = _bags([e.description for e in examples])
    return Batch(
        templates=torch.tensor([e.template_row for e in examples]),
        titles=titles,
        title_offsets=title_offsets,
        descriptions=descriptions,
        description_offsets=description_offsets,
        inputs=inputs,
        targets=targets,
        lengths=torch.tensor(lengths),
        weights=torch.tensor([e.weight for e in examples], dtype=torch.float),
    )


def batches(examples: Sequence[Example], batch_size: int, start_id: int, seed: int | None = None) -> list[Batch]:
    """Batches of similar-length captions; with a seed, ties are broken and batches ordered at random."""
    rng = random.Random(seed)
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].caption), rng.random() if seed is not None else 0))
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if seed is not None:
        rng.shuffle(chunks)
    return [collate([examples[i] for i in chunk], start_id) for chunk in chunks]
