"""Training: word2vec on the training text, then the conditioned LSTM; resumable, seeded, with plots."""
from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from gensim.models import Word2Vec
from tqdm import tqdm

from .batches import Batch, Encoder, batches
from .data import CaptionRecord, TemplateInfo
from .model import HEAD_CLASSES, CaptionModel, RegressionHead, pick_device
from .plots import plot_losses, plot_word_vectors
from .storage import read_inputs, write_inputs, write_model
from .text import caption_tokens, tokenize
from .vocab import Vocabulary

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainConfig:
    dim: int = 25  # word2vec dimension; the original Slowmeme used 25
    hidden: int = 256
    layers: int = 1
    condition_dim: int = 64
    head: str = "adaptive"  # won on held-out numbers (see pretrained/MODEL_CARD.md); or "softmax" (tied), "regression"
    epochs: int = 3  # the learning rate decays over this many epochs
    stop_after: int | None = None  # end after this many epochs (a run can --resume to finish the schedule)
    batch_size: int = 64
    lr: float = 2e-3
    min_count: int = 2
    seed: int = 0
    max_len: int = 48  # caption tokens trained on; longer captions are cut
    dropout: float = 0.1
    template_dropout: float = 0.15  # share of captions trained as "unknown template", for cold start
    tune_vectors: bool = True
    word2vec_epochs: int = 5
    heldout_max: int = 5000  # held-out records scored after each epoch
    threads: int = 0  # CPU threads; 0 = every core. 1 wastes less when other jobs share the cores
    # How the command line split the data; recorded so that `eval` rebuilds the same splits.
    holdout_fraction: float = 0.05
    cold_templates: int = 10
    limit: int | None = None
    version: str = ""  # default: built from the settings above

    def __post_init__(self):
        stopped = f"-stop{self.stop_after}" if self.stop_after else ""
        self.version = self.version or f"captions-{self.head}-{self.dim}d-{self.layers}x{self.hidden}-{self.epochs}ep{stopped}-seed{self.seed}"


def add_config_options(parser) -> None:
    """Command-line options for the TrainConfig fields people tune (argparse; Django's commands use it too)."""
    for option in ("epochs", "stop_after", "dim", "hidden", "layers", "batch_size", "min_count", "seed", "max_len", "limit", "cold_templates", "threads"):
        parser.add_argument(f"--{option.replace('_', '-')}", dest=option, type=int)
    for option in ("lr", "dropout", "template_dropout", "holdout_fraction"):
        parser.add_argument(f"--{option.replace('_', '-')}", dest=option, type=float)
    parser.add_argument("--head", choices=sorted(HEAD_CLASSES))
    parser.add_argument("--name", dest="version", help="The version's name (default: made from the settings).")


def config_from_options(options: Mapping, **defaults) -> TrainConfig:
    """A TrainConfig from parsed options; options left unset keep the given defaults, then the dataclass's."""
    names = {f.name for f in fields(TrainConfig)}
    given = {name: value for name, value in options.items() if name in names and value is not None}
    return TrainConfig(**{**defaults, **given})


def train_word_vectors(
    records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo], config: TrainConfig
) -> tuple[Vocabulary, np.ndarray]:
    """Word2vec on the training captions, titles and template descriptions; its vocabulary (words seen at least
    min_count times) is the model's. <unk> gets the mean vector: unknown words are rare words."""
    sentences = [caption_tokens(r.boxes) for r in records] + [tokenize(r.title) for r in records if r.title]
    sentences += [tokenize(t.description()) for t in templates.values()]
    word2vec = Word2Vec(
        sentences, vector_size=config.dim, min_count=config.min_count, window=5, workers=1,
        seed=config.seed, epochs=config.word2vec_epochs,
    )
    vocab = Vocabulary(word2vec.wv.index_to_key)
    vectors = np.stack([word2vec.wv[w] if w in word2vec.wv else np.zeros(config.dim) for w in vocab.words])
    vectors[vocab.unk] = vectors.mean(axis=0)
    return vocab, vectors.astype(np.float32)


def mean_loss(model: CaptionModel, batch_list: Sequence[Batch], device, *, nll: bool = False) -> float:
    total = weight = 0.0
    with torch.no_grad():
        for batch in batch_list:
            losses, weights = model.token_losses(batch.to(device), nll=nll)
            total += float((losses * weights).sum())
            weight += float(weights.sum())
    return total / max(weight, 1e-9)


def calibrate_temperature(model: CaptionModel, batch_list: Sequence[Batch], device) -> float:
    """Regression head only: the cosine temperature that gives training text the lowest NLL."""
    temperature = model.head.temperature

    def nll_at(value: float) -> float:
        temperature.fill_(value)
        return mean_loss(model, batch_list, device, nll=True)

    best = min((float(t) for t in np.geomspace(0.01, 1.0, 21)), key=nll_at)
    temperature.fill_(best)
    return best


