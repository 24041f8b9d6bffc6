"""Training: word2vec on the training text, then the sequence-to-sequence model; resumable, seeded, with plots.

`prepare` (needs gensim) turns records into ids and word vectors; `fit` (torch alone) trains on what `prepare`
made, so a prepared file can travel to a GPU machine that has torch but not gensim. `train` does both."""
from __future__ import annotations

import json
import math
import os
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .batches import Encoder, Example, batches, title_tokens
from .data import CaptionRecord, TemplateInfo
from .model import CaptionModel, pick_device
from .plots import plot_losses, plot_word_vectors
from .storage import read_inputs, write_inputs, write_model
from .text import SEP, caption_tokens, tokenize
from .vocab import Vocabulary

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainConfig:
    dim: int = 64  # word2vec dimension (the original Slowmeme used 25; the copy and attention want more)
    hidden: int = 384
    encoder_hidden: int = 192  # each direction
    template_dim: int = 64
    epochs: int = 8  # the learning rate decays over this many epochs
    stop_after: int | None = None  # end after this many epochs (a run can --resume to finish the schedule)
    batch_size: int = 128
    lr: float = 2e-3
    min_count: int = 3  # rarer words are copied from the title instead
    seed: int = 0
    max_len: int = 48  # caption tokens trained on; longer captions are cut
    dropout: float = 0.2
    template_dropout: float = 0.15  # share of captions trained as "unknown template", for cold start
    pseudo_titles: float = 0.6  # share of uninformative titles replaced by words of the caption, each epoch
    word2vec_epochs: int = 5
    heldout_max: int = 5000  # held-out records scored after each epoch
    threads: int = 0  # CPU threads; 0 = every core
    cold_templates: int = 0  # hold out the first N of data.COLD_START_TEMPLATES (a cold-start model)
    limit: int | None = None
    version: str = ""  # default: built from the settings above

    def __post_init__(self):
        stopped = f"-stop{self.stop_after}" if self.stop_after else ""
        cold = f"-cold{self.cold_templates}" if self.cold_templates else ""
        self.version = self.version or (
            f"captions-s2s-{self.dim}d-{self.hidden}h-{self.epochs}ep{stopped}{cold}-seed{self.seed}"
        )


def add_config_options(parser) -> None:
    """Command-line options for the TrainConfig fields people tune (argparse; Django's commands use it too)."""
    for option in ("epochs", "stop_after", "dim", "hidden", "encoder_hidden", "template_dim", "batch_size",
                   "min_count", "seed", "max_len", "limit", "cold_templates", "threads"):  # fmt: skip
        parser.add_argument(f"--{option.replace('_', '-')}", dest=option, type=int)
    for option in ("lr", "dropout", "template_dropout", "pseudo_titles"):
        parser.add_argument(f"--{option.replace('_', '-')}", dest=option, type=float)
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
    from gensim.models import Word2Vec

    sentences = [caption_tokens(r.boxes) for r in records] + [tokenize(r.title) for r in records if r.title]
    sentences += [tokenize(t.description()) for t in templates.values()]
    word2vec = Word2Vec(
        sentences, vector_size=config.dim, min_count=config.min_count, window=5, workers=1,
        seed=config.seed, epochs=config.word2vec_epochs,
    )  # fmt: skip
    vocab = Vocabulary(word2vec.wv.index_to_key)
    vectors = np.stack([word2vec.wv[w] if w in word2vec.wv else np.zeros(config.dim) for w in vocab.words])
    vectors[vocab.unk] = vectors.mean(axis=0)
    return vocab, vectors.astype(np.float32)


def templates_seen(records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo]) -> list[TemplateInfo]:
    """The templates of the records, each with how many of its captions filled 1, 2, … boxes."""
    counts: dict[str, Counter] = {}
    for record in records:
        counts.setdefault(record.template, Counter())[len(record.boxes)] += 1
    seen = []
    for slug in sorted(counts):
        template = templates.get(slug) or TemplateInfo.from_slug(slug)
        n = max(template.n_boxes, max(counts[slug]))
        seen.append(replace(template, box_counts=tuple(counts[slug][k] for k in range(1, n + 1))))
    return seen


