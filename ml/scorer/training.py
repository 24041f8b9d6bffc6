"""Training the scorer on pairs of training memes (data.make_pairs), with the pairwise logistic (Bradley–Terry) loss
-log sigmoid(score(better) − score(worse)). Every epoch draws fresh partners for each meme (the pair rule with another
seed), so the network sees more of the training memes' comparisons. The epoch kept is the one whose pairs of
validation memes (data.is_validation) rank best (AUC); held-out memes are never read here."""
from __future__ import annotations

import copy
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from types import MappingProxyType

import numpy as np
import torch
import torch.nn.functional as F

from ml.captions.vocab import Vocabulary

from .data import PARTNERS, Meme, Pair, make_pairs
from .evaluation import pair_metrics
from .model import CaptionScorer
from .scorer import Scorer, caption_ids, padded


@dataclass
class TrainConfig:
    encoder: str = "lstm"  # "lstm" (bidirectional) or "pool" (a per-word layer, then mean and max)
    hidden: int = 64
    template_dim: int = 16
    word_weights: int = 30510  # commonest words with a learned weight of their own (0: none; the bundled vocabulary has 30,510)
    bigram_buckets: int = 131072  # hashed word pairs with a learned weight (0: none)
    dropout: float = 0.2
    epochs: int = 4
    batch_size: int = 256  # pairs
    lr: float = 2e-3
    weight_decay: float = 0.0
    word_weight_decay: float = 1e-4  # L2 on the per-word weights (they overfit first)
    template_dropout: float = 0.1  # share of pairs trained with the unknown template's row (templates never seen)
    partners: int = PARTNERS
    seed: int = 0
    threads: int = 0  # 0: every core
    limit: int | None = None  # train on this many pairs an epoch at most (quick runs, tests)
    version: str = ""

    def __post_init__(self):
        self.version = self.version or f"scorer-{self.encoder}{self.hidden}-w{self.word_weights}-b{self.bigram_buckets}-{self.epochs}ep-seed{self.seed}"


class Encoded:
    """Memes as padded id rows and template rows, built once."""

    def __init__(self, memes: Sequence[Meme], vocab: Vocabulary, template_rows: dict[str, int], unknown: int):
        self.ids, self.lengths = padded([caption_ids(vocab, meme.boxes) for meme in memes], vocab.end)
        self.templates = torch.tensor([template_rows.get(meme.template, unknown) for meme in memes], dtype=torch.long)

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lengths = self.lengths[index]
        return self.ids[index, : int(lengths.max())], lengths, self.templates[index]


@torch.no_grad()
def meme_scores(model: CaptionScorer, encoded: Encoded, indexes: Sequence[int] | None = None, batch_size: int = 1024) -> np.ndarray:
    """Scores of the encoded memes (all, or those at `indexes`), in that order."""
    model.eval()
    index = torch.arange(len(encoded.lengths)) if indexes is None else torch.as_tensor(list(indexes), dtype=torch.long)
    out = []
    for start in range(0, len(index), batch_size):
        out.append(model(*encoded.batch(index[start : start + batch_size])))
    return torch.cat(out).numpy() if out else np.zeros(0)


def train(
    train_memes: Sequence[Meme],
    validation_memes: Sequence[Meme],
    vocab: Vocabulary,
    vectors: np.ndarray,
    config: TrainConfig,
    log: Callable[[str], None] = print,
) -> tuple[CaptionScorer, list[str], list[dict]]:
    """-> (the model of the best epoch on validation pairs, template slugs in row order, per-epoch history)."""
    templates = sorted({meme.template for meme in train_memes})
    model = CaptionScorer(torch.from_numpy(vectors), len(templates), encoder=config.encoder, hidden=config.hidden,
                          template_dim=config.template_dim, word_weights=config.word_weights,
                          bigram_buckets=config.bigram_buckets, dropout=config.dropout,
                          box_id=vocab.box, unk_id=vocab.unk, pad_id=vocab.end)  # fmt: skip
    return _with_threads(config, lambda: _train(model, templates, train_memes, validation_memes, vocab, config, log))


