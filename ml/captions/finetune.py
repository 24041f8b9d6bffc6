"""Fine-tuning a trained caption model on new captions: the step the learning loop repeats.

The vocabulary grows by the new words that occur often enough (their vectors come from word2vec trained on
the new text around the model's own, locked, vectors, so they land in the same space); templates that gained
captions get a learned row, starting from the "unknown template" row so that they start where cold start left
them; then a few epochs at a low learning rate on the new captions (weighted by their votes) mixed with old ones.
"""
from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from gensim.models import Word2Vec

from .aliases import add_aliases, known_templates
from .batches import Encoder, batches
from .data import CaptionRecord, TemplateInfo
from .model import CaptionModel, pick_device
from .plots import plot_losses
from .storage import read_model, write_inputs, write_model
from .text import caption_tokens, tokenize
from .training import run_epoch, sample, templates_seen
from .vocab import Vocabulary

OnProgress = Callable[[float, str], None]


@dataclass
class FineTuneConfig:
    version: str
    epochs: int = 4
    lr: float = 1e-3
    template_lr: float = 3e-3  # template rows learn faster: a new template's row starts from the unknown one
    batch_size: int = 64
    min_count: int = 2  # a new word needs this many uses to join the vocabulary
    seed: int = 0
    max_len: int = 48
    template_dropout: float = 0.15  # as in training: keep the content vector able to carry a template alone
    word2vec_epochs: int = 10
    heldout_max: int = 2000
    threads: int = 0


def grow_vocabulary(
    vocab: Vocabulary, vectors: np.ndarray, sentences: Sequence[list[str]], config: FineTuneConfig
) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary plus the new words used at least min_count times, appended (rare words go last, as the
    adaptive softmax expects); the new words' vectors are trained with every known vector locked."""
    counts = Counter(token for sentence in sentences for token in sentence)
    new_words = [word for word, count in counts.most_common() if count >= config.min_count and word not in vocab.index]
    if not new_words:
        return vocab, vectors
    word2vec = Word2Vec(vector_size=vectors.shape[1], min_count=1, window=5, workers=1, seed=config.seed)
    word2vec.build_vocab(sentences)
    word2vec.wv.vectors_lockf = np.ones(len(word2vec.wv), dtype=np.float32)
    for word, row in word2vec.wv.key_to_index.items():
        if word in vocab.index:
            word2vec.wv.vectors[row] = vectors[vocab.index[word]]
            word2vec.wv.vectors_lockf[row] = 0.0
    word2vec.train(sentences, total_examples=len(sentences), epochs=config.word2vec_epochs)
    grown = np.concatenate([vectors, np.stack([word2vec.wv[word] for word in new_words])]).astype(np.float32)
    return Vocabulary(vocab.words + new_words), grown


def grow_model(base: CaptionModel, base_config: dict, vectors: np.ndarray, n_templates: int) -> tuple[CaptionModel, dict]:
    """A copy of the base network with rows for new words and new templates. Old rows keep their values; a new
    template's row starts as the unknown-template row, which moves to the end; new output rows start as the
    mean of the old ones (a new word starts as an average rare word)."""
    config = dict(base_config) | {"cutoffs": list(base.head.cutoffs[:-1])}
    model = CaptionModel.from_config(torch.from_numpy(vectors), n_templates, config)
    old_state, state = base.state_dict(), model.state_dict()
    for name, old in old_state.items():
        new = state[name]
        if new.shape == old.shape:
            new.copy_(old)
        else:
            new[: old.shape[0]] = old
            new[old.shape[0] :] = old.mean(dim=0)
    state["embedding.weight"][: len(base.embedding.weight)] = base.embedding.weight
    state["embedding.weight"][len(base.embedding.weight) :] = torch.from_numpy(vectors[len(base.embedding.weight) :])
    unknown = old_state["template_embedding.weight"][base.unknown_template]
    state["template_embedding.weight"][base.unknown_template :] = unknown
    model.load_state_dict(state)
    return model, config


def fine_tune(
    base_dir: str | Path,
    records: Sequence[CaptionRecord],
    templates: Mapping[str, TemplateInfo],
    config: FineTuneConfig,
    out_dir: str | Path,
    *,
    heldout: Sequence[CaptionRecord] = (),
    device=None,
    progress: bool = True,
    on_progress: OnProgress | None = None,
) -> dict:
    """Fine-tune the model in base_dir on records (their weights count) and write a full model folder to out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = on_progress or (lambda fraction, stage: None)
    device = pick_device(device)
    if device.type == "cpu":
        torch.set_num_threads(config.threads or os.cpu_count() or 1)
    torch.manual_seed(config.seed)
    base, vocab, seen, base_config = read_model(base_dir, torch.device("cpu"))

    report(0.05, "Growing the vocabulary")
    sentences = [caption_tokens(r.boxes) for r in records] + [tokenize(r.title) for r in records if r.title]
    sentences += [tokenize(templates[slug].description()) for slug in sorted({r.template for r in records})]
    vocab, vectors = grow_vocabulary(vocab, base.embedding.weight.detach().numpy(), sentences, config)
    known = {t.slug for t in seen}
    seen = seen + [t for t in templates_seen(records, templates) if t.slug not in known]
    model, model_config = grow_model(base, base_config, vectors, len(seen))
    model = model.to(device)
    write_inputs(out_dir, vocab, vectors, seen)
    add_aliases(out_dir, {slug: names[1:] for slug, names in known_templates(base_dir).items()})  # kept from the base

    encoder = Encoder(vocab, [t.slug for t in seen])
    examples = encoder.examples(records, templates, config.max_len)
    heldout_batches = batches(encoder.examples(sample(heldout, config.heldout_max, config.seed), templates), 256, vocab)
    rows = model.template_embedding.weight
    rest = [p for p in model.parameters() if p.requires_grad and p is not rows]
    optimizer = torch.optim.Adam([{"params": rest}, {"params": [rows], "lr": config.template_lr}], lr=config.lr)
    steps = math.ceil(len(examples) / config.batch_size) * config.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - 0.9 * min(step / max(steps, 1), 1.0))
    history = []
    for epoch in range(config.epochs):
        report(0.1 + 0.8 * epoch / config.epochs, f"Fine-tuning, epoch {epoch + 1} of {config.epochs}")
        history.append(run_epoch(model, optimizer, schedule, examples, vocab, config, device, epoch, heldout_batches,
                                 progress=progress, label="fine-tune"))  # fmt: skip

    model_config |= {"version": config.version, "base": base_config["version"], "fine_tune": asdict(config)}
    write_model(out_dir, model.cpu(), model_config)
    metrics = {
        "version": config.version, "base": base_config["version"], "epochs": history, "vocab_size": len(vocab),
        "new_words": len(vocab) - len(base.embedding.weight), "new_templates": len(seen) - base.unknown_template,
        "train_records": len(records), "parameters": sum(p.numel() for p in model.parameters()),
    }  # fmt: skip
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    plot_losses(history, out_dir / "loss.png")
    report(0.9, "Fine-tuned")
    return metrics