@dataclass
class Encoded:
    """Records as ids, one entry per record: its template row, the index of its template's words among the
    prepared descriptions, its title and caption ids, its weight, and whether its title is informative (says
    more than the template's name: such titles are kept, pseudo-titles replace the others)."""

    rows: list[int]
    descriptions: list[int]
    titles: list[list[int]]
    captions: list[list[int]]
    weights: list[float]
    informative: list[bool]

    def __len__(self) -> int:
        return len(self.rows)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}rows": np.array(self.rows, dtype=np.int32),
            f"{prefix}descriptions": np.array(self.descriptions, dtype=np.int32),
            f"{prefix}weights": np.array(self.weights, dtype=np.float32),
            f"{prefix}informative": np.array(self.informative, dtype=bool),
            **_flat(f"{prefix}titles", self.titles),
            **_flat(f"{prefix}captions", self.captions),
        }

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> "Encoded":
        return cls(
            rows=arrays[f"{prefix}rows"].tolist(),
            descriptions=arrays[f"{prefix}descriptions"].tolist(),
            titles=_unflat(arrays, f"{prefix}titles"),
            captions=_unflat(arrays, f"{prefix}captions"),
            weights=arrays[f"{prefix}weights"].tolist(),
            informative=arrays[f"{prefix}informative"].tolist(),
        )


def _flat(name: str, lists: list[list[int]]) -> dict[str, np.ndarray]:
    return {name: np.fromiter((i for ids in lists for i in ids), dtype=np.int32),
            f"{name}_lengths": np.array([len(ids) for ids in lists], dtype=np.int32)}  # fmt: skip


def _unflat(arrays, name: str) -> list[list[int]]:
    return [part.tolist() for part in np.split(arrays[name], np.cumsum(arrays[f"{name}_lengths"])[:-1])]


@dataclass
class Prepared:
    """What `fit` needs, in numpy and JSON: a compressed file that travels to a machine without gensim."""

    vocab_words: list[str]
    vectors: np.ndarray
    templates: list[TemplateInfo]  # the templates seen in training, in row order
    descriptions: list[list[int]]  # each template's words as ids (training.Encoder.template_ids)
    train: Encoded
    heldout: Encoded

    def save(self, path: str | Path) -> None:
        header = {"vocab": self.vocab_words, "templates": [asdict(t) for t in self.templates], "descriptions": self.descriptions}
        np.savez_compressed(path, header=np.array(json.dumps(header)), vectors=self.vectors,
                            **self.train.arrays("train_"), **self.heldout.arrays("heldout_"))  # fmt: skip

    @classmethod
    def load(cls, path: str | Path) -> "Prepared":
        with np.load(path) as arrays:
            header = json.loads(str(arrays["header"]))
            templates = [TemplateInfo(**{k: tuple(v) if isinstance(v, list) else v for k, v in t.items()}) for t in header["templates"]]
            return cls(header["vocab"], arrays["vectors"], templates, header["descriptions"],
                       Encoded.from_arrays(arrays, "train_"), Encoded.from_arrays(arrays, "heldout_"))  # fmt: skip


def _encoded(encoder: Encoder, records, templates: Mapping[str, TemplateInfo], max_len: int | None,
             descriptions: dict[TemplateInfo, int]) -> Encoded:  # fmt: skip
    encoded = Encoded([], [], [], [], [], [])
    for record in records:
        template = templates.get(record.template) or TemplateInfo.from_slug(record.template)
        title = encoder.vocab.ids(title_tokens(record.title))
        name_words = set(encoder.vocab.ids(tokenize(" ".join((template.name, *template.tags)))))
        encoded.rows.append(encoder.template_rows.get(template.slug, encoder.unknown_template))
        encoded.descriptions.append(descriptions.setdefault(template, len(descriptions)))
        encoded.titles.append(title)
        encoded.captions.append(encoder.vocab.caption_ids(record.boxes)[:max_len])
        encoded.weights.append(record.weight)
        encoded.informative.append(any(i not in name_words for i in encoder.vocab.content_ids(title)))
    return encoded


def encode(
    vocab: Vocabulary, vectors: np.ndarray, seen: list[TemplateInfo], records, heldout, templates, config: TrainConfig
) -> Prepared:
    encoder = Encoder(vocab, [t.slug for t in seen])
    known = {**templates, **{t.slug: t for t in seen}}
    descriptions: dict[TemplateInfo, int] = {}
    train = _encoded(encoder, records, known, config.max_len, descriptions)
    held = _encoded(encoder, sample(heldout, config.heldout_max, config.seed), known, None, descriptions)
    return Prepared(vocab.words, vectors, seen, [encoder.template_ids(t) for t in descriptions], train, held)


