"""A trained scorer as the site uses it: `load(path)` -> Scorer with `score(template_slug, lines)`.

The scorer owns no word vectors: it reads the caption model's vocabulary and word2vec vectors (by default the bundled
model's, ml/captions/pretrained: vocab.json and word2vec.npy) and checks them against the SHA-256 fingerprints stored
in its config.json when it was trained. Other vectors (a fine-tuned caption model's grown vocabulary, a retrained
word2vec) would give its weights different inputs, so it refuses to load (VocabularyMismatch)."""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from ml.captions.aliases import known_templates, resolve
from ml.captions.text import END, caption_tokens
from ml.captions.vocab import Vocabulary

from .model import CaptionScorer

CAPTIONS_PRETRAINED = Path(__file__).resolve().parents[1] / "captions" / "pretrained"
PRETRAINED = Path(__file__).resolve().parent / "pretrained"
WEIGHTS, CONFIG = "weights.pt", "config.json"
VOCAB, WORD2VEC = "vocab.json", "word2vec.npy"
FORMAT = 1
MAX_TOKENS = 48


class VocabularyMismatch(ValueError):
    """The caption model's vocabulary or vectors are not the ones the scorer was trained on."""


def vocabulary_fingerprint(captions_dir: str | Path) -> dict[str, object]:
    """SHA-256 of the vocabulary (its words, in order) and of the word2vec file's bytes, and the vocabulary's size."""
    captions_dir = Path(captions_dir)
    words = json.loads((captions_dir / VOCAB).read_text())
    return {
        "vocab_sha256": hashlib.sha256(json.dumps(words, ensure_ascii=False).encode("utf-8")).hexdigest(),
        "vectors_sha256": hashlib.sha256((captions_dir / WORD2VEC).read_bytes()).hexdigest(),
        "vocab_size": len(words),
    }


def read_vectors(captions_dir: str | Path) -> tuple[Vocabulary, np.ndarray]:
    captions_dir = Path(captions_dir)
    return Vocabulary.load(captions_dir / VOCAB), np.load(captions_dir / WORD2VEC).astype(np.float32)


def caption_ids(vocab: Vocabulary, lines: Sequence[str]) -> list[int]:
    """A caption's token ids as the scorer reads them: its non-empty boxes joined by BOX, no END, at most MAX_TOKENS."""
    tokens = caption_tokens([line.strip() for line in lines if line and line.strip()])
    if tokens and tokens[-1] == END:
        tokens = tokens[:-1]
    return vocab.ids(tokens)[:MAX_TOKENS]


def padded(rows: Sequence[Sequence[int]], fill: int) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([max(1, len(row)) for row in rows], dtype=torch.long)
    out = torch.full((len(rows), int(lengths.max()) if len(rows) else 1), fill, dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out, lengths


class Scorer:
    """score(template_slug, lines) -> float: higher when people like the caption more. Only differences between
    captions of one template mean anything: P(a voted for more than b) = sigmoid(score(a) − score(b))."""

    def __init__(self, model: CaptionScorer, vocab: Vocabulary, templates: Sequence[str], config: Mapping,
                 aliases: Mapping[str, Sequence[str]] | None = None):  # fmt: skip
        self.model, self.vocab, self.config = model.eval(), vocab, dict(config)
        self.version: str = self.config.get("version", "")
        self.template_rows = {slug: row for row, slug in enumerate(templates)}
        self.aliases = {slug: list(names) for slug, names in (aliases or {}).items() if slug in self.template_rows}
        self._resolved: dict[str, int] = {}

    def template_row(self, template_slug: str) -> int:
        """The learned row of a template the scorer was trained on (its corpus slug, or a slug or name that the caption
        model's aliases resolve to it: memegen's `drake`), else the shared unknown row."""
        if template_slug not in self._resolved:
            slug = template_slug.lower() if template_slug.lower() in self.template_rows else None
            slug = slug or resolve(template_slug, "", self.aliases)
            self._resolved[template_slug] = self.template_rows.get(slug, self.model.unknown_template)
        return self._resolved[template_slug]

    def score(self, template_slug: str, lines: Sequence[str]) -> float:
        return self.score_batch(template_slug, [lines])[0]

    def score_batch(self, template_slug: str, captions: Sequence[Sequence[str]]) -> list[float]:
        """Scores of many captions of one template (a reranker's candidates), in one forward pass."""
        return self.score_many([(template_slug, lines) for lines in captions])

    @torch.no_grad()
    def score_many(self, items: Sequence[tuple[str, Sequence[str]]], batch_size: int = 512) -> list[float]:
        """Scores of (template_slug, lines) items, any templates."""
        scores: list[float] = []
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            ids, lengths = padded([caption_ids(self.vocab, lines) for _, lines in chunk], self.vocab.end)
            templates = torch.tensor([self.template_row(slug) for slug, _ in chunk], dtype=torch.long)
            scores.extend(self.model(ids, lengths, templates).tolist())
        return scores

    def prefer(self, template_slug: str, a: Sequence[str], b: Sequence[str]) -> float:
        """P(people vote for caption a more than for caption b), both on the template."""
        score_a, score_b = self.score_batch(template_slug, [a, b])
        return 1.0 / (1.0 + math.exp(score_b - score_a))


def save(out_dir: str | Path, model: CaptionScorer, templates: Sequence[str], config: Mapping,
         captions_dir: str | Path = CAPTIONS_PRETRAINED) -> None:  # fmt: skip
    """Weights (float16, without the word vectors) and config.json: the settings, the template slugs (in row order)
    and the caption model's vocabulary fingerprint; `config` may carry held-out figures too."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {name: t.half() if t.is_floating_point() else t for name, t in model.state_dict().items()}
    torch.save(state, out_dir / WEIGHTS)
    captions_config = Path(captions_dir) / "config.json"
    full = {
        "format": FORMAT,
        **config,
        "templates": list(templates),
        "captions_model": {
            "version": json.loads(captions_config.read_text()).get("version", "") if captions_config.exists() else "",
            **vocabulary_fingerprint(captions_dir),
        },
    }
    (out_dir / CONFIG).write_text(json.dumps(full, indent=1))


def load(path: str | Path = PRETRAINED, captions_dir: str | Path = CAPTIONS_PRETRAINED) -> Scorer:
    """The scorer in `path`, over the caption model's vocabulary and vectors in `captions_dir` (the bundled model's by
    default). Raises VocabularyMismatch when those are not the ones it was trained on."""
    path, captions_dir = Path(path), Path(captions_dir)
    config = json.loads((path / CONFIG).read_text())
    if config.get("format") != FORMAT:
        raise ValueError(f"{path}: scorer format {config.get('format')!r}, this code reads {FORMAT}")
    expected = config["captions_model"]
    found = vocabulary_fingerprint(captions_dir)
    for key in ("vocab_sha256", "vectors_sha256", "vocab_size"):
        if expected.get(key) != found[key]:
            raise VocabularyMismatch(
                f"scorer {path} was trained on the word vectors of caption model {expected.get('version') or '?'} "
                f"({key} {str(expected.get(key))[:12]}), {captions_dir} has {str(found[key])[:12]}"
            )
    vocab, vectors = read_vectors(captions_dir)
    model = CaptionScorer.from_config(torch.from_numpy(vectors), len(config["templates"]), config)
    state = torch.load(path / WEIGHTS, map_location="cpu")
    model.load_state_dict({name: t.float() if t.is_floating_point() else t for name, t in state.items()})
    aliases = known_templates(captions_dir) if (captions_dir / "templates.json").exists() else {}
    return Scorer(model, vocab, config["templates"], config, aliases)