def sample(items: Sequence, n: int, seed: int) -> list:
    """Up to n items at random: the records come sorted by template, so a prefix would not be representative."""
    return random.Random(seed).sample(list(items), min(n, len(items)))


def train(
    records: Sequence[CaptionRecord],
    templates: Mapping[str, TemplateInfo],
    config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    device=None,
    progress: bool = True,
    heldout: Sequence[CaptionRecord] | None = None,
) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = pick_device(device)
    if device.type == "cpu":
        torch.set_num_threads(config.threads or os.cpu_count() or 1)
    torch.manual_seed(config.seed)
    checkpoint = torch.load(out_dir / CHECKPOINT) if resume and (out_dir / CHECKPOINT).exists() else None

    if checkpoint:
        vocab, vectors, seen_templates = read_inputs(out_dir)
    else:
        vocab, vectors = train_word_vectors(records, templates, config)
        seen_templates = [templates[slug] for slug in sorted({r.template for r in records})]
        write_inputs(out_dir, vocab, vectors, seen_templates)
    encoder = Encoder(vocab, [t.slug for t in seen_templates])
    examples = encoder.examples(records, templates, config.max_len)
    heldout_batches = batches(encoder.examples(sample(heldout or [], config.heldout_max, config.seed), templates), 256, vocab.end)

    model = CaptionModel.from_config(torch.from_numpy(vectors), len(seen_templates), asdict(config)).to(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    steps_per_epoch = math.ceil(len(examples) / config.batch_size)
    # Linear decay to a tenth over the whole run: few epochs, so the last steps should be small.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1 - 0.9 * min(step / (steps_per_epoch * config.epochs), 1.0)
    )
    history, first_epoch = [], 0
    if checkpoint:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        schedule.load_state_dict(checkpoint["schedule"])
        torch.set_rng_state(checkpoint["rng"])
        history, first_epoch = checkpoint["history"], checkpoint["epoch"] + 1

    for epoch in range(first_epoch, min(config.stop_after or config.epochs, config.epochs)):
        history.append(run_epoch(model, optimizer, schedule, examples, vocab.end, config, device, epoch, heldout_batches,
                                 progress=progress, label="epoch"))  # fmt: skip
        torch.save(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
             "rng": torch.get_rng_state(), "history": history, "epoch": epoch},
            out_dir / CHECKPOINT,
        )
        write_model(out_dir, model, asdict(config))  # every epoch, so a run cut short still leaves a model

    metrics = {"version": config.version, "epochs": history, "vocab_size": len(vocab),
               "train_records": len(records), "train_tokens": sum(len(e.caption) for e in examples),
               "parameters": sum(p.numel() for p in model.parameters())}
    if isinstance(model.head, RegressionHead):
        metrics["temperature"] = calibrate_temperature(model, batches(sample(examples, 1000, config.seed), 256, vocab.end), device)
    write_model(out_dir, model, asdict(config))  # the config as run: a resumed run may stop elsewhere
    if heldout_batches:
        metrics["heldout_perplexity"] = math.exp(mean_loss(model, heldout_batches, device, nll=True))
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    plot_losses(history, out_dir / "loss.png")
    plot_word_vectors(vocab, vectors, out_dir / "words_pca.png")
    return metrics


def run_epoch(
    model, optimizer, schedule, examples, start_id: int, config, device, epoch: int, heldout_batches, *, progress: bool, label: str
) -> dict:
    """One epoch over freshly shuffled batches, then the held-out loss: the history entry of that epoch."""
    started = time.time()
    epoch_batches = batches(examples, config.batch_size, start_id, seed=config.seed + epoch)
    desc = f"{label} {epoch + 1}/{config.epochs}"
    train_loss = train_epoch(model, optimizer, schedule, tqdm(epoch_batches, desc, disable=not progress, mininterval=5), config, device)
    entry = {"epoch": epoch + 1, "train_loss": train_loss, "seconds": round(time.time() - started, 1)}
    if heldout_batches:
        entry["heldout_loss"] = mean_loss(model, heldout_batches, device)
    return entry


def train_epoch(model: CaptionModel, optimizer, schedule, epoch_batches, config: TrainConfig, device) -> float:
    """One pass; returns the mean training loss per (weighted) token. Leaves the model in eval mode."""
    model.train()
    total = weight = 0.0
    for batch in epoch_batches:
        batch = batch.to(device)
        # Some captions train as "unknown template", so the content vector alone must carry the template.
        unknown = torch.rand(batch.templates.shape) < config.template_dropout
        batch.templates = torch.where(unknown.to(device), model.unknown_template, batch.templates)
        losses, weights = model.token_losses(batch)
        loss = (losses * weights).sum() / weights.sum()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        total += loss.item() * weights.sum().item()
        weight += weights.sum().item()
        epoch_batches.set_postfix(loss=f"{total / weight:.3f}", refresh=False)
    model.eval()
    return total / weight