def prepare(
    records: Sequence[CaptionRecord],
    templates: Mapping[str, TemplateInfo],
    config: TrainConfig,
    heldout: Sequence[CaptionRecord] = (),
) -> Prepared:
    vocab, vectors = train_word_vectors(records, templates, config)
    return encode(vocab, vectors, templates_seen(records, templates), records, heldout, templates, config)


class PseudoTitles:
    """Titles made from a caption's own words, so that the model learns that a title's words belong in the
    caption: 1–3 content words of the caption in their order, each swapped for a close word2vec neighbour one
    time in four (a user's title rarely uses the caption's exact words)."""

    NEIGHBOURS = 8
    ROWS_AT_ONCE = 2048

    def __init__(self, vocab: Vocabulary, vectors: np.ndarray, frequent: int = 20000):
        self.vocab = vocab
        self.is_content = np.zeros(len(vocab), dtype=bool)
        self.is_content[vocab.content_ids(range(len(vocab)))] = True
        # Neighbours among the frequent content words (a neighbour should be a word people know).
        candidates = np.flatnonzero(self.is_content[:frequent])
        unit = torch.nn.functional.normalize(torch.from_numpy(vectors), dim=1)
        targets, k = unit[candidates], min(self.NEIGHBOURS, len(candidates))
        nearest = []
        # In slices of rows: the whole word-by-word similarity matrix would take over a gigabyte.
        rows = min(frequent, len(vocab))
        for start in range(0, rows, self.ROWS_AT_ONCE):
            similarity = unit[start : min(start + self.ROWS_AT_ONCE, rows)] @ targets.T
            own = (candidates >= start) & (candidates < start + len(similarity))
            similarity[torch.from_numpy(candidates[own] - start), torch.from_numpy(np.flatnonzero(own))] = -1  # not itself
            nearest.append(similarity.topk(k, dim=1).indices)
        self.neighbours = candidates[torch.cat(nearest).numpy()]

    def make(self, caption: Sequence[int], rng: random.Random) -> list[int]:
        words = list(dict.fromkeys(i for i in caption if self.is_content[i]))
        if not words:
            return []
        picked = sorted(rng.sample(range(len(words)), min(len(words), rng.choice((1, 2, 2, 3)))))
        title = []
        for index in picked:
            word = words[index]
            if word < len(self.neighbours) and rng.random() < 0.25:
                word = int(rng.choice(self.neighbours[word]))
            title.append(word)
        return title


def epoch_examples(prepared: Prepared, encoded: Encoded, titles: PseudoTitles | None, share: float, rng) -> list[Example]:
    """The examples of one epoch: each uninformative title replaced by a pseudo-title with probability `share`."""
    sep, examples = prepared.vocab_words.index(SEP), []
    for row, description, title, caption, weight, informative in zip(
        encoded.rows, encoded.descriptions, encoded.titles, encoded.captions, encoded.weights, encoded.informative
    ):
        if titles is not None and not informative and rng.random() < share:
            title = titles.make(caption, rng)
        words = prepared.descriptions[description]
        examples.append(Example(row, [*title, sep, *words], [0] * len(title) + [1] * (len(words) + 1), caption, weight))
    return examples


def mean_loss(model: CaptionModel, batch_list: Sequence, device) -> float:
    """Mean negative log-likelihood per (weighted) token, in nats."""
    total = weight = 0.0
    with torch.no_grad():
        for batch in batch_list:
            losses, weights = model.token_losses(batch.to(device))
            total += float((losses * weights).sum())
            weight += float(weights.sum())
    return total / max(weight, 1e-9)


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
    if resume and (out_dir / CHECKPOINT).exists():
        vocab, vectors, seen = read_inputs(out_dir)
        prepared = encode(vocab, vectors, seen, records, heldout or (), templates, config)
    else:
        prepared = prepare(records, templates, config, heldout or ())
    return fit(prepared, config, out_dir, resume=resume, device=device, progress=progress)


