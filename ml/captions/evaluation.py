"""Held-out numbers for a caption model: perplexity against the trigram baseline on the same tokens, and what
its generations look like (diversity, copying, whether a classifier can tell which template they belong to)."""
from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from .batches import Encoder, batches
from .data import CaptionRecord, TemplateInfo, make_splits
from .generate import CaptionGenerator
from .model import pick_device
from .ngram import NgramBaseline, perplexity
from .storage import read_model
from .text import caption_tokens, tokenize
from .training import mean_loss
from .vocab import Vocabulary


class TemplateClassifier:
    """Multinomial naive Bayes over bags of words: names the template a caption most likely belongs to."""

    def __init__(self, records: Iterable[CaptionRecord], smoothing: float = 0.1):
        counts: dict[str, Counter] = {}
        for record in records:
            counts.setdefault(record.template, Counter()).update(tokenize(" ".join(record.boxes)))
        self.slugs = sorted(counts)
        self.words = {w: i for i, w in enumerate(sorted({w for c in counts.values() for w in c}))}
        table = np.full((len(self.slugs), len(self.words)), smoothing)
        for row, slug in enumerate(self.slugs):
            for word, count in counts[slug].items():
                table[row, self.words[word]] += count
        self.log_likelihoods = np.log(table / table.sum(axis=1, keepdims=True))
        sizes = np.array([sum(counts[slug].values()) for slug in self.slugs], dtype=float)
        self.log_priors = np.log(sizes / sizes.sum())

    def predict(self, boxes: Sequence[str]) -> str:
        ids = [self.words[w] for w in tokenize(" ".join(boxes)) if w in self.words]
        return self.slugs[int(np.argmax(self.log_priors + self.log_likelihoods[:, ids].sum(axis=1)))]

    def accuracy(self, captions: Sequence[tuple[str, Sequence[str]]]) -> float:
        """Share of (template, boxes) pairs whose template is named right."""
        return sum(self.predict(boxes) == slug for slug, boxes in captions) / max(len(captions), 1)


def distinct_n(captions: Sequence[Sequence[str]], n: int) -> float:
    """Distinct word n-grams (within boxes) over all n-grams of the generated captions."""
    grams = [
        tuple(words[i : i + n])
        for boxes in captions
        for words in map(tokenize, boxes)
        for i in range(len(words) - n + 1)
    ]
    return len(set(grams)) / max(len(grams), 1)


def _caption_key(boxes: Sequence[str]) -> str:
    return " ".join(caption_tokens(boxes))


def generate_for(generator: CaptionGenerator, prompts: Sequence[CaptionRecord], templates, per_prompt: int):
    """(template, boxes) pairs: per_prompt sampled captions for each prompt's title and template."""
    return [
        (record.template, boxes)
        for index, record in enumerate(prompts)
        for boxes in generator.generate(record.title, templates[record.template], n=per_prompt, seed=index)
    ]


def generation_speed(generator: CaptionGenerator, template: TemplateInfo, repeats: int = 10) -> dict:
    """Warm milliseconds for one caption and for a batch of 64."""
    generator.generate("warm up", template, n=1, seed=0)
    timings = {}
    for n in (1, 64):
        started = time.perf_counter()
        for seed in range(repeats):
            generator.generate("when the code works", template, n=n, seed=seed)
        timings[f"ms_per_call_n{n}"] = 1000 * (time.perf_counter() - started) / repeats
    return timings


