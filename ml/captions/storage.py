"""The files of a trained model directory, written by training and read by the generator."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .data import TemplateInfo
from .model import CaptionModel
from .vocab import Vocabulary

WEIGHTS, VOCAB, WORD2VEC, CONFIG, TEMPLATES = "weights.pt", "vocab.json", "word2vec.npy", "config.json", "templates.json"


def write_inputs(out_dir: Path, vocab: Vocabulary, vectors: np.ndarray, templates: list[TemplateInfo]) -> None:
    """What the network is built from: vocabulary, word2vec vectors (float16, rows in vocabulary order) and
    the templates seen in training (their order gives their learned rows)."""
    vocab.save(out_dir / VOCAB)
    np.save(out_dir / WORD2VEC, vectors.astype(np.float16))
    (out_dir / TEMPLATES).write_text(json.dumps([asdict(t) for t in templates], indent=1, ensure_ascii=False))


def read_templates_seen(model_dir: Path) -> list[TemplateInfo]:
    fields = set(TemplateInfo.__dataclass_fields__)  # keys a later version added (aliases, …) are its own
    return [
        TemplateInfo(**{key: tuple(value) if isinstance(value, list) else value for key, value in t.items() if key in fields})
        for t in json.loads((model_dir / TEMPLATES).read_text())
    ]


def read_inputs(model_dir: Path) -> tuple[Vocabulary, np.ndarray, list[TemplateInfo]]:
    vectors = np.load(model_dir / WORD2VEC).astype(np.float32)
    return Vocabulary.load(model_dir / VOCAB), vectors, read_templates_seen(model_dir)


def write_model(out_dir: Path, model: CaptionModel, config: dict) -> None:
    """Weights in float16: half the size, and no measurable change in perplexity."""
    state = {name: t.half() if t.is_floating_point() else t for name, t in model.state_dict().items()}
    torch.save(state, out_dir / WEIGHTS)
    (out_dir / CONFIG).write_text(json.dumps(config, indent=1))


def read_model(model_dir: str | Path, device: torch.device) -> tuple[CaptionModel, Vocabulary, list[TemplateInfo], dict]:
    """Needs no word2vec file: the (tuned) vectors are among the weights."""
    model_dir = Path(model_dir)
    vocab, templates = Vocabulary.load(model_dir / VOCAB), read_templates_seen(model_dir)
    config = json.loads((model_dir / CONFIG).read_text())
    model = CaptionModel.from_config(torch.zeros(len(vocab), config["dim"]), len(templates), config)
    state = torch.load(model_dir / WEIGHTS, map_location="cpu")
    model.load_state_dict({name: t.float() if t.is_floating_point() else t for name, t in state.items()})
    return model.to(device).eval(), vocab, templates, config