def fit(
    prepared: Prepared, config: TrainConfig, out_dir: str | Path, *, resume=False, init: str | Path | None = None,
    device=None, progress=True,
) -> dict:
    """Train on a prepared file. `init`: start from that model folder's weights (same prepared vocabulary and
    templates), e.g. to go on at a lower learning rate after a run cut short."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = pick_device(device)
    if device.type == "cpu":
        torch.set_num_threads(config.threads or os.cpu_count() or 1)
    torch.manual_seed(config.seed)
    vocab, seen = Vocabulary(prepared.vocab_words), prepared.templates
    checkpoint = torch.load(out_dir / CHECKPOINT, weights_only=False) if resume and (out_dir / CHECKPOINT).exists() else None
    if not checkpoint:
        write_inputs(out_dir, vocab, prepared.vectors, seen)
    titles = PseudoTitles(vocab, prepared.vectors) if config.pseudo_titles > 0 else None
    heldout_batches = batches(epoch_examples(prepared, prepared.heldout, None, 0.0, None), 256, vocab)

    model = CaptionModel.from_config(torch.from_numpy(prepared.vectors), len(seen), asdict(config)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps_per_epoch = math.ceil(len(prepared.train) / config.batch_size)
    # Linear decay to a tenth over the whole run: few epochs, so the last steps should be small.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1 - 0.9 * min(step / (steps_per_epoch * config.epochs), 1.0)
    )
    history, first_epoch = [], 0
    if init is not None:
        model.load_state_dict({name: t.float() for name, t in torch.load(Path(init) / "weights.pt", map_location=device).items()})
    if checkpoint:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        schedule.load_state_dict(checkpoint["schedule"])
        torch.set_rng_state(checkpoint["rng"])
        history, first_epoch = checkpoint["history"], checkpoint["epoch"] + 1

    for epoch in range(first_epoch, min(config.stop_after or config.epochs, config.epochs)):
        rng = random.Random(config.seed * 1000 + epoch)
        examples = epoch_examples(prepared, prepared.train, titles, config.pseudo_titles, rng)
        history.append(run_epoch(model, optimizer, schedule, examples, vocab, config, device, epoch, heldout_batches,
                                 progress=progress, label="epoch"))  # fmt: skip
        torch.save(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
             "rng": torch.get_rng_state(), "history": history, "epoch": epoch},
            out_dir / CHECKPOINT,
        )  # fmt: skip
        write_model(out_dir, model, asdict(config) | {"cutoffs": list(model.head.cutoffs[:-1])})

    metrics = {"version": config.version, "epochs": history, "vocab_size": len(vocab),
               "train_records": len(prepared.train), "train_tokens": sum(map(len, prepared.train.captions)),
               "parameters": sum(p.numel() for p in model.parameters())}  # fmt: skip
    write_model(out_dir, model, asdict(config) | {"cutoffs": list(model.head.cutoffs[:-1])})
    if heldout_batches:
        metrics["heldout_perplexity"] = math.exp(mean_loss(model, heldout_batches, device))
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    plot_losses(history, out_dir / "loss.png")
    plot_word_vectors(vocab, prepared.vectors, out_dir / "words_pca.png")
    return metrics


def run_epoch(
    model, optimizer, schedule, examples, vocab: Vocabulary, config, device, epoch: int, heldout_batches, *, progress: bool, label: str
) -> dict:
    """One epoch over freshly shuffled batches, then the held-out loss: the history entry of that epoch."""
    started = time.time()
    epoch_batches = batches(examples, config.batch_size, vocab, seed=config.seed + epoch)
    desc = f"{label} {epoch + 1}/{config.epochs}"
    train_loss = train_epoch(model, optimizer, schedule, tqdm(epoch_batches, desc, disable=not progress, mininterval=5), config, device)
    entry = {"epoch": epoch + 1, "train_loss": train_loss, "seconds": round(time.time() - started, 1)}
    if heldout_batches:
        entry["heldout_loss"] = mean_loss(model, heldout_batches, device)
    if progress:
        tqdm.write(json.dumps(entry))
    return entry


def train_epoch(model: CaptionModel, optimizer, schedule, epoch_batches, config, device) -> float:
    """One pass; returns the mean training loss per (weighted) token. Leaves the model in eval mode."""
    model.train()
    total = weight = 0.0  # summed on the device: reading a number back every step would stall a GPU
    # Not oneDNN's LSTM (torch's CPU path for a packed sequence with gradients): it gave NaN from the first batch in
    # a process where a Celery worker thread had started (the tests' worker; the learning loop trains in a worker).
    with torch.backends.mkldnn.flags(enabled=False):
        for step, batch in enumerate(epoch_batches):
            batch = batch.to(device)
            # Some captions train as "unknown template", so the template's words alone must carry it.
            unknown = torch.rand(batch.templates.shape) < config.template_dropout
            batch.templates = torch.where(unknown.to(device), model.unknown_template, batch.templates)
            losses, weights = model.token_losses(batch)
            loss = (losses * weights).sum() / weights.sum()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.detach() * weights.sum()
            weight += weights.sum()
            if step % 200 == 0:
                epoch_batches.set_postfix(loss=f"{float(total / weight):.3f}", refresh=False)
    model.eval()
    return float(total / weight)