def _scores(prefix, generator, baseline, records, templates, classifier, train_keys, n_generate, seed, max_scored) -> dict:
    # A fixed random sample keeps a full-softmax head's scoring to minutes; model and baseline score the same one.
    scored = random.Random(seed).sample(list(records), min(max_scored, len(records)))
    nll, n_tokens = generator.log_likelihood(scored, templates)
    baseline_nll, baseline_tokens = baseline.log_likelihood(scored)
    assert n_tokens == baseline_tokens, "model and baseline must be scored on the same tokens"
    prompts = random.Random(seed).sample(list(records), min(max(n_generate // 4, 1), len(records)))
    generated = generate_for(generator, prompts, templates, per_prompt=4)
    captions = [boxes for _, boxes in generated]
    model_ppl, baseline_ppl = perplexity(nll, n_tokens), perplexity(baseline_nll, baseline_tokens)
    return {
        f"{prefix}captions_scored": len(scored),
        f"{prefix}tokens": n_tokens,
        f"{prefix}perplexity": model_ppl,
        f"{prefix}baseline_perplexity": baseline_ppl,
        f"{prefix}perplexity_ratio": model_ppl / baseline_ppl,
        f"{prefix}distinct_1": distinct_n(captions, 1),
        f"{prefix}distinct_2": distinct_n(captions, 2),
        f"{prefix}copy_rate": sum(_caption_key(c) in train_keys for c in captions) / len(captions),
        f"{prefix}template_fidelity": classifier.accuracy(generated),
        f"{prefix}template_fidelity_real_captions": classifier.accuracy([(r.template, r.boxes) for r in prompts]),
    }


def evaluate(
    generator: CaptionGenerator,
    baseline: NgramBaseline,
    heldout_records: Sequence[CaptionRecord],
    train_records: Sequence[CaptionRecord],
    templates: Mapping[str, TemplateInfo],
    *,
    cold_start_records: Sequence[CaptionRecord] = (),
    n_generate: int = 400,
    seed: int = 0,
    max_scored: int = 5000,
) -> dict:
    """Perplexities per token (nats -> exp) of model and baseline on the same tokens and <unk>s (on at most
    max_scored captions of each split, drawn at random with the seed); for the
    regression head the model's probabilities are softmax(cosine / fitted temperature). Generation metrics on
    n_generate sampled captions for held-out titles and templates. The template classifier learns from real
    captions only: the training ones, plus the cold-start ones (it must know those templates to name them)."""
    train_keys = {_caption_key(r.boxes) for r in train_records}
    classifier = TemplateClassifier([*train_records, *cold_start_records])
    scores = dict(classifier=classifier, train_keys=train_keys, n_generate=n_generate, seed=seed, max_scored=max_scored)
    results = _scores("", generator, baseline, heldout_records, templates, **scores)
    if cold_start_records:
        results |= _scores("cold_start_", generator, baseline, cold_start_records, templates, **scores)
    some_template = templates[heldout_records[0].template]
    return results | generation_speed(generator, some_template)


def evaluate_model_dir(
    model_dir: str | Path, records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo], *, n_generate: int = 400
) -> dict:
    """Splits the records as the model's training did (its config.json), fits the baseline on the training
    part with the model's vocabulary, and evaluates on the held-out part (and on the templates held out)."""
    config = json.loads((Path(model_dir) / "config.json").read_text())
    splits = make_splits(
        records, holdout_fraction=config["holdout_fraction"], cold_templates=config["cold_templates"],
        limit=config["limit"], seed=config["seed"],
    )
    generator = CaptionGenerator.load(model_dir)
    baseline = NgramBaseline.fit(splits.train, generator.vocab, seed=config["seed"])
    results = {"version": generator.version, "baseline_mix": baseline.mix}
    return results | evaluate(
        generator, baseline, splits.heldout, splits.train, templates,
        cold_start_records=splits.cold_start, n_generate=n_generate, seed=config["seed"],
    )


def format_results(results: Mapping) -> str:
    """`name: value` lines, as the benchmarks print them."""
    return "\n".join(f"{name}: {value:.4g}" if isinstance(value, float) else f"{name}: {value}" for name, value in results.items())


def perplexity_of(
    model_dir, records: Sequence[CaptionRecord], templates: Mapping[str, TemplateInfo], device=None,
    reference: Vocabulary | None = None,
) -> float:
    """Per-token perplexity of a model folder on records (weighted); a template it never saw reads as unknown.

    Two models with different vocabularies are compared on the same tokens by passing the smaller vocabulary as
    `reference`: a word outside it is one outcome, "a word the reference does not know", whose probability is the
    sum over every such word of the model's own vocabulary (and its <unk>), as the reference's <unk> is."""
    device = pick_device(device)
    model, vocab, seen, _ = read_model(model_dir, device)
    encoder = Encoder(vocab, [t.slug for t in seen])
    examples = batches(encoder.examples(records, templates), 256, vocab.end)
    if reference is None or reference.words == vocab.words:
        return math.exp(mean_loss(model, examples, device, nll=True))
    outside = torch.tensor([i for i, word in enumerate(vocab.words) if word not in reference.index] + [vocab.unk], device=device)
    is_outside = torch.zeros(len(vocab), dtype=torch.bool, device=device)
    is_outside[outside] = True
    total = weight = 0.0
    with torch.no_grad():
        for batch in examples:
            batch = batch.to(device)
            hidden = model.hidden_states(model.condition(*batch.condition_inputs()), batch.inputs, batch.lengths)
            mask = torch.arange(batch.inputs.shape[1], device=device) < batch.lengths.unsqueeze(1)
            log_probs = model.head.log_probs(hidden[mask], model.embedding.weight)
            targets = batch.targets[mask]
            own = log_probs.gather(1, targets.unsqueeze(1)).squeeze(1)
            lumped = torch.logsumexp(log_probs[:, outside], dim=1)
            scores = torch.where(is_outside[targets], lumped, own)
            weights = batch.weights.unsqueeze(1).expand_as(mask)[mask]
            total -= float((scores * weights).sum())
            weight += float(weights.sum())
    return math.exp(total / max(weight, 1e-9))