def fine_tune(
    scorer: Scorer,
    train_memes: Sequence[Meme],
    validation_memes: Sequence[Meme],
    config: TrainConfig,
    pair_rule: Mapping | None = None,
    log: Callable[[str], None] = print,
) -> tuple[CaptionScorer, list[str], list[dict]]:
    """A copy of `scorer`'s network trained further on new memes (the site's, their votes as `pair_rule` pairs them:
    make_pairs' settings), its template rows kept (a template it never learned scores through the unknown row).
    Without validation pairs, the last epoch is kept."""
    model = copy.deepcopy(scorer.model)
    templates = sorted(scorer.template_rows, key=scorer.template_rows.get)
    run = lambda: _train(model, templates, train_memes, validation_memes, scorer.vocab, config, log, pair_rule or {})  # noqa: E731
    return _with_threads(config, run)


def _with_threads(config: TrainConfig, run: Callable):
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    try:
        # Not oneDNN's LSTM: like the caption model's (ml.captions.training.train_epoch), a packed sequence with
        # gradients there can come out NaN in a process where a Celery worker thread runs (the learning loop's).
        with torch.backends.mkldnn.flags(enabled=False):
            return run()
    finally:
        torch.set_num_threads(threads)


def _train(model: CaptionScorer, templates: list[str], train_memes, validation_memes, vocab, config: TrainConfig, log,
           pair_rule: Mapping = MappingProxyType({})) -> tuple[CaptionScorer, list[str], list[dict]]:  # fmt: skip
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    rows = {slug: row for row, slug in enumerate(templates)}
    encoded = Encoded(train_memes, vocab, rows, model.unknown_template)
    validation = Encoded(validation_memes, vocab, rows, model.unknown_template)
    validation_pairs = make_pairs(validation_memes, partners=config.partners, seed=0, **pair_rule)
    word_params = [table.weight for table in (model.word_weights, model.bigram_weights) if table is not None]
    other_params = [p for p in model.parameters() if all(p is not q for q in word_params)]
    optimizer = torch.optim.Adam([
        {"params": other_params, "weight_decay": config.weight_decay},
        {"params": word_params, "weight_decay": 0.0},
    ], lr=config.lr)  # fmt: skip
    history, best, best_auc = [], None, -1.0
    for epoch in range(config.epochs):
        started = time.time()
        pairs = make_pairs(train_memes, partners=config.partners, seed=config.seed * 1000 + epoch, **pair_rule)
        rng.shuffle(pairs)
        if config.limit:
            pairs = pairs[: config.limit]
        steps = max(1, -(-len(pairs) // config.batch_size))
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - 0.9 * step / steps)
        model.train()
        total = 0.0
        for start in range(0, len(pairs), config.batch_size):
            chunk = pairs[start : start + config.batch_size]
            loss = pair_loss(model, encoded, chunk, config, rng)
            if word_params and config.word_weight_decay:
                loss = loss + config.word_weight_decay * sum(table.pow(2).sum() for table in word_params)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(chunk)
        scores = meme_scores(model, validation)
        metrics = pair_metrics(scores, validation_pairs)
        history.append({"epoch": epoch + 1, "pairs": len(pairs), "loss": total / max(1, len(pairs)),
                        "validation_auc": metrics["auc"] if validation_pairs else None,
                        "validation_accuracy": metrics["accuracy"] if validation_pairs else None,
                        "seconds": round(time.time() - started, 1)})  # fmt: skip
        log(f"epoch {epoch + 1}: {len(pairs)} pairs, loss {history[-1]['loss']:.4f}, validation AUC {metrics['auc']:.4f} "
            f"accuracy {metrics['accuracy']:.4f} ({history[-1]['seconds']} s)")  # fmt: skip
        if not validation_pairs or metrics["auc"] > best_auc:
            best_auc, best = metrics["auc"], copy.deepcopy(model.state_dict())
    model.load_state_dict(best)
    return model.eval(), templates, history


def pair_loss(model: CaptionScorer, encoded: Encoded, pairs: Sequence[Pair], config: TrainConfig, rng: random.Random) -> torch.Tensor:
    better = torch.tensor([p.better for p in pairs], dtype=torch.long)
    worse = torch.tensor([p.worse for p in pairs], dtype=torch.long)
    ids, lengths, templates = encoded.batch(torch.cat([better, worse]))
    if config.template_dropout:
        unknown = torch.tensor([rng.random() < config.template_dropout for _ in pairs])
        templates = templates.masked_fill(unknown.repeat(2), model.unknown_template)  # both captions of a pair alike
    scores = model(ids, lengths, templates)
    return -F.logsigmoid(scores[: len(pairs)] - scores[len(pairs) :]).mean()


def config_dict(config: TrainConfig, vocab: Vocabulary) -> dict:
    return {**asdict(config), "box_id": vocab.box, "unk_id": vocab.unk, "pad_id": vocab.end}
